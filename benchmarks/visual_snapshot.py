"""Page snapshots for AI assistants: time, outline size, and whether the outline names everything.

A generated project is served by `manage.py runserver` with DEBUG on, as in development (with
its autoreloader, so the source map and django-browser-reload are as a developer has them).

- Time of `page_snapshot` for the landing page: a cold first call, then the median of warm
  calls. Baseline, in the same run: what a plain browser tool does for the same page (start
  Playwright, launch Chromium, open the page, take a full-page screenshot), without an outline.
- Size of the landing page's outline in characters, as a ratio to the page's raw HTML as served
  (goal: at most 0.25), and to the same HTML without the source map's attributes. For scale,
  the size of Playwright's ARIA snapshot of the same page.
- Every visible a/button/input/select/textarea (as Playwright sees them) of the landing and
  sign-up pages is named in the outline, and each with a template file:line.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from support import PYTHON, clean_env, free_port, median, run, wait_for_200

from quickscale.visual.snapshot import CHROMIUM_ARGS, OUTLINE_SCRIPT, Snapshot, page_snapshot

CHROMIUM = "/usr/bin/chromium"
PROJECT = "snapbench"
RUNS = 7  # warm calls of each kind, interleaved
VIEWPORT = (1280, 800)
LANDING = "/"
CHECKED_PAGES = (LANDING, "/accounts/signup/")
OUTLINE_GOAL = 0.25  # outline characters per character of raw HTML
INTERACTIVE = "a, button, input, select, textarea"
KIND_OF_TAG = {
    "a": "link",
    "button": "button",
    "input": "field",
    "select": "field",
    "textarea": "field",
}
OUTLINE_KINDS = frozenset(KIND_OF_TAG.values())
SOURCE_ATTRIBUTE = re.compile(r' data-qs-src="[^"]*"')
SERVER_STOP_TIMEOUT = 10.0  # seconds
# runserver's autoreloader restarts the server when a watched Python file changes (QuickScale is
# installed editable, so an edit anywhere in it counts): a call that meets a restart is retried.
RESTART_RETRIES = 3
REFUSED = "ERR_CONNECTION_REFUSED"
T = TypeVar("T")
ELEMENT_INFO = """el => ({
  tag: el.tagName.toLowerCase(),
  src: el.getAttribute("data-qs-src") || (el.closest("[data-qs-src]")
    ? "in " + el.closest("[data-qs-src]").getAttribute("data-qs-src") : ""),
  text: (el.innerText || el.value || el.name || el.getAttribute("aria-label") || "").trim()
})"""


@contextmanager
def dev_server(project: Path, port: int, log: Path) -> Iterator[str]:
    """`manage.py runserver` with its autoreloader, in a process group of its own (the
    reloader's child serves); the whole group is stopped afterwards. Yields the base URL."""
    base_url = f"http://127.0.0.1:{port}"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
            cwd=project,
            env=clean_env(DEBUG="True"),
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        wait_for_200(f"{base_url}/")
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def generate(root: Path) -> Path:
    project = root / PROJECT
    run([PYTHON, "-m", "quickscale", "init", PROJECT, "--directory", str(project)], root)
    run([PYTHON, "manage.py", "migrate", "--noinput"], project, clean_env(DEBUG="True"))
    return project


def when_up(base_url: str, call: Callable[[], T]) -> T:
    """`call()` once the server answers; again if it met a restart of the server."""
    for attempt in range(RESTART_RETRIES + 1):
        wait_for_200(f"{base_url}/")
        try:
            return call()
        except Exception as error:
            if REFUSED not in str(error) or attempt == RESTART_RETRIES:
                raise
            print(f"(the server was restarting; call repeated: {type(error).__name__})")
    raise AssertionError("unreachable")


def timed_snapshot(base_url: str, path: str) -> tuple[float, Snapshot]:
    def timed() -> tuple[float, Snapshot]:
        started = time.perf_counter()
        snap = page_snapshot(base_url=base_url, path=path, viewport=VIEWPORT, chromium=CHROMIUM)
        return time.perf_counter() - started, snap

    return when_up(base_url, timed)


async def _plain_screenshot(url: str) -> bytes:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]}
            )
            page = await context.new_page()
            await page.goto(url, wait_until="load")
            return await page.screenshot(full_page=True)
        finally:
            await browser.close()


def timed_plain_screenshot(base_url: str, path: str) -> float:
    def timed() -> float:
        started = time.perf_counter()
        asyncio.run(_plain_screenshot(base_url + path))
        return time.perf_counter() - started

    return when_up(base_url, timed)


async def _in_open_browser(url: str, runs: int) -> list[float]:
    """What the snapshot costs once Chromium is running: a fresh context, the page, its HTML,
    the outline script and the screenshot (a server that kept its browser open would pay this)."""
    from playwright.async_api import async_playwright

    times = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs + 1):
                started = time.perf_counter()
                context = await browser.new_context(
                    viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]}
                )
                page = await context.new_page()
                await page.goto(url, wait_until="load")
                await page.content()
                await page.evaluate(OUTLINE_SCRIPT)
                await page.screenshot(full_page=True)
                await context.close()
                times.append(time.perf_counter() - started)
        finally:
            await browser.close()
    return times[1:]  # the first one warms up


def raw_html(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
    return body.decode("utf-8")


def page_facts(url: str) -> tuple[list[dict[str, str]], int]:
    """The page's visible interactive elements as Playwright sees them, and the size of its
    ARIA snapshot (what Playwright's own tools give a model)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
            page.goto(url, wait_until="load")
            elements = [
                handle.evaluate(ELEMENT_INFO)
                for handle in page.locator(INTERACTIVE).element_handles()
                if handle.is_visible()
            ]
            aria = page.locator("body").aria_snapshot()
        finally:
            browser.close()
    return elements, len(aria)


def check_interactive(base_url: str, path: str) -> None:
    _, snap = timed_snapshot(base_url, path)
    elements, _ = when_up(base_url, lambda: page_facts(base_url + path))
    wanted = Counter((KIND_OF_TAG[e["tag"]], e["src"]) for e in elements)
    outlined = [line for line in snap.lines if line["kind"] in OUTLINE_KINDS]
    shown = [line for line in outlined if line["text"] in snap.outline]
    named = Counter((line["kind"], line["src"]) for line in shown)
    missing = wanted - named
    unsourced = [e for e in elements if not e["src"]]
    print(
        f"{path:20s} interactive elements: {len(elements)} visible (Playwright), "
        f"{len(shown)} named in the outline ({len(outlined)} found, "
        f"{len(outlined) - len(shown)} cut by the budget); "
        f"missing: {sum(missing.values())}; without a source location: {len(unsourced)}"
    )
    for (kind, src), count in sorted(missing.items()):
        print(f"    missing {count}x {kind} @{src or '(no source)'}")
    for element in unsourced:
        print(f"    no source: <{element['tag']}> {element['text'][:60]!r}")
    everything = not missing and not unsourced
    print(f"{'':20s} every interactive element named with its source: {everything}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = generate(root)
        with dev_server(project, free_port(), root / "runserver.log") as base_url:
            cold, snap = timed_snapshot(base_url, LANDING)
            snapshots: list[float] = []
            plain: list[float] = []
            timed_plain_screenshot(base_url, LANDING)  # warm-up of the baseline
            for _ in range(RUNS):
                elapsed, snap = timed_snapshot(base_url, LANDING)
                snapshots.append(elapsed)
                plain.append(timed_plain_screenshot(base_url, LANDING))
            html = when_up(base_url, lambda: raw_html(base_url + LANDING))
            unmapped = SOURCE_ATTRIBUTE.sub("", html)
            _, aria_size = when_up(base_url, lambda: page_facts(base_url + LANDING))
            in_open = when_up(
                base_url, lambda: asyncio.run(_in_open_browser(base_url + LANDING, RUNS))
            )
            open_browser = median(in_open)
            warm = median(snapshots)
            baseline = median(plain)
            print(
                f"landing snapshot, cold first call: {cold:.2f} s; warm: {warm:.2f} s "
                f"(median of {RUNS})"
            )
            print(
                f"baseline, launch + open + full-page screenshot: {baseline:.2f} s; "
                f"ratio (snapshot / baseline): {warm / baseline:.2f}x"
            )
            print(
                f"the same snapshot work in a Chromium already running: {open_browser:.2f} s "
                f"({open_browser / warm:.2f}x of a page_snapshot call)"
            )
            outline = len(snap.outline)
            locations = sum(len(m) for m in re.findall(r"  @\S.*$", snap.outline, re.MULTILINE))
            print(
                f"landing outline: {outline} chars, {len(snap.lines)} lines; raw HTML as served: "
                f"{len(html)} chars ({len(unmapped)} without data-qs-src; "
                f"rendered DOM {snap.html_size}); of the outline, source locations: {locations}"
            )
            print(
                f"ratio (outline / raw HTML): {outline / len(html):.3f} "
                f"(without the map's attributes: {outline / len(unmapped):.3f}); "
                f"goal: at most {OUTLINE_GOAL}"
            )
            print(
                f"for scale, Playwright's ARIA snapshot of the page: {aria_size} chars, "
                f"{outline / aria_size:.2f}x of it, and no source locations"
            )
            print(f"templates: {', '.join(snap.templates)}")
            for path in CHECKED_PAGES:
                check_interactive(base_url, path)


if __name__ == "__main__":
    main()
