"""The customer's API pages, included by the project under account/api/."""

from __future__ import annotations

from django.urls import path

from quickscale.apps.api import pages

urlpatterns = [
    path("", pages.api_keys, name="account_api_keys"),
    path("create/", pages.api_key_create_view, name="account_api_key_create"),
    path("<int:pk>/revoke/", pages.api_key_revoke_view, name="account_api_key_revoke"),
    path("usage/", pages.api_usage, name="account_api_usage"),
]
