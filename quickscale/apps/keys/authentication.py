"""Who is calling the API: `Authorization: Bearer PREFIX.SECRET`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quickscale.apps.keys.hashers import HASHER, secret_verify
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_rehash, api_key_touch
from quickscale.db import LookupWithRelated

TOKEN = re.compile(r"\A([A-Za-z0-9]{4})\.([A-Za-z0-9]{32})\Z")
# Verified when the prefix is unknown, so that an unknown key costs what a wrong one does.
_DECOY = HASHER.encode("0" * 32, "decoy")
_KEY_BY_PREFIX = LookupWithRelated(ApiKey, "prefix", "user")


@dataclass(frozen=True)
class AuthFailure:
    code: str
    message: str


MISSING = AuthFailure(
    "missing_key", "Authentication is required: send Authorization: Bearer PREFIX.SECRET."
)
MALFORMED = AuthFailure(
    "malformed_key",
    "The Authorization header must be 'Bearer PREFIX.SECRET': 4 and 32 letters or digits.",
)
INVALID = AuthFailure("invalid_key", "The API key is not valid.")
REVOKED = AuthFailure("revoked_key", "The API key has been revoked.")
EXPIRED = AuthFailure("expired_key", "The API key has expired.")
INACTIVE = AuthFailure("inactive_account", "The account this API key belongs to is inactive.")


def api_key_authenticate(header: str | None) -> ApiKey | AuthFailure:
    """The key named by an Authorization header, or why it is refused. The reasons never tell
    which part of a wrong key was right: revoked and expired are said only to the holder of
    the real secret."""
    if header is None or not header.strip():
        return MISSING
    scheme, _, token = header.strip().partition(" ")
    match = TOKEN.match(token.strip())
    if scheme.lower() != "bearer" or match is None:
        return MALFORMED
    prefix, secret = match.groups()
    key = _KEY_BY_PREFIX.first(prefix)
    if key is None:
        HASHER.verify(secret, _DECOY)
        return INVALID
    matched, upgrade = secret_verify(secret, key.hashed_secret)
    if not matched:
        return INVALID
    if upgrade:
        api_key_rehash(key=key, secret=secret)
    status = key.status()
    if status == "revoked":
        return REVOKED
    if status == "expired":
        return EXPIRED
    if not key.user.is_active:
        return INACTIVE
    api_key_touch(key=key)
    return key
