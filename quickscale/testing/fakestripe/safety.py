from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def ensure_allowed() -> None:
    """The fake answers for Stripe: never let it near a production configuration.

    Allowed with DEBUG on, or once Django's test environment is set up
    (``setup_test_environment`` gives ``django.core.mail`` its ``outbox``).
    """
    import django.core.mail
    from django.conf import settings

    if hasattr(django.core.mail, "outbox"):
        return
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "The fake Stripe runs only with DEBUG on or under Django's test runner: "
            "it answers for Stripe and must never run in production. Set DEBUG=True for the "
            "local demo."
        )
