from __future__ import annotations

from django.apps import AppConfig


class QuickscaleConfig(AppConfig):
    name = "quickscale"
    label = "quickscale"
    verbose_name = "QuickScale"

    def ready(self) -> None:
        from quickscale import checks  # noqa: F401  (registers the system checks)
