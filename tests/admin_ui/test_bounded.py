"""QuickScale's admin pages answer input the database cannot take with a message, not a 500."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from quickscale.apps.services.models import ServiceConfig

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    User = get_user_model()
    client.force_login(User.objects.create_superuser(email="root@example.com", password="x"))
    return client


ADMIN_SEARCHES = [
    "quickscale_accounts_user_changelist",
    "quickscale_keys_apikey_changelist",
    "quickscale_credits_creditaccount_changelist",
    "quickscale_credits_creditlot_changelist",
    "quickscale_credits_ledgerentry_changelist",
    "quickscale_services_serviceconfig_changelist",
    "quickscale_services_servicerun_changelist",
]


@pytest.mark.parametrize("changelist", ADMIN_SEARCHES)
@pytest.mark.parametrize("term", ["x" * 60_000, "é" * 30_000, "x" * 257])
def test_a_search_the_database_cannot_take_finds_nothing_and_says_why(
    admin_client, changelist, term
):
    response = admin_client.get(reverse(f"admin:{changelist}"), {"q": term})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert "a search has at most 256 characters" in response.content.decode()


def test_an_ordinary_search_still_finds(admin_client):
    response = admin_client.get(reverse("admin:quickscale_accounts_user_changelist"), {"q": "root"})
    assert response.context["cl"].result_count == 1


IMPOSSIBLE = [str(2**63), str(2**64), str(-(2**63) - 1), "", "abc", "1.5", "²"]


@pytest.mark.parametrize("changelist", ADMIN_SEARCHES)
@pytest.mark.parametrize("pk", IMPOSSIBLE)
def test_an_action_on_an_id_that_cannot_exist_changes_nothing_and_says_why(
    admin_client, changelist, pk
):
    User = get_user_model()
    before = User.objects.count()
    response = admin_client.post(
        reverse(f"admin:{changelist}"),
        {"action": "delete_selected", "_selected_action": [pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "names a row id that cannot exist" in response.content.decode()
    assert User.objects.count() == before


@pytest.mark.parametrize("pk", IMPOSSIBLE)
def test_list_edits_naming_an_id_that_cannot_exist_change_nothing_and_say_why(admin_client, pk):
    config = ServiceConfig.objects.create(name="sentiment", enabled=True)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": pk,
        "form-0-enabled": "",
        "_save": "Save",
    }
    response = admin_client.post(
        reverse("admin:quickscale_services_serviceconfig_changelist"), data, follow=True
    )
    assert response.status_code == 200
    assert "names a row id that cannot exist" in response.content.decode()
    config.refresh_from_db()
    assert config.enabled


def test_list_edits_still_save(admin_client):
    config = ServiceConfig.objects.create(name="sentiment", enabled=True)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(config.pk),
        "_save": "Save",
    }
    response = admin_client.post(
        reverse("admin:quickscale_services_serviceconfig_changelist"), data
    )
    assert response.status_code == 302
    config.refresh_from_db()
    assert not config.enabled


FILTERS = {
    "quickscale_accounts_user_changelist": "is_active__exact",
    "quickscale_keys_apikey_changelist": "status",
    "quickscale_credits_creditlot_changelist": "source_type",
    "quickscale_credits_ledgerentry_changelist": "kind__exact",
    "quickscale_services_servicerun_changelist": "status__exact",
}


@pytest.mark.parametrize("changelist", FILTERS)
def test_a_filter_with_a_nul_character_shows_the_list_unfiltered_and_says_why(
    admin_client, changelist
):
    response = admin_client.get(
        reverse(f"admin:{changelist}"), {FILTERS[changelist]: "a\x00b"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(f"admin:{changelist}")
    assert "a filter held a NUL character" in response.content.decode()
