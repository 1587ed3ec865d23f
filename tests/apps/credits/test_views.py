import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.apps.credits.helpers import DAY, MONTH, NOW, consume, grant

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_credit_page_needs_a_signed_in_user(client):
    response = client.get(reverse("credits_overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_shows_the_balance_by_kind_and_the_next_expiry(signed_in, user):
    grant(user, 40, "subscription", expires_in=MONTH, now=NOW - DAY)
    grant(user, 10, "payg")
    response = signed_in.get(reverse("credits_overview"))
    balance = response.context["balance"]
    assert (balance.total, balance.subscription, balance.payg) == (50, 40, 10)
    assert "40 credits expire on" in response.content.decode()


def test_the_ledger_pages_by_keyset_and_filters_by_kind(signed_in, user):
    grant(user, 1000)
    for index in range(30):
        consume(user, 1, description=f"call {index}")
    first = signed_in.get(reverse("credits_overview"))
    page = first.context["ledger"]
    assert len(page.items) == 25 and page.newer is None and page.older is not None
    assert page.items[0].description == "call 29"
    second = signed_in.get(reverse("credits_overview"), {"before": page.older})
    assert [e.description for e in second.context["ledger"].items][-1] == ""  # the grant
    assert len(second.context["ledger"].items) == 6
    back = signed_in.get(reverse("credits_overview"), {"after": second.context["ledger"].newer})
    assert [e.pk for e in back.context["ledger"].items] == [e.pk for e in page.items]
    grants = signed_in.get(reverse("credits_overview"), {"kind": "grant"})
    assert [e.kind for e in grants.context["ledger"].items] == ["grant"]


def test_the_page_links_keep_the_kind_filter(signed_in, user):
    grant(user, 1000)
    for index in range(30):
        consume(user, 1, description=f"call {index}")
    older = signed_in.get(reverse("credits_overview"), {"kind": "debit"}).context["ledger"].older
    html = signed_in.get(reverse("credits_overview"), {"kind": "debit"}).content.decode()
    assert f'href="?kind=debit&amp;before={older}"' in html
    assert f'hx-get="?kind=debit&amp;before={older}"' in html
    newer_page = signed_in.get(reverse("credits_overview"), {"kind": "debit", "before": older})
    newer = newer_page.context["ledger"].newer
    assert f'href="?kind=debit&amp;after={newer}"' in newer_page.content.decode()


def test_htmx_asks_for_the_ledger_fragment_alone(signed_in, user):
    grant(user, 5)
    response = signed_in.get(reverse("credits_overview"), {"kind": "grant"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="credit-ledger">')
    assert "<main" not in html


def test_a_bad_filter_is_answered_400_with_the_unfiltered_page(signed_in, user):
    grant(user, 5)
    response = signed_in.get(reverse("credits_overview"), {"kind": "gold", "before": "abc"})
    assert response.status_code == 400
    assert len(response.context["ledger"].items) == 1


def test_a_user_sees_only_their_own_ledger(signed_in, user):
    other = get_user_model().objects.create_user(email="bob@example.com")
    grant(other, 99, description="bob's pack")
    response = signed_in.get(reverse("credits_overview"))
    assert "bob's pack" not in response.content.decode()
    assert response.context["balance"].total == 0
