from __future__ import annotations

from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "quickscale.apps.credits"
    label = "quickscale_credits"
    verbose_name = "Credits"
    default_auto_field = "django.db.models.BigAutoField"
