"""The precompiled statements of the API's hot path give what the ORM gives."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.models import Model
from django.utils import timezone

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.models import RunStatus, ServiceRun
from quickscale.db import LookupWithRelated, update_fields
from tests.orgs import personal

pytestmark = pytest.mark.django_db
KEY_BY_PREFIX = LookupWithRelated(ApiKey, "prefix", "user")


def values(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_a_lookup_gives_the_row_and_its_related_row_as_the_orm_does():
    user = get_user_model().objects.create_user(email="lookup@example.com", is_active=False)
    key = api_key_create(
        organization=personal(user),
        user=user,
        name="ci",
        expires_at=timezone.now() + timedelta(days=3),
        scopes=["sentiment", "text_statistics"],
    ).key
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())

    found = KEY_BY_PREFIX.first(key.prefix)
    expected = ApiKey.objects.select_related("user").get(pk=key.pk)

    assert values(found) == values(expected)
    assert values(found.user) == values(expected.user)
    assert found.scopes == ["sentiment", "text_statistics"]
    assert found.user.is_active is False and timezone.is_aware(found.expires_at)
    assert not found._state.adding and found._state.db == "default"
    assert KEY_BY_PREFIX.first("none") is None


def test_update_fields_writes_json_null_and_links_as_save_does():
    user = get_user_model().objects.create_user(email="update@example.com")
    refund = credits_grant(organization=personal(user), amount=1, kind="payg", idempotency_key="g")
    run = ServiceRun.objects.create(
        organization=personal(user), user=user, service="s", input_size=1, request_hash="h"
    )
    run.status, run.result, run.refund, run.duration_ms = (
        RunStatus.FAILED,
        {"nested": [1, "two", None]},
        refund,
        7,
    )
    update_fields(run, ["status", "result", "refund", "duration_ms"])
    stored = ServiceRun.objects.get(pk=run.pk)
    assert (stored.status, stored.result, stored.refund_id, stored.duration_ms) == (
        RunStatus.FAILED,
        {"nested": [1, "two", None]},
        refund.pk,
        7,
    )
    run.result, run.refund = None, None
    update_fields(run, ["result", "refund"])
    stored = ServiceRun.objects.get(pk=run.pk)
    assert stored.result is None and stored.refund_id is None and stored.duration_ms == 7


def test_update_fields_of_a_row_that_is_gone_raises():
    user = get_user_model().objects.create_user(email="gone@example.com")
    run = ServiceRun.objects.create(
        organization=personal(user), user=user, service="s", input_size=1, request_hash="h"
    )
    ServiceRun.objects.filter(pk=run.pk).delete()
    with pytest.raises(DatabaseError, match="not in the database"):
        update_fields(run, ["status"])
