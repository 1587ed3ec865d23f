from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ServicesConfig(AppConfig):
    name = "quickscale.apps.services"
    label = "quickscale_services"
    verbose_name = "AI services"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quickscale.apps.services.charge import install_charge_function
        from quickscale.apps.services.registry import registry

        post_migrate.connect(install_charge_function, sender=self)

        registry.autodiscover()
