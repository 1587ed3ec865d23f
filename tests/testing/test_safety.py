import django.core.mail
import pytest
from django.core.exceptions import ImproperlyConfigured

from quickscale.testing.fakestripe import FakeStripe


@pytest.fixture
def outside_tests(monkeypatch, settings):
    """As in a running project: no test environment, DEBUG off."""
    monkeypatch.delattr(django.core.mail, "outbox")
    settings.DEBUG = False


def test_install_refuses_with_debug_off_outside_tests(outside_tests):
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        FakeStripe().install()


def test_serve_refuses_with_debug_off_outside_tests(outside_tests):
    with pytest.raises(ImproperlyConfigured, match="never run in production"):
        FakeStripe().serve()


def test_runs_with_debug_on(outside_tests, settings):
    import stripe

    settings.DEBUG = True
    fake = FakeStripe()
    with fake.installed():
        assert stripe.default_http_client is fake.http_client
    assert stripe.default_http_client is not fake.http_client
