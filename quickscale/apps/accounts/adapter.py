"""The allauth adapter every generated project uses (ACCOUNT_ADAPTER)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import get_random_string

from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.validators import validate_email_length
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.client_ip import client_ip

DECOY_PASSWORD_LENGTH = 32


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth is untyped
    """Refuses addresses longer than RFC 5321 allows wherever allauth takes one: sign-up,
    adding or changing an address, password reset. Left to allauth, a longer address is cut to
    fit the column (stored unverifiable), and two that share their first 254 characters
    collide in the database."""

    def clean_email(self, email: str) -> str:
        validate_email_length(email)
        cleaned: str = super().clean_email(email)
        return cleaned

    def validate_unique_email(self, email: str) -> str:
        # allauth's ChangeEmailForm (the change of address in verification by code, and the
        # headless API) comes here without clean_email.
        validate_email_length(email)
        unique: str = super().validate_unique_email(email)
        return unique

    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: Any, commit: bool = True
    ) -> AbstractBaseUser:
        saved: AbstractBaseUser = super().save_user(request, user, form, commit=commit)
        if commit:
            assert isinstance(saved, User)
            organization_personal_ensure(user=saved)
        return saved

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth keys its rate limits on this address: the API's limits use the same rule.
        address = client_ip(request)
        if address is None:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def respond_email_verification_sent(
        self, request: HttpRequest, user: AbstractBaseUser | None
    ) -> HttpResponseBase:
        if user is None:
            # A sign-up for an address that already has an account creates no user, so it
            # would skip the password hash a new account costs (≈0.2 s with PBKDF2) and answer
            # fast enough to tell that the address is registered. Hash one here, with the
            # project's own hasher, whether or not allauth sent its "account exists" e-mail.
            make_password(get_random_string(DECOY_PASSWORD_LENGTH))
        response: HttpResponseBase = super().respond_email_verification_sent(request, user)
        return response
