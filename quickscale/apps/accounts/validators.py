"""What an e-mail address may be, checked the same way on every face that takes one."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# RFC 5321 caps a path at 256 octets, angle brackets included: an address has at most 254
# characters. Django's EmailField allows 320, and allauth cuts longer ones to fit the column.
EMAIL_MAX_LENGTH = 254


def email_length_message(email: str) -> str:
    return (
        f"An e-mail address has at most {EMAIL_MAX_LENGTH} characters (RFC 5321); "
        f"this one has {len(email)}."
    )


def validate_email_length(email: str) -> None:
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(email_length_message(email), code="max_length")
