from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import got_request_exception


class ApiConfig(AppConfig):
    name = "quickscale.apps.api"
    label = "quickscale_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quickscale.apps.api.middleware import log_unexpected_exception

        got_request_exception.connect(
            log_unexpected_exception, dispatch_uid="quickscale.api.log_unexpected_exception"
        )
