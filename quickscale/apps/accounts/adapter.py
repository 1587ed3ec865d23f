"""The allauth adapter of generated projects (ACCOUNT_ADAPTER)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter

from quickscale.apps.accounts.validators import validate_email_length


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
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
