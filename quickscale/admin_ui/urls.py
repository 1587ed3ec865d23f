"""Include under the admin's URL, before `admin.site.urls`:
`path(f"{settings.ADMIN_URL}quickscale/", include("quickscale.admin_ui.urls"))`."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from quickscale.admin_ui import syncback

app_name = "quickscale_admin_ui"
urlpatterns = [
    path("sync-back/", admin.site.admin_view(syncback.review), name="sync_back"),
    path("sync-back/diff/", admin.site.admin_view(syncback.diff), name="sync_back_diff"),
    path("sync-back/confirm/", admin.site.admin_view(syncback.confirm), name="sync_back_confirm"),
    path("sync-back/apply/", admin.site.admin_view(syncback.apply), name="sync_back_apply"),
]
