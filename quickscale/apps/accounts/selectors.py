"""Reads of accounts."""

from __future__ import annotations

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User


def user_get_by_email(*, email: str) -> User | None:
    """The user with this e-mail address, compared without case; None when there is none."""
    return User.objects.filter(email=email_normalize(email)).first()
