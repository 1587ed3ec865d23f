"""Writes to API keys."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from quickscale.apps.accounts.models import User
from quickscale.apps.keys.hashers import secret_hash
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.orgs.policy import Action, require
from quickscale.apps.orgs.services import organization_lock
from quickscale.exceptions import ApiKeyError

ALPHABET = string.ascii_letters + string.digits
PREFIX_LENGTH = 4
SECRET_LENGTH = 32  # 62**32 is about 2**190
PREFIX_ATTEMPTS = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # PREFIX.SECRET, shown once


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def api_key_create(
    *,
    organization: Organization,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
) -> NewKey:
    """Create a key of `organization`, made by its member `user`; the returned token is the only
    time its secret exists in the clear. The membership is checked under the organization's
    lock, so a key is never made for someone whose removal commits meanwhile (removal revokes
    the keys that exist when it runs)."""
    name = name.strip()
    if not name:
        raise ApiKeyError("A key needs a name, so you can tell your keys apart.")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiKeyError(f"A key's name has at most {NAME_MAX_LENGTH} characters.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyError(f"The expiry {expires_at.isoformat()} is already past.")
    secret = _random(SECRET_LENGTH)
    hashed = secret_hash(secret)
    with transaction.atomic():
        organization_lock(organization.pk)
        membership = Membership.objects.filter(organization=organization, user=user).first()
        require(membership, Action.CREATE_KEY)
        for _ in range(PREFIX_ATTEMPTS):
            prefix = _random(PREFIX_LENGTH)
            try:
                with transaction.atomic():
                    key = ApiKey.objects.create(
                        organization=organization,
                        user=user,
                        name=name,
                        prefix=prefix,
                        hashed_secret=hashed,
                        expires_at=expires_at,
                        scopes=sorted(set(scopes or [])),
                    )
            except IntegrityError:
                continue  # the prefix is taken: draw another
            return NewKey(key=key, token=f"{prefix}.{secret}")
    raise ApiKeyError("Could not find a free key prefix; try again.")


def api_key_revoke(*, key: ApiKey, membership: Membership | None = None) -> ApiKey:
    """Revoke `key`. With `membership` (a member acting in the key's organization), the policy
    decides whether they may; without, the caller is an operator (the admin, a command)."""
    if membership is not None:
        creator = Membership.objects.filter(
            organization_id=key.organization_id, user_id=key.user_id
        ).first()
        if membership.organization_id != key.organization_id:
            raise ApiKeyError("This key belongs to another organization.")
        require(membership, Action.MANAGE_KEY, target=creator)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_keys_revoke_for_member(*, membership: Membership) -> list[int]:
    """Revoke every active key `membership`'s person made in its organization (they are leaving
    it); returns their ids."""
    keys = ApiKey.objects.filter(
        organization_id=membership.organization_id,
        user_id=membership.user_id,
        revoked_at__isnull=True,
    )
    ids = list(keys.values_list("pk", flat=True))
    ApiKey.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
    return ids


def api_key_touch(*, key: ApiKey, now: datetime | None = None) -> None:
    """Record use, at most once a minute per key: a busy key does not write on every call."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def api_key_rehash(*, key: ApiKey, secret: str) -> None:
    key.hashed_secret = secret_hash(secret)
    ApiKey.objects.filter(pk=key.pk).update(hashed_secret=key.hashed_secret)
