import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.authentication import api_key_authenticate
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create, api_key_revoke
from quickscale.apps.services.services import service_run
from tests.orgs import personal

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = re.compile(r'value="([A-Za-z0-9]{4}\.[A-Za-z0-9]{32})"')


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user(email="eve@example.com")


def create_form(client):
    """The create form as the page shows it, with its one-time nonce."""
    form = client.get(reverse("account_api_keys")).context["form"]
    return {"name": "laptop", "nonce": form.initial["nonce"]}


def shown_token(response):
    found = TOKEN.findall(response.content.decode())
    return found[0] if found else None


def fund_and_run(user, key=None, times=1, service="text_statistics"):
    credits_grant(
        organization=personal(user),
        amount=1000,
        kind="payg",
        idempotency_key=f"fund-{user.pk}-{times}-{service}",
    )
    return [
        service_run(
            organization=personal(user),
            user=user,
            name=service,
            data={"text": f"call {i}"},
            api_key=key,
        )[0]
        for i in range(times)
    ]


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "account_api_keys", []),
        ("post", "account_api_key_create", []),
        ("get", "account_api_key_revoke", [1]),
        ("get", "account_api_usage", []),
    ],
)
def test_the_pages_send_visitors_to_log_in(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_creating_a_key_without_javascript_shows_the_secret_once(signed_in, customer):
    response = signed_in.post(reverse("account_api_key_create"), create_form(signed_in))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = shown_token(response)
    assert token is not None
    assert "only time it is shown" in response.content.decode()
    key = ApiKey.objects.get(user=customer)
    assert api_key_authenticate(f"Bearer {token}") == key
    assert token.split(".")[1] not in key.hashed_secret
    assert [k.prefix for k in response.context["keys"]] == [key.prefix]

    again = signed_in.get(reverse("account_api_keys"))
    assert shown_token(again) is None
    assert f"{key.prefix}…" in again.content.decode()


def test_sending_the_create_form_twice_makes_one_key_and_shows_no_secret_again(signed_in):
    form = create_form(signed_in)
    signed_in.post(reverse("account_api_key_create"), form)
    resent = signed_in.post(reverse("account_api_key_create"), form, follow=True)
    assert ApiKey.objects.count() == 1
    assert shown_token(resent) is None
    assert "already sent" in resent.content.decode()


def test_creating_over_htmx_answers_the_form_fragment_and_the_new_row_out_of_band(
    signed_in, customer
):
    response = signed_in.post(
        reverse("account_api_key_create"),
        {**create_form(signed_in), "name": "ci runner"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert shown_token(response) is not None
    key = ApiKey.objects.get(user=customer)
    assert 'id="api-key-list" hx-swap-oob="true"' in html
    assert f'id="api-key-{key.pk}"' in html and "ci runner" in html


def test_a_key_needs_a_name_and_a_future_expiry(signed_in):
    blank = signed_in.post(
        reverse("account_api_key_create"), {**create_form(signed_in), "name": "  "}, **HTMX
    )
    assert blank.status_code == 422
    assert "This field is required." in blank.content.decode()
    past = signed_in.post(
        reverse("account_api_key_create"),
        {**create_form(signed_in), "expires_at": "2001-01-01T00:00"},
    )
    assert "Choose a time in the future." in past.content.decode()
    assert shown_token(past) is None
    assert not ApiKey.objects.exists()


def test_a_key_created_with_an_expiry_and_scopes_keeps_them(signed_in, customer):
    expires = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    signed_in.post(
        reverse("account_api_key_create"),
        {**create_form(signed_in), "expires_at": expires, "scopes": ["sentiment"]},
    )
    key = ApiKey.objects.get(user=customer)
    assert key.scopes == ["sentiment"]
    assert key.allows("sentiment") and not key.allows("keywords")
    assert key.expires_at.strftime("%Y-%m-%dT%H:%M") == expires
    row = signed_in.get(reverse("account_api_keys")).content.decode()
    assert "sentiment" in row and key.expires_at.strftime("%-d %b %Y") in row


def test_an_unknown_service_cannot_be_a_scope(signed_in):
    response = signed_in.post(
        reverse("account_api_key_create"), {**create_form(signed_in), "scopes": ["nope"]}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_list_shows_the_user_s_keys_with_their_status(signed_in, customer, stranger):
    active = api_key_create(organization=personal(customer), user=customer, name="active one").key
    revoked = api_key_revoke(
        key=api_key_create(organization=personal(customer), user=customer, name="old one").key
    )
    expired = api_key_create(
        organization=personal(customer),
        user=customer,
        name="lapsed one",
        expires_at=timezone.now() + timedelta(seconds=1),
    ).key
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    other = api_key_create(organization=personal(stranger), user=stranger, name="eve's key").key
    response = signed_in.get(reverse("account_api_keys"))
    assert {k.pk for k in response.context["keys"]} == {active.pk, revoked.pk, expired.pk}
    html = response.content.decode()
    assert other.prefix not in html and "eve&#x27;s key" not in html
    statuses = re.findall(r'<span class="tag [^"]*">(Active|Revoked|Expired)</span>', html)
    assert sorted(statuses) == ["Active", "Expired", "Revoked"]
    # Only the active key offers a revoke button.
    assert html.count(">Revoke</a>") == 1


def test_revoking_asks_first_then_revokes_and_the_key_stops_working(signed_in, customer):
    new = api_key_create(organization=personal(customer), user=customer, name="laptop")
    url = reverse("account_api_key_revoke", args=[new.key.pk])
    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert "“laptop”" in confirm.content.decode()
    assert "cannot be undone" in confirm.content.decode()
    new.key.refresh_from_db()
    assert new.key.revoked_at is None  # asking is not revoking

    response = signed_in.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_api_keys")
    assert "was revoked" in response.content.decode()
    new.key.refresh_from_db()
    assert new.key.status() == "revoked"
    denied = Client().get("/api/v1/credits/balance", HTTP_AUTHORIZATION=f"Bearer {new.token}")
    assert denied.status_code == 401


def test_revoking_over_htmx_swaps_a_confirmation_row_then_the_list(signed_in, customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    url = reverse("account_api_key_revoke", args=[key.pk])
    row = signed_in.get(url, **HTMX)
    html = row.content.decode()
    assert html.lstrip().startswith(f'<tr id="api-key-{key.pk}"')
    assert 'hx-post="' + url + '"' in html
    listing = signed_in.post(url, **HTMX)
    html = listing.content.decode()
    assert html.lstrip().startswith('<div id="api-key-list"')
    assert "was revoked" in html and ">Revoked</span>" in html


def test_another_user_s_key_is_not_found_and_stays_active(signed_in, stranger):
    key = api_key_create(organization=personal(stranger), user=stranger, name="eve's key").key
    url = reverse("account_api_key_revoke", args=[key.pk])
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url).status_code == 404
    assert signed_in.post(url, **HTMX).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_revoking_needs_the_csrf_token(customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    response = client.post(reverse("account_api_key_revoke", args=[key.pk]))
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_usage_page_lists_the_user_s_runs_with_their_key(signed_in, customer, stranger):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    fund_and_run(customer, key)
    fund_and_run(customer, service="sentiment")
    fund_and_run(stranger, service="keywords")
    response = signed_in.get(reverse("account_api_usage"))
    runs = response.context["usage"].items
    assert [r.service for r in runs] == ["sentiment", "text_statistics"]
    html = response.content.decode()
    assert f"<code>{key.prefix}…</code>" in html
    assert "keywords" not in html
    assert "Succeeded" in html
    assert 'aria-current="page">Usage</a>' in html


def test_usage_pages_by_keyset_both_ways(signed_in, customer):
    runs = fund_and_run(customer, times=30)
    first = signed_in.get(reverse("account_api_usage")).context["usage"]
    assert len(first.items) == 25 and first.newer is None and first.older is not None
    assert first.items[0].pk == runs[-1].pk
    second = signed_in.get(reverse("account_api_usage"), {"before": first.older})
    assert [r.pk for r in second.context["usage"].items] == [r.pk for r in reversed(runs[:5])]
    assert second.context["usage"].older is None
    back = signed_in.get(
        reverse("account_api_usage"), {"after": second.context["usage"].newer}, **HTMX
    )
    assert back.content.decode().lstrip().startswith('<div id="api-usage"')
    assert [r.pk for r in back.context["usage"].items] == [r.pk for r in first.items]


def test_a_cursor_that_is_not_understood_shows_the_newest_page_with_400(signed_in, customer):
    fund_and_run(customer)
    response = signed_in.get(reverse("account_api_usage"), {"before": "yesterday"})
    assert response.status_code == 400
    assert len(response.context["usage"].items) == 1


def test_the_account_menu_links_the_api_pages(signed_in):
    html = signed_in.get(reverse("account_api_keys")).content.decode()
    assert 'aria-current="page">API keys</a>' in html
    assert f'href="{reverse("account_api_usage")}"' in html


def test_cancelling_a_revocation_over_htmx_gets_the_list_alone(signed_in, customer):
    key = api_key_create(organization=personal(customer), user=customer, name="laptop").key
    response = signed_in.get(reverse("account_api_keys"), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="api-key-list"') and "<html" not in html
    assert f'id="api-key-{key.pk}"' in html and ">Revoke</a>" in html
