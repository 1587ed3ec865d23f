from __future__ import annotations

from django.urls import path

from quickscale.apps.credits import views

urlpatterns = [
    path("", views.credits_overview, name="credits_overview"),
]
