"""A page as an AI assistant needs to see it: a screenshot, a compact outline with the template
line of each element, and the templates that rendered it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from quickscale.exceptions import VisualError

OUTLINE_SCRIPT = (Path(__file__).with_name("outline.js")).read_text(encoding="utf-8")
DEFAULT_VIEWPORT = (1280, 800)
DEFAULT_BUDGET = 8000  # characters of outline, about 2,000 tokens
NAVIGATION_TIMEOUT = 15_000  # ms
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


def _render(lines: list[dict[str, Any]], budget: int) -> str:
    def text(kinds: frozenset[str] | None) -> str:
        rows = [
            "  " * line["depth"] + line["text"] + (f"  @{line['src']}" if line["src"] else "")
            for line in lines
            if kinds is None or line["kind"] in kinds
        ]
        return "\n".join(rows)

    full = text(None)
    if len(full) <= budget:
        return full
    essential = text(ESSENTIAL)
    note = "\n(text lines left out to fit the budget)"
    return essential[: max(0, budget - len(note))] + note


async def page_snapshot_async(
    *,
    base_url: str,
    path: str,
    cookies: list[dict[str, str]] | None = None,
    viewport: tuple[int, int] = DEFAULT_VIEWPORT,
    budget: int = DEFAULT_BUDGET,
    chromium: str = "/usr/bin/chromium",
) -> Snapshot:
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
            html = await page.content()
            data = await page.evaluate(OUTLINE_SCRIPT)
            screenshot = await page.screenshot(full_page=True)
            return Snapshot(
                url=page.url,
                status=response.status,
                title=data["title"],
                outline=_render(data["lines"], budget),
                templates=data["templates"],
                screenshot=screenshot,
                html_size=len(html),
                lines=data["lines"],
            )
        finally:
            await browser.close()


def page_snapshot(**kwargs: Any) -> Snapshot:
    return asyncio.run(page_snapshot_async(**kwargs))
