"""Package tests run inside a real generated project: its settings, templates and static files.

The project is generated once per test process, before pytest-django sets Django up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

TEST_PROJECT_PACKAGE = "testproject"
CHROMIUM = Path(os.environ.get("QUICKSCALE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_generated_root: Path | None = None


def generate_project(parent: Path, name: str = TEST_PROJECT_PACKAGE, *extra: str) -> Path:
    target = parent / name
    subprocess.run(
        [sys.executable, "-m", "quickscale", "init", name, "--directory", str(target), *extra],
        check=True,
        capture_output=True,
        cwd=parent,
    )
    return target


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    global _generated_root
    # dj-stripe 2.11's admin forms build URLFields the way Django 6.0 will change.
    warnings.filterwarnings("ignore", "The default scheme will be changed", module="djstripe")
    # xdist workers inherit the environment of the process that generated the project.
    existing = os.environ.get("QUICKSCALE_TEST_PROJECT")
    if existing:
        project = Path(existing)
    else:
        _generated_root = Path(tempfile.mkdtemp(prefix="quickscale-tests-"))
        project = generate_project(_generated_root)
        os.environ["QUICKSCALE_TEST_PROJECT"] = str(project)
    if str(project) not in sys.path:
        sys.path.append(str(project))
    os.environ["DJANGO_SETTINGS_MODULE"] = f"{TEST_PROJECT_PACKAGE}.settings"
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018  (loads the settings so pytest-django sets Django up)
    # Workers would otherwise try to import the settings before this hook puts them on the path.
    del os.environ["DJANGO_SETTINGS_MODULE"]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _generated_root is not None:
        shutil.rmtree(_generated_root, ignore_errors=True)


@pytest.fixture(scope="session")
def test_project_dir() -> Path:
    return Path(os.environ["QUICKSCALE_TEST_PROJECT"])


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright; skipped where missing unless CI requires it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("QUICKSCALE_REQUIRE_BROWSER"):
            pytest.fail(f"Browser tests are required here, but {message}.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits live in the cache; one test's attempts must not count against the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return (
        f"quickscale test project: {os.environ['QUICKSCALE_TEST_PROJECT']} on {database['ENGINE']}"
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.2 s a hash by design; the tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_stripe(settings):
    """The fake Stripe installed as the SDK's HTTP client, its webhooks sent through Django's
    test client, and the project's Stripe key set to a test key the fake accepts."""
    import stripe

    from quickscale.testing.fakestripe import FAKE_SECRET_KEY, FakeStripe, django_client_deliverer

    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    previous_key = stripe.api_key
    stripe.api_key = FAKE_SECRET_KEY
    fake = FakeStripe(api_version=settings.STRIPE_API_VERSION, deliver=django_client_deliverer())
    with fake.installed():
        yield fake
    stripe.api_key = previous_key
