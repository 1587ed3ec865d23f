"""A page as an AI assistant needs to see it: a screenshot, a compact outline with the template
line of each element, and the templates that rendered it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from quickscale.exceptions import VisualError

OUTLINE_SCRIPT = (Path(__file__).with_name("outline.js")).read_text(encoding="utf-8")
DEFAULT_VIEWPORT = (1280, 800)
DEFAULT_BUDGET = 8000  # characters of outline, about 2,000 tokens
NAVIGATION_TIMEOUT = 15_000  # ms
SNAPSHOT_ATTEMPTS = 3
# A screenshot waits for the page to settle (fonts, layout); one whose page the reload script
# replaced meanwhile can wait until its timeout instead of failing, so it gets a short one and
# another look.
SCREENSHOT_TIMEOUT = 10_000  # milliseconds
# What Playwright says when the page it reads has been replaced by a navigation.
NAVIGATED_AWAY = ("navigated away", "Execution context was destroyed", "No resource with given")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Text lines are the first to go when an outline is over its budget; these always stay.
ESSENTIAL = frozenset({"landmark", "heading", "link", "button", "field"})


@dataclass
class Snapshot:
    url: str
    status: int
    title: str
    outline: str
    templates: list[str]
    screenshot: bytes
    html_size: int
    lines: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.url} → {self.status} “{self.title}”\n"
            f"templates: {', '.join(self.templates) or '(none marked: is DEBUG on?)'}\n"
            f"{self.outline}"
        )


def check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if host not in LOOPBACK and f"[{host}]" not in LOOPBACK:
        raise VisualError(
            f"{base_url} is not on this machine: the visual tools only talk to a development "
            "server on loopback (127.0.0.1, localhost, ::1)."
        )


def _location(src: str, previous_file: str) -> tuple[str, str]:
    """`@file:line`, or `@:line` when the file is the previous line's: outlines stay short."""
    if not src:
        return "", previous_file
    inherited = src.startswith("in ")
    file, _, line = src.removeprefix("in ").rpartition(":")
    shown = f":{line}" if file == previous_file else f"{file}:{line}"
    return f"  @{'in ' if inherited else ''}{shown}", file


def _render(lines: list[dict[str, Any]], budget: int) -> str:
    def rows(kinds: frozenset[str] | None) -> list[str]:
        out = []
        previous = ""
        for line in lines:
            if kinds is not None and line["kind"] not in kinds:
                continue
            location, previous = _location(line["src"], previous)
            out.append("  " * line["depth"] + line["text"] + location)
        return out

    full = "\n".join(rows(None))
    if len(full) <= budget:
        return full
    note = "(text lines left out to fit the budget)"
    kept: list[str] = []
    used = len(note)
    for row in rows(ESSENTIAL):
        if used + len(row) + 1 > budget:
            note = "(the outline was cut to fit the budget)"
            break
        kept.append(row)
        used += len(row) + 1
    return "\n".join([*kept, note])


async def page_snapshot_async(
    *,
    base_url: str,
    path: str,
    cookies: list[dict[str, str]] | None = None,
    viewport: tuple[int, int] = DEFAULT_VIEWPORT,
    budget: int = DEFAULT_BUDGET,
    chromium: str = "/usr/bin/chromium",
) -> Snapshot:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    for attempt in range(1, SNAPSHOT_ATTEMPTS + 1):
        try:
            return await _snapshot_once(base_url, path, cookies, viewport, budget, chromium)
        except PlaywrightError as error:
            # Right after a template is written, the development server's reload script can
            # reload the page while it is being read; that page is gone, so look again.
            again = _navigated_away(error) or isinstance(error, PlaywrightTimeoutError)
            if attempt == SNAPSHOT_ATTEMPTS or not again:
                raise VisualError(
                    f"Could not read {path}: {error.message.splitlines()[0]}"
                ) from error
    raise AssertionError("unreachable")


def _navigated_away(error: Exception) -> bool:
    message = str(error)
    return any(sign in message for sign in NAVIGATED_AWAY)


async def _snapshot_once(
    base_url: str,
    path: str,
    cookies: list[dict[str, str]] | None,
    viewport: tuple[int, int],
    budget: int,
    chromium: str,
) -> Snapshot:
    async with _opened_page(base_url, path, cookies, viewport, chromium) as (page, response):
        html = await response.body()
        data = await page.evaluate(OUTLINE_SCRIPT)
        screenshot = await page.screenshot(full_page=True, timeout=SCREENSHOT_TIMEOUT)
        return Snapshot(
            url=page.url,
            status=response.status,
            title=data["title"],
            outline=_render(data["lines"], budget),
            templates=data["templates"],
            screenshot=screenshot,
            html_size=len(html),  # bytes as served
            lines=data["lines"],
        )


@asynccontextmanager
async def _opened_page(
    base_url: str,
    path: str,
    cookies: list[dict[str, str]] | None,
    viewport: tuple[int, int],
    chromium: str,
) -> AsyncIterator[tuple[Any, Any]]:
    """`path` loaded in headless Chromium (with the session `cookies`): the page and its
    response; the browser closes on the way out."""
    check_loopback(base_url)
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))
    if not Path(chromium).exists():
        raise VisualError(f"{chromium} is not installed; install Debian's chromium package.")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": viewport[0], "height": viewport[1]}
            )
            if cookies:
                await context.add_cookies(
                    [{"name": c["name"], "value": c["value"], "url": base_url} for c in cookies]
                )
            page = await context.new_page()
            try:
                response = await page.goto(url, wait_until="load", timeout=NAVIGATION_TIMEOUT)
            except PlaywrightError as error:
                raise VisualError(
                    f"Could not load {url}: {error.message.splitlines()[0]}"
                ) from error
            if response is None:
                raise VisualError(f"Could not load {url}.")
            yield page, response
        finally:
            await browser.close()


def page_snapshot(**kwargs: Any) -> Snapshot:
    return asyncio.run(page_snapshot_async(**kwargs))


LOCATE_SCRIPT = """
([text, selector]) => {
  const wanted = (text || "").toLowerCase();
  const ownText = (e) => [...e.childNodes].some(
    (n) => n.nodeType === 3 && n.textContent.toLowerCase().includes(wanted));
  const found = selector
    ? [...document.querySelectorAll(selector)]
    : [...document.body.querySelectorAll("*")].filter(
        (e) => !["SCRIPT", "STYLE"].includes(e.tagName) && (ownText(e)
          || (e.value || "").toLowerCase?.().includes(wanted) && wanted
          || (e.getAttribute("aria-label") || "").toLowerCase().includes(wanted) && wanted));
  return found.slice(0, 20).map((e) => {
    const marked = e.closest("[data-qs-src]");
    return {
      tag: e.tagName.toLowerCase(),
      text: (e.innerText || e.value || e.getAttribute("aria-label") || "")
        .trim().replace(/\\s+/g, " ").slice(0, 80),
      src: marked ? marked.getAttribute("data-qs-src") : "",
      own: marked === e,
    };
  });
}
"""


async def locate_async(
    *,
    base_url: str,
    path: str,
    text: str | None,
    selector: str | None,
    cookies: list[dict[str, str]] | None = None,
    chromium: str = "/usr/bin/chromium",
) -> list[dict[str, Any]]:
    """Elements on the page matching visible text or a CSS selector, each with the template
    line that renders it (or, for a package's template, the nearest one of the project's)."""
    from playwright.async_api import Error as PlaywrightError

    async with _opened_page(base_url, path, cookies, DEFAULT_VIEWPORT, chromium) as (
        page,
        response,
    ):
        if response.status >= 400:
            raise VisualError(f"{path} answered {response.status}.")
        try:
            found: list[dict[str, Any]] = await page.evaluate(LOCATE_SCRIPT, [text, selector])
        except PlaywrightError as error:
            raise VisualError(
                f"Could not look on {page.url}: {error.message.splitlines()[0]}"
            ) from error
        return found
