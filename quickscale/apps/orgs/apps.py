from __future__ import annotations

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "quickscale.apps.orgs"
    label = "quickscale_orgs"
    verbose_name = "Organizations"
    default_auto_field = "django.db.models.BigAutoField"
