"""A member removed while a request of theirs is on its way gets nothing: no new key, no
charge. Removal revokes keys and deletes the membership under the organization's lock, and
both key creation and the charge check again under that lock."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from quickscale.apps.credits.models import LedgerEntry
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_keys_revoke_for_member
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.services.models import ServiceRun
from quickscale.apps.services.services import service_run
from quickscale.exceptions import ApiKeyRevokedError, OrganizationPermissionError
from tests.orgs import team

TEXT = {"text": "one two"}


def people():
    owner = get_user_model().objects.create_user(email="owner@example.com")
    dev = get_user_model().objects.create_user(email="dev@example.com")
    organization = team(owner, "Acme", member=[dev])
    credits_grant(organization=organization, amount=10, kind="payg", idempotency_key="fund")
    return organization, dev


@pytest.mark.django_db
def test_a_key_revoked_after_its_call_was_authenticated_is_not_charged():
    organization, dev = people()
    token = api_key_create(organization=organization, user=dev, name="ci").token
    key = api_key_authenticate(f"Bearer {token}")
    assert isinstance(key, ApiKey)
    # The member is removed (their keys revoked) between authentication and the charge.
    api_keys_revoke_for_member(
        membership=Membership.objects.get(user=dev, organization=organization)
    )
    with pytest.raises(ApiKeyRevokedError):
        service_run(
            organization=organization, user=dev, name="text_statistics", data=TEXT, api_key=key
        )
    assert not ServiceRun.objects.exists()
    assert not LedgerEntry.objects.filter(kind="debit").exists()
    assert credit_balance_get(organization=organization).total == 10


@pytest.mark.django_db
def test_a_browser_call_of_someone_no_longer_a_member_is_not_charged():
    organization, dev = people()
    Membership.objects.filter(user=dev, organization=organization).delete()
    with pytest.raises(OrganizationPermissionError):
        service_run(organization=organization, user=dev, name="text_statistics", data=TEXT)
    assert not ServiceRun.objects.exists()
    assert credit_balance_get(organization=organization).total == 10


@pytest.mark.django_db(transaction=True)
def test_a_key_is_not_made_for_a_member_whose_removal_commits_while_it_is_being_made():
    if connection.vendor != "postgresql":
        pytest.skip("two transactions at once need PostgreSQL")
    organization, dev = people()
    locked, removed = threading.Event(), threading.Event()

    def remove():
        try:
            with transaction.atomic():
                Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
                locked.set()
                time.sleep(0.3)  # the key's creation is waiting for this lock meanwhile
                Membership.objects.filter(user=dev, organization=organization).delete()
            removed.set()
        finally:
            connections.close_all()

    remover = threading.Thread(target=remove)
    remover.start()
    assert locked.wait(5)
    with pytest.raises(OrganizationPermissionError):
        api_key_create(organization=organization, user=dev, name="late")
    remover.join()
    assert removed.is_set()
    assert not ApiKey.objects.filter(name="late").exists()
