from __future__ import annotations

from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "quickscale.apps.keys"
    label = "quickscale_keys"
    verbose_name = "API keys"
    default_auto_field = "django.db.models.BigAutoField"
