"""The development tools under the Content-Security-Policy: a generated project's own
`runserver` with DEBUG on, as its developer runs it. django-browser-reload must connect, the
template source map must mark the page, the visual snapshot must work, and nothing may break
the policy."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from types import SimpleNamespace

import pytest

from tests.template.conftest import manage
from tests.test_csp_browser import PolicyWatch

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STARTUP_TIMEOUT = 60  # seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dev_server(project):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "QUICKSCALE_TEST"))
    }
    environment.pop("DATABASE_URL", None)  # the project's own SQLite file
    manage(project, "migrate", "--noinput", env={"DATABASE_URL": ""})
    port = _free_port()
    # With its autoreloader, which is what tells django-browser-reload that a file changed.
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5):
                break
        except OSError:
            assert process.poll() is None, "runserver exited"
            assert time.monotonic() < deadline, "runserver did not answer"
            time.sleep(0.2)
    yield SimpleNamespace(url=url, project=project)
    os.killpg(process.pid, signal.SIGTERM)  # the autoreloader's child process too
    process.wait(timeout=30)


def test_browser_reload_and_the_source_map_work_under_the_policy(browser, dev_server):
    context = browser.new_context(base_url=dev_server.url)
    page = context.new_page()
    watch = PolicyWatch(page, dev_server)
    watch.load_state = "load"
    watch.visit("/accounts/login/")
    watch.visit("/")
    sources = page.locator("[data-qs-src]")
    assert sources.count() > 0
    assert sources.first.get_attribute("data-qs-src").startswith("base.html:")

    # A template edited while the page is open: the page reloads by itself and shows it.
    page.wait_for_timeout(1000)  # the listener's worker connects to the event stream
    home = dev_server.project / "templates/pages/home.html"
    home.write_text(
        home.read_text().replace("{% block main %}", "{% block main %}<p>Reloaded.</p>")
    )
    page.get_by_text("Reloaded.").wait_for(timeout=20000)
    watch.check("after the reload")
    context.close()


def test_the_visual_snapshot_works_under_the_policy(dev_server, tmp_path):
    result = manage(
        dev_server.project,
        "quickscale_visual",
        "snapshot",
        "/",
        "--base-url",
        dev_server.url,
        "--out",
        str(tmp_path),
        env={"DATABASE_URL": ""},
    )
    assert "pages/home.html" in result.stdout
    assert (tmp_path / "screenshot.png").stat().st_size > 0
