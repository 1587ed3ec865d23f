"""QuickScale's settings, read lazily with the QUICKSCALE_ prefix so override_settings works."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "SITE_NAME": "QuickScale",
    "DEMO_EMAIL": "demo@example.com",
    # The project template sync-back compares with and writes to; None: the installed one.
    "TEMPLATE_DIR": None,
}


class QuickscaleSettings:
    prefix = "QUICKSCALE_"

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown QuickScale setting: {name}")
        return getattr(settings, self.prefix + name, DEFAULTS[name])


app_settings = QuickscaleSettings()
