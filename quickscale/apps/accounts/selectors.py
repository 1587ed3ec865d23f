"""Reads of accounts."""

from __future__ import annotations

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User


def user_get_by_email(*, email: str) -> User | None:
    """The user with this e-mail address, compared without case; None when there is none."""
    return User.objects.filter(email=email_normalize(email)).first()


def user_email_verified(*, user: User, email: str) -> bool:
    """Whether the user holds `email`, compared without case, as a verified address."""
    from allauth.account.models import EmailAddress

    verified: bool = EmailAddress.objects.filter(
        user=user, email__iexact=email, verified=True
    ).exists()
    return verified


def user_email_held(*, user: User, email: str) -> bool:
    """Whether the user holds `email`, compared without case, verified or not."""
    from allauth.account.models import EmailAddress

    held: bool = EmailAddress.objects.filter(user=user, email__iexact=email).exists()
    return held
