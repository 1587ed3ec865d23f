"""The MCP server AI assistants connect to: see a page, find the template line behind an
element, edit a template or static file, and see the page again."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from asgiref.sync import sync_to_async
from django.conf import settings
from django.template import Engine
from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from quickscale.exceptions import VisualError
from quickscale.visual.pages import project_pages
from quickscale.visual.snapshot import Snapshot, check_loopback, locate_async, page_snapshot_async
from quickscale.visual.workspace import Workspace

# What a change answers: a message, or a message and the page's new snapshot.
Outcome = str | tuple[str, Snapshot]
RELOAD_TIMEOUT = 12.0  # seconds: runserver notices a changed file within about a second
RELOAD_POLL = 0.25  # seconds
INSTRUCTIONS = """\
Tools for changing this Django project's pages while looking at them. Typical loop:
snapshot a page; find_element to learn which template file and line renders what you want to
change; read_file that template; write_file the new version (give `page` to get the page's
new snapshot back once it has reloaded); undo if it was not right. Only files under templates/
and static/ can be written; a template that does not compile is refused."""


def _fetch(url: str, cookies: list[dict[str, str]] | None) -> bytes:
    request = urllib.request.Request(url)  # noqa: S310  (loopback only, checked)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        return error.read()
    except OSError:
        return b""


class VisualTools:
    def __init__(self, *, project_dir: Path, base_url: str, engine: Engine, chromium: str) -> None:
        check_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self.workspace = Workspace(project_dir, engine)
        self.chromium = chromium

    async def cookies_for(self, email: str | None) -> list[dict[str, str]] | None:
        if not email:
            return None
        return await sync_to_async(_session_cookies)(email)

    async def snapshot(
        self, path: str, as_user: str | None = None, width: int = 1280, height: int = 800
    ) -> Snapshot:
        snap = await page_snapshot_async(
            base_url=self.base_url,
            path=path,
            cookies=await self.cookies_for(as_user),
            viewport=(width, height),
            chromium=self.chromium,
        )
        if snap.status >= 400:
            raise VisualError(
                f"{path} answered {snap.status}; list_pages shows the pages that exist "
                "(pages behind a log-in need as_user)."
            )
        return snap

    async def find(
        self, path: str, text: str | None, selector: str | None, as_user: str | None
    ) -> list[str]:
        if not text and not selector:
            raise VisualError("Give the visible text or a CSS selector of the element.")
        found = await locate_async(
            base_url=self.base_url,
            path=path,
            text=text,
            selector=selector,
            cookies=await self.cookies_for(as_user),
            chromium=self.chromium,
        )
        hits = []
        for element in found:
            if not element["src"]:
                continue
            file, _, number = element["src"].rpartition(":")
            code = self.workspace.read(f"templates/{file}").splitlines()[int(number) - 1].strip()
            where = "" if element["own"] else "inside "
            hits.append(
                f"{where}templates/{file}:{number}  <{element['tag']}> "
                f'"{element["text"]}"\n    {code}'
            )
        if not hits:
            raise VisualError(f"Nothing on {path} matches; snapshot the page to see its elements.")
        return hits

    async def write_and_look(self, path: str, content: str, page: Page | None) -> Outcome:
        before = await self._page_html(page, path)
        self.workspace.write(path, content)
        return await self._after_change(f"Wrote {path}.", page, path, before)

    async def undo_and_look(self, page: Page | None) -> Outcome:
        before = await self._page_html(page, self.workspace.last_written() or "")
        restored = self.workspace.undo()
        return await self._after_change(f"Restored {restored}.", page, restored, before)

    async def _page_html(self, page: Page | None, path: str) -> bytes:
        if page is None or not path.startswith("templates/"):
            return b""
        cookies = await self.cookies_for(page.as_user)
        return _without_tokens(await asyncio.to_thread(_fetch, self.page_url(page.path), cookies))

    def page_url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    async def _after_change(
        self, message: str, page: Page | None, path: str, before: bytes
    ) -> Outcome:
        if page is None:
            return message
        if before:
            # runserver notices a changed template within about a second; wait for the page
            # to show it. Static files are served fresh, with nothing to wait for.
            cookies = await self.cookies_for(page.as_user)
            deadline = time.monotonic() + RELOAD_TIMEOUT
            while time.monotonic() < deadline:
                now = await asyncio.to_thread(_fetch, self.page_url(page.path), cookies)
                if now and _without_tokens(now) != before:
                    break
                await asyncio.sleep(RELOAD_POLL)
        try:
            snap = await self.snapshot(page.path, page.as_user, page.width, page.height)
        except VisualError as error:
            return f"{message} The page could not be snapshot afterwards: {error.message}"
        return (message, snap)


@dataclass(frozen=True)
class Page:
    path: str
    as_user: str | None = None
    width: int = 1280
    height: int = 800


TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


def _without_tokens(html: bytes) -> bytes:
    """The page without its per-request CSRF tokens, which differ on every load."""
    return TOKEN.sub(b"", html)


def _session_cookies(email: str) -> list[dict[str, str]]:
    from django.test import Client

    from quickscale.apps.accounts.selectors import user_get_by_email

    user = user_get_by_email(email=email)
    if user is None:
        raise VisualError(f"No user has the e-mail address {email!r}.")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value}]


def build_server(tools: VisualTools) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("quickscale-visual", instructions=INSTRUCTIONS)

    def refuse(error: VisualError) -> ToolError:
        return ToolError(f"{error.message} {error.hint}".strip())

    def looked(outcome: Outcome) -> list[Any]:
        if isinstance(outcome, str):
            return [outcome]
        message, snap = outcome
        return [f"{message}\n\n{snap.summary()}", Image(data=snap.screenshot, format="png")]

    @server.tool()
    def list_pages() -> str:
        """The project's pages: paths that take no arguments, with their URL names."""
        return "\n".join(f"{path}  ({name})" for path, name in project_pages())

    @server.tool(structured_output=False)
    async def snapshot(
        path: str = "/", as_user: str | None = None, width: int = 1280, height: int = 800
    ) -> list[Any]:
        """A screenshot of the page, a compact outline of it (landmarks, headings, links,
        buttons, fields, text) with the template file:line of each element, and the templates
        that rendered it. `as_user` is the e-mail of a user to be signed in as."""
        try:
            snap = await tools.snapshot(path, as_user, width, height)
        except VisualError as error:
            raise refuse(error) from error
        return looked((f"Snapshot of {path}", snap))

    @server.tool()
    async def find_element(
        path: str, text: str | None = None, selector: str | None = None, as_user: str | None = None
    ) -> str:
        """Which template file and line render the element with this visible text (or whose
        tag/id/class matches `selector`) on the page at `path`."""
        try:
            return "\n".join(await tools.find(path, text, selector, as_user))
        except VisualError as error:
            raise refuse(error) from error

    @server.tool()
    def read_file(path: str) -> str:
        """A file under templates/ or static/, e.g. templates/pages/home.html."""
        try:
            return tools.workspace.read(path)
        except VisualError as error:
            raise refuse(error) from error

    @server.tool(structured_output=False)
    async def write_file(
        path: str,
        content: str,
        page: str | None = None,
        as_user: str | None = None,
        width: int = 1280,
        height: int = 800,
    ) -> list[Any]:
        """Replace a file under templates/ or static/ with `content` (templates must compile;
        the previous version is kept for undo). With `page`, wait for that page to reload and
        return its new snapshot (as `as_user`, at width x height)."""
        target = Page(page, as_user, width, height) if page else None
        try:
            return looked(await tools.write_and_look(path, content, target))
        except VisualError as error:
            raise refuse(error) from error

    @server.tool(structured_output=False)
    async def undo(
        page: str | None = None, as_user: str | None = None, width: int = 1280, height: int = 800
    ) -> list[Any]:
        """Put back the file of the last write_file as it was. With `page`, return the page's
        snapshot once it has reloaded."""
        target = Page(page, as_user, width, height) if page else None
        try:
            return looked(await tools.undo_and_look(target))
        except VisualError as error:
            raise refuse(error) from error

    return server
