import pytest


@pytest.fixture
def customer(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(email="dev@example.com")


@pytest.fixture
def token(customer):
    from quickscale.apps.api.services import api_key_create

    return api_key_create(user=customer, name="laptop").token


@pytest.fixture
def api(client, token):
    """A test client that sends the key with every request."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client
