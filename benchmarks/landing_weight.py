"""Bytes the landing page transfers (HTML + CSS + JS as served), and its third-party requests.

The project runs as in production: DEBUG off, collectstatic, gunicorn, WhiteNoise serving the
pre-compressed static files. Chromium (Debian's, through Playwright) loads `/` and every response
is counted: bytes on the wire against the same files uncompressed, measured in the same run.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright
from support import PYTHON, clean_env, free_port, serving, wait_for_200

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / "weight"
        subprocess.run(
            [PYTHON, "-m", "quickscale", "init", "weight", "--directory", str(project)],
            check=True,
            capture_output=True,
        )
        port = free_port()
        env = clean_env(
            DEBUG="False",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="False",
        )
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [PYTHON, "manage.py", *command],
                cwd=project,
                env=env,
                check=True,
                capture_output=True,
            )
        server = [PYTHON, "-m", "gunicorn", "weight.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
        with serving(server, project, env):
            base = f"http://127.0.0.1:{port}"
            wait_for_200(f"{base}/healthz")
            rows = load(base)
    own = f"127.0.0.1:{port}"
    third_party = [row for row in rows if urlsplit(row[0]).netloc != own]
    wire = sum(row[1] for row in rows)
    raw = sum(row[2] for row in rows)
    for url, transferred, uncompressed, encoding in rows:
        print(f"  {transferred:8,d} B on the wire ({uncompressed:8,d} B raw, {encoding:4s}) {url}")
    print(f"landing page: {len(rows)} requests, {wire:,} B transferred, {raw:,} B uncompressed")
    print(f"ratio (transferred / uncompressed): {wire / raw:.2f}")
    print(f"third-party requests: {len(third_party)}")


def load(base: str) -> list[tuple[str, int, int, str]]:
    rows: list[tuple[str, int, int, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        responses = []
        page.on("response", lambda response: responses.append(response))
        page.goto(f"{base}/", wait_until="networkidle")
        for response in responses:
            sizes = response.request.sizes()
            body = response.body()
            encoding = response.headers.get("content-encoding", "none")
            rows.append((response.url, sizes["responseBodySize"], len(body), encoding))
        browser.close()
    return rows


if __name__ == "__main__":
    main()
