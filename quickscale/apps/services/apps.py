from __future__ import annotations

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "quickscale.apps.services"
    label = "quickscale_services"
    verbose_name = "AI services"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quickscale.apps.services.registry import registry

        registry.autodiscover()
