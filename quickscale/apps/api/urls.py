from __future__ import annotations

from django.urls import path

from quickscale.apps.api import docs, views

urlpatterns = [
    path("v1/credits/balance", views.balance, name="api_balance"),
    path("v1/services", views.services, name="api_services"),
    path("v1/services/<str:name>/run", views.run, name="api_run"),
    path("v1/usage", views.usage, name="api_usage"),
    path("v1/openapi.json", views.openapi, name="api_openapi"),
    path("docs", docs.api_docs, name="api_docs"),
]
