from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quickscale.apps.accounts"
    label = "quickscale_accounts"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
