import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from tests.orgs import personal

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'value="([A-Za-z0-9]{4}\.[A-Za-z0-9]{32})"')


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(admin)
    return admin


def url(name, *args):
    return reverse(f"admin:quickscale_keys_apikey_{name}", args=args)


def listed(response):
    return [key.prefix for key in response.context["cl"].result_list]


def test_the_list_shows_keys_by_user_prefix_name_and_status_but_no_secret(
    client, operator, customer
):
    new = api_key_create(organization=personal(customer), user=customer, name="laptop")
    api_key_revoke(
        key=api_key_create(organization=personal(customer), user=customer, name="old").key
    )
    response = client.get(url("changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert new.key.prefix in html and "laptop" in html and customer.email in html
    assert "Active" in html and "Revoked" in html
    assert new.key.hashed_secret not in html and new.token not in html


def test_the_list_filters_by_status_and_searches_by_prefix_or_email(client, operator, customer):
    active = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    revoked = api_key_revoke(
        key=api_key_create(organization=personal(customer), user=customer, name="old").key
    )
    expired = api_key_create(
        organization=personal(customer),
        user=customer,
        name="lapsed",
        expires_at=timezone.now() + timedelta(seconds=1),
    ).key
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    for status, key in (("active", active), ("revoked", revoked), ("expired", expired)):
        assert listed(client.get(url("changelist"), {"status": status})) == [key.prefix]
    assert listed(client.get(url("changelist"), {"q": active.prefix})) == [active.prefix]
    assert len(listed(client.get(url("changelist"), {"q": "dev@example"}))) == 3


def test_a_key_s_page_is_read_only_and_shows_no_hash(client, operator, customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    page = client.get(url("change", key.pk))
    assert page.status_code == 200
    assert key.hashed_secret not in page.content.decode()
    assert 'name="name"' not in page.content.decode()
    client.post(url("change", key.pk), {"name": "renamed", "user": customer.pk})
    key.refresh_from_db()
    assert key.name == "laptop"


def test_keys_cannot_be_deleted(client, operator, customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    assert client.post(url("delete", key.pk), {"post": "yes"}).status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_the_revoke_action_revokes_the_selected_keys(client, operator, customer):
    chosen = api_key_create(organization=personal(customer), user=customer, name="laptop")
    spared = api_key_create(organization=personal(customer), user=customer, name="server")
    response = client.post(
        url("changelist"),
        {"action": "revoke_selected", "_selected_action": [chosen.key.pk]},
        follow=True,
    )
    assert "Revoked 1 key." in response.content.decode()
    assert api_key_authenticate(f"Bearer {chosen.token}").code == "revoked_key"
    assert api_key_authenticate(f"Bearer {spared.token}") == spared.key


def test_staff_without_the_change_permission_cannot_revoke(customer):
    staff = get_user_model().objects.create_user(email="viewer@example.com", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_apikey", content_type__app_label="quickscale_keys")
    )
    client = Client()
    client.force_login(staff)
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    page = client.get(url("changelist"))
    assert page.status_code == 200 and "revoke_selected" not in page.content.decode()
    client.post(url("changelist"), {"action": "revoke_selected", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is None


def test_adding_a_key_goes_through_the_service_and_shows_the_token_once(client, operator, customer):
    form = client.get(url("add"))
    assert form.status_code == 200 and 'name="hashed_secret"' not in form.content.decode()
    response = client.post(
        url("add"), {"user": "Dev@Example.com", "name": "support", "scopes": ["sentiment"]}
    )
    assert response.status_code == 200
    token = TOKEN.findall(response.content.decode())[0]
    key = ApiKey.objects.get()
    assert (key.user, key.name, key.scopes) == (customer, "support", ["sentiment"])
    assert api_key_authenticate(f"Bearer {token}") == key
    entry = LogEntry.objects.get()
    assert entry.object_id == str(key.pk) and token not in entry.change_message
    assert not TOKEN.findall(client.get(url("change", key.pk)).content.decode())


def test_adding_a_key_for_an_unknown_user_or_in_the_past_creates_nothing(client, operator):
    unknown = client.post(url("add"), {"user": "nobody@example.com", "name": "x"})
    assert "No user has the e-mail address nobody@example.com." in unknown.content.decode()
    get_user_model().objects.create_user(email="dev@example.com")
    past = client.post(
        url("add"),
        {"user": "dev@example.com", "name": "x", "expires_at": "2001-01-01T00:00"},
    )
    assert "Choose a time in the future." in past.content.decode()
    assert not ApiKey.objects.exists()
