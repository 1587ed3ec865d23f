"""System checks for settings that work on one machine but not behind a load balancer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
CONSOLE_EMAIL_BACKENDS = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.caches, deploy=True)
def check_shared_cache(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                "The default cache lives inside each server process, so rate limits and "
                "cached pages are not shared between servers.",
                hint="Set REDIS_URL (for example redis://127.0.0.1:6379/0).",
                id="quickscale.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_email_delivered(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if settings.EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS:
        return [
            Warning(
                "E-mail is not delivered: verification and password-reset messages go nowhere.",
                hint="Set EMAIL_URL (for example smtp+tls://user:password@smtp.example.com:587).",
                id="quickscale.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_email_verification_mandatory(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    verification = getattr(settings, "ACCOUNT_EMAIL_VERIFICATION", "optional")
    if verification != "mandatory":
        return [
            Warning(
                f"ACCOUNT_EMAIL_VERIFICATION is {verification!r}: anyone can sign up with "
                "an address they do not own.",
                hint="Unset ACCOUNT_EMAIL_VERIFICATION in production (it defaults to mandatory).",
                id="quickscale.W003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_sender_address(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if settings.DEFAULT_FROM_EMAIL.rstrip(">").endswith("@localhost"):
        return [
            Warning(
                f"E-mails are sent from {settings.DEFAULT_FROM_EMAIL}, which mail servers "
                "reject or file as spam.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your domain.",
                id="quickscale.W004",
            )
        ]
    return []


API_ERROR_MIDDLEWARE = "quickscale.apps.api.middleware.ApiErrorMiddleware"
# Middleware that reads or answers API requests: an exception or error page from one of them
# is JSON only when ApiErrorMiddleware wraps it.
_READS_REQUESTS = ("django.", "allauth.", "whitenoise.", "quickscale.")


@register(Tags.compatibility)
def check_api_error_middleware(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    hint = f"Put {API_ERROR_MIDDLEWARE!r} first in MIDDLEWARE."
    if API_ERROR_MIDDLEWARE not in middleware:
        return [
            Warning(
                "ApiErrorMiddleware is not installed: errors under the API's path are answered "
                "with HTML pages, not JSON.",
                hint=hint,
                id="quickscale.W040",
            )
        ]
    before = middleware[: middleware.index(API_ERROR_MIDDLEWARE)]
    if wrapped := [name for name in before if name.startswith(_READS_REQUESTS)]:
        return [
            Warning(
                f"ApiErrorMiddleware comes after {', '.join(wrapped)}: their errors under the "
                "API's path are answered with HTML pages, not JSON.",
                hint=hint,
                id="quickscale.W040",
            )
        ]
    return []


@register(Tags.compatibility)
def check_service_costs(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    from quickscale.apps.credits.models import MAX_CREDITS
    from quickscale.apps.services.registry import registry

    return [
        Error(
            f"The service {service.name!r} costs {service.cost!r}: a cost is a whole number of "
            f"credits from 0 to {MAX_CREDITS:,}, and every call of it would fail.",
            hint=f"Set {type(service).__name__}.cost to a whole number in that range.",
            obj=type(service),
            id="quickscale.E040",
        )
        for service in registry
        if isinstance(service.cost, bool)
        or not isinstance(service.cost, int)
        or not 0 <= service.cost <= MAX_CREDITS
    ]
