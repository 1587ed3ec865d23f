import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="ada@example.com", password="x")


@pytest.fixture
def other():
    return get_user_model().objects.create_user(email="bob@example.com", password="x", name="Bob")


def test_the_account_page_sends_visitors_to_log_in(client):
    response = client.get(reverse("account_overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_account_page_shows_the_profile_form_and_sign_in_links(client, user):
    client.force_login(user)
    response = client.get(reverse("account_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="profile-form"' in html
    assert reverse("account_change_password") in html
    assert reverse("account_email") in html


def test_saving_the_profile_without_javascript_redirects_with_a_message(client, user):
    client.force_login(user)
    response = client.post(
        reverse("account_profile_update"), {"name": " Ada Lovelace "}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_overview")
    assert "Your profile was saved." in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"


def test_saving_the_profile_through_htmx_returns_only_the_form_fragment(client, user):
    client.force_login(user)
    response = client.post(reverse("account_profile_update"), {"name": "Ada"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in html
    assert "Saved." in html


def test_an_invalid_profile_is_refused_with_the_reason_and_nothing_changes(client, user):
    user.name = "Ada"
    user.save()
    client.force_login(user)
    response = client.post(reverse("account_profile_update"), {"name": "x" * 151}, **HTMX)
    assert response.status_code == 422
    assert "at most 150 characters" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Ada"


def test_saving_touches_only_the_signed_in_user(client, user, other):
    client.force_login(user)
    client.post(reverse("account_profile_update"), {"name": "Ada", "email": other.email})
    other.refresh_from_db()
    user.refresh_from_db()
    assert (user.name, user.email) == ("Ada", "ada@example.com")
    assert other.name == "Bob"


def test_the_profile_endpoint_takes_only_posts(client, user):
    client.force_login(user)
    assert client.get(reverse("account_profile_update")).status_code == 405


def test_an_invalid_profile_without_javascript_shows_the_whole_page_again(client, user):
    client.force_login(user)
    response = client.post(reverse("account_profile_update"), {"name": "x" * 151})
    assert response.status_code == 200
    assert "<main" in response.content.decode()
    assert "at most 150 characters" in response.content.decode()


def test_an_htmx_request_whose_session_expired_navigates_the_whole_page_to_log_in(client):
    response = client.post(reverse("account_profile_update"), {"name": "Ada"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))
