"""The worked example of docs/visual.md, for real: an MCP client drives the visual tools.

A fresh project is generated, migrated and served by `manage.py runserver` (with its
autoreloader, as in development). The MCP SDK's own client launches
`python manage.py quickscale_visual mcp` over stdio, as Claude Code, Claude Desktop or Cursor
would, and runs the loop: snapshot the landing page, find the template line of its main
heading, rewrite the heading, look again, undo. The screenshots the tools return are saved as
docs/images/visual-before.png and docs/images/visual-after.png.

Run: .venv/bin/python docs/visual_example.py
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import ImageContent, TextContent
from support import PYTHON, clean_env, free_port, wait_for_200
from visual_snapshot import dev_server

IMAGES = Path(__file__).resolve().parent / "images"
PROJECT = "visualdemo"
TITLE = "QuickScale Demo"
NEW_HEADING = "Ship your AI product this week"
WIDTH, HEIGHT = 1200, 760
HEADING_LINE = re.compile(r"(<h1\b[^>]*>)(.*?)(</h1>)")
RESTART_RETRIES = 3
REFUSED = "ERR_CONNECTION_REFUSED"
CHANGES = frozenset({"write_file", "undo"})
EXCERPT_LINES = 6  # lines of each tool answer printed, and any line naming an h1


def texts(result: Any) -> str:
    return "\n".join(part.text for part in result.content if isinstance(part, TextContent))


def image(result: Any) -> bytes:
    for part in result.content:
        if isinstance(part, ImageContent):
            return base64.b64decode(part.data)
    raise AssertionError("the tool returned no image")


class Tools:
    """Calls the MCP tools, printing each call and the start of its answer.

    runserver's autoreloader restarts the server when a watched Python file changes; a call
    that meets a restart is repeated once the server answers again, except a write or an undo,
    which is done by then (only the snapshot after it failed)."""

    def __init__(self, session: ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def __call__(self, tool: str, arguments: dict[str, Any]) -> Any:
        for _ in range(RESTART_RETRIES + 1):
            result = await self.session.call_tool(tool, arguments)
            restarted = result.is_error and REFUSED in texts(result)
            if not restarted or tool in CHANGES:
                break
            await asyncio.to_thread(wait_for_200, self.base_url + "/")
        shown = {
            k: v if len(str(v)) < 60 else f"<{len(str(v))} characters>"
            for k, v in arguments.items()
        }
        print(f"\n>>> {tool}({shown})")
        lines = texts(result).splitlines()
        kept = lines[:EXCERPT_LINES] + [line for line in lines[EXCERPT_LINES:] if 'h1 "' in line]
        print("\n".join(kept) + ("\n  [...]" if len(kept) < len(lines) else ""))
        if restarted and tool in CHANGES:
            print("(done, but the server was restarting for its snapshot)")
        elif result.is_error:
            raise AssertionError(f"{tool} failed: {texts(result)}")
        return result


async def loop(project: Path, base_url: str) -> None:
    params = StdioServerParameters(
        command=PYTHON,
        args=["manage.py", "quickscale_visual", "mcp", "--url", base_url],
        cwd=str(project),
    )
    viewport = {"width": WIDTH, "height": HEIGHT}
    async with stdio_client(params) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        call = Tools(session, base_url)
        await call("list_pages", {})
        before = await call("snapshot", {"path": "/", **viewport})
        (IMAGES / "visual-before.png").write_bytes(image(before))
        shown_heading = re.search(r'^\s*h1 "(.*?)"', texts(before), re.MULTILINE)
        assert shown_heading is not None, "the landing page has no h1"

        found = texts(await call("find_element", {"path": "/", "selector": "h1"}))
        hit = next(line for line in found.splitlines() if re.search(r":\d+\s+h1 ", line))
        file, number = hit.split()[0].rsplit(":", 1)
        original = texts(await call("read_file", {"path": file}))
        lines = original.splitlines(keepends=True)
        index = int(number) - 1
        old_heading = HEADING_LINE.search(lines[index])
        assert old_heading is not None, lines[index]
        lines[index] = HEADING_LINE.sub(rf"\g<1>{NEW_HEADING}\g<3>", lines[index], count=1)
        content = "".join(lines)
        written = await call("write_file", {"path": file, "content": content, "page": "/"})
        if f'h1 "{NEW_HEADING}"' not in texts(written):
            print("\n(write_file's snapshot still showed the old heading: taken before the reload)")

        after = await call("snapshot", {"path": "/", **viewport})
        assert f'h1 "{NEW_HEADING}"' in texts(after), "the new heading is not on the page"
        (IMAGES / "visual-after.png").write_bytes(image(after))

        undone = await call("undo", {"page": "/"})
        if f'h1 "{shown_heading.group(1)}"' not in texts(undone):
            print("\n(undo's snapshot still showed the new heading: taken before the reload)")
        restored = texts(await call("read_file", {"path": file}))
        assert restored == original, "undo did not put the template back"
        again = await call("snapshot", {"path": "/", **viewport})
        assert f'h1 "{shown_heading.group(1)}"' in texts(again), "the old heading is not back"
    print(
        f"\nheading {old_heading.group(2)!r} (shown as {shown_heading.group(1)!r}) became "
        f"{NEW_HEADING!r}, and is back"
    )
    print(f"screenshots: {IMAGES / 'visual-before.png'}, {IMAGES / 'visual-after.png'}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / PROJECT
        init = [PYTHON, "-m", "quickscale", "init", PROJECT, "--directory", str(project)]
        subprocess.run([*init, "--title", TITLE], check=True, capture_output=True)
        env = clean_env(DEBUG="True")
        migrate = [PYTHON, "manage.py", "migrate", "--noinput"]
        subprocess.run(migrate, cwd=project, env=env, check=True, capture_output=True)
        with dev_server(project, free_port(), root / "runserver.log") as base_url:
            asyncio.run(loop(project, base_url))


if __name__ == "__main__":
    main()
