"""Writes to accounts. Views, commands and the admin call these; they hold no logic of their own."""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from django.db import transaction

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User

DEMO_PASSWORD_BYTES = 12  # 16 URL-safe characters


@transaction.atomic
def user_profile_update(*, user: User, name: str) -> User:
    user.name = name.strip()
    user.save(update_fields=["name"])
    return user


@transaction.atomic
def demo_user_ensure(*, email: str) -> tuple[User, str]:
    """Create (or reset) the demo superuser with a fresh password and a verified address."""
    address = email_normalize(email)
    password = secrets.token_urlsafe(DEMO_PASSWORD_BYTES)
    user = User.objects.filter(email=address).first()
    if user is None:
        user = User.objects.create_superuser(email=address, password=password)
    else:
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=address, defaults={"verified": True, "primary": True}
    )
    return user, password
