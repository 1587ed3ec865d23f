from __future__ import annotations

from django.urls import path

from quickscale.apps.accounts import views

urlpatterns = [
    path("", views.account_overview, name="account_overview"),
    path("profile/", views.account_profile_update, name="account_profile_update"),
]
