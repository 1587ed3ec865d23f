from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from quickscale.conf import app_settings


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": app_settings.SITE_NAME}
