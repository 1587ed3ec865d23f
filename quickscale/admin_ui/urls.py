"""Include under the admin's URL, before `admin.site.urls`:
`path(f"{settings.ADMIN_URL}quickscale/", include("quickscale.admin_ui.urls"))`."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from quickscale.admin_ui import syncback

app_name = "quickscale_admin_ui"


def _panel(view: syncback.View) -> syncback.View:
    return syncback.development_only(admin.site.admin_view(view))


urlpatterns = [
    path("sync-back/", _panel(syncback.review), name="sync_back"),
    path("sync-back/diff/", _panel(syncback.diff), name="sync_back_diff"),
    path("sync-back/confirm/", _panel(syncback.confirm), name="sync_back_confirm"),
    path("sync-back/apply/", _panel(syncback.apply), name="sync_back_apply"),
]
