"""Development tools for AI assistants: page snapshots and the MCP server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template import engines

from quickscale.exceptions import VisualError
from quickscale.visual.server import VisualTools, _session_cookies, build_server
from quickscale.visual.snapshot import check_loopback, page_snapshot

DEFAULT_URL = "http://127.0.0.1:8000"
CHROMIUM = "/usr/bin/chromium"


class Command(BaseCommand):
    help = "Page snapshots and the MCP server for AI assistants. Development only (DEBUG on)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        snapshot = commands.add_parser("snapshot", help="screenshot and outline of a page")
        snapshot.add_argument("url", metavar="URL", help="a path such as / or a loopback URL")
        snapshot.add_argument("--as", dest="as_user", metavar="EMAIL", help="sign in as this user")
        snapshot.add_argument(
            "--out", metavar="DIR", help="folder for screenshot.png and outline.txt"
        )
        snapshot.add_argument("--base-url", default=DEFAULT_URL, help=f"default: {DEFAULT_URL}")
        snapshot.add_argument("--width", type=int, default=1280)
        snapshot.add_argument("--height", type=int, default=800)
        mcp = commands.add_parser("mcp", help="serve the MCP tools over stdio")
        mcp.add_argument(
            "--url", default=DEFAULT_URL, help=f"the running dev server; default {DEFAULT_URL}"
        )
        for sub in (snapshot, mcp):
            sub.add_argument("--chromium", default=CHROMIUM, help=f"default: {CHROMIUM}")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "DEBUG is off: the visual tools read and write templates, so they run in "
                "development only. Set DEBUG=True in .env on your own machine."
            )
        try:
            if options["subcommand"] == "mcp":
                self._mcp(options)
            else:
                self._snapshot(options)
        except VisualError as error:
            raise CommandError(f"{error.message} {error.hint}") from error

    def _mcp(self, options: dict[str, Any]) -> None:
        tools = VisualTools(
            project_dir=Path(settings.BASE_DIR),  # type: ignore[misc]
            base_url=options["url"],
            engine=engines["django"].engine,  # type: ignore[attr-defined]
            chromium=options["chromium"],
        )
        build_server(tools).run("stdio")

    def _snapshot(self, options: dict[str, Any]) -> None:
        url: str = options["url"]
        base_url = options["base_url"]
        if url.startswith(("http://", "https://")):
            check_loopback(url)
            base_url, path = url, "/"
        else:
            path = url
        cookies = _session_cookies(options["as_user"]) if options["as_user"] else None
        snap = page_snapshot(
            base_url=base_url,
            path=path,
            cookies=cookies,
            viewport=(options["width"], options["height"]),
            chromium=options["chromium"],
        )
        project_dir = Path(settings.BASE_DIR)  # type: ignore[misc]
        default_out = project_dir / ".quickscale" / "snapshots" / time.strftime("%Y%m%d-%H%M%S")
        out = Path(options["out"]) if options["out"] else default_out
        out.mkdir(parents=True, exist_ok=True)
        (out / "screenshot.png").write_bytes(snap.screenshot)
        (out / "outline.txt").write_text(snap.summary() + "\n", encoding="utf-8")
        self.stdout.write(snap.summary())
        self.stdout.write(f"\nscreenshot: {out / 'screenshot.png'}")
