from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CreditsConfig(AppConfig):
    name = "quickscale.apps.credits"
    label = "quickscale_credits"
    verbose_name = "Credits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quickscale.apps.credits.sql import install_debit_functions

        post_migrate.connect(
            install_debit_functions,
            sender=self,
            dispatch_uid="quickscale.credits.install_debit_functions",
        )
