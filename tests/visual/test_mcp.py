"""The AI loop through the MCP SDK's own client over stdio, against a live development server."""

import asyncio
import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import CHROMIUM, generate_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOME = "templates/pages/home.html"


def _environment():
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    if not CHROMIUM.exists():
        if os.environ.get("QUICKSCALE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required here")
        pytest.skip(f"{CHROMIUM} is not installed")
    project = generate_project(tmp_path_factory.mktemp("visual"), "visual_demo")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=_environment(), check=True
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # With the autoreloader, as in development: a changed template is picked up at once.
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=project,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    yield project, base
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)


async def _session_run(project: Path, base: str, steps):
    params = StdioServerParameters(
        command=sys.executable,
        args=["manage.py", "quickscale_visual", "mcp", "--url", base],
        cwd=str(project),
        env=_environment(),
    )
    async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        return await steps(session)


def run_session(dev_server, steps):
    project, base = dev_server
    # In its own thread: Playwright's sync API (other tests' browser) keeps a loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _session_run(project, base, steps)).result()


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def image_of(result) -> bytes:
    return next(
        base64.b64decode(c.data) for c in result.content if getattr(c, "type", "") == "image"
    )


def test_see_find_edit_see_again_and_undo(dev_server):
    project, _ = dev_server
    original = (project / HOME).read_text()

    async def steps(session):
        before = await session.call_tool("snapshot", {"path": "/"})
        assert not before.is_error, text_of(before)
        assert 'h1 "Visual Demo"' in text_of(before)
        found = await session.call_tool("find_element", {"path": "/", "text": "Visual Demo"})
        location = next(
            line for line in text_of(found).splitlines() if line.startswith(HOME) and "<h1>" in line
        )
        file, _, rest = location.partition(":")
        line_number = int(rest.split()[0])
        template = text_of(await session.call_tool("read_file", {"path": file}))
        lines = template.splitlines(keepends=True)
        assert "<h1" in lines[line_number - 1]
        lines[line_number - 1] = lines[line_number - 1].replace("{{ site_name }}", "Launch faster")
        after = await session.call_tool(
            "write_file", {"path": file, "content": "".join(lines), "page": "/"}
        )
        assert not after.is_error, text_of(after)
        assert 'h1 "Launch faster"' in text_of(after)
        assert image_of(after) != image_of(before)
        undone = await session.call_tool("undo", {"page": "/"})
        assert 'h1 "Visual Demo"' in text_of(undone)
        return image_of(before), image_of(undone)

    before, undone = run_session(dev_server, steps)
    assert (project / HOME).read_text() == original
    assert len(before) > 10_000 and len(undone) > 10_000


def test_bad_writes_and_missing_pages_are_refused_and_change_nothing(dev_server, tmp_path):
    project, _ = dev_server
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, project / "templates" / "escape")

    def files():
        return {
            p: p.read_bytes()
            for p in project.rglob("*")
            if p.is_file()
            and ".quickscale" not in p.parts
            and "__pycache__" not in p.parts
            and p.suffix != ".sqlite3"
        }

    before = files()

    async def steps(session):
        refusals = [
            await session.call_tool("write_file", {"path": HOME, "content": "{% if %}<h1>broken"}),
            await session.call_tool("write_file", {"path": "../manage.py", "content": "x"}),
            await session.call_tool(
                "write_file", {"path": "templates/../manage.py", "content": "x"}
            ),
            await session.call_tool(
                "write_file", {"path": "templates/escape/x.html", "content": "x"}
            ),
            await session.call_tool("snapshot", {"path": "/no-such-page/"}),
        ]
        return [(r.is_error, text_of(r)) for r in refusals]

    results = run_session(dev_server, steps)
    assert all(is_error for is_error, _ in results), results
    assert "does not compile" in results[0][1]
    assert "templates/ or static/" in results[1][1]
    assert "symbolic link" in results[3][1]
    assert "404" in results[4][1]
    assert files() == before
    assert not list(outside.iterdir())
    (project / "templates" / "escape").unlink()
