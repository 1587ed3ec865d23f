"""Regenerate the screenshots in docs/images from a freshly generated project.

Run: .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from playwright.sync_api import sync_playwright
from support import PYTHON, clean_env, free_port, serving, wait_for_200

IMAGES = Path(__file__).resolve().parent / "images"
VIEWPORT = {"width": 1200, "height": 760}
DEMO = ["--user", "demo@example.com"]
CREDIT_HISTORY = [
    ["grant", *DEMO, "--amount", "500", "--kind", "payg", "--reason", "Starter pack"],
    [
        "grant",
        *DEMO,
        "--amount",
        "200",
        "--kind",
        "subscription",
        "--expires-at",
        "2099-01-31T00:00:00Z",
        "--reason",
        "Pro plan, January",
    ],
    ["consume", *DEMO, "--amount", "12", "--description", "Sentiment analysis"],
    ["consume", *DEMO, "--amount", "30", "--description", "Keyword extraction"],
    ["grant", *DEMO, "--amount", "25", "--kind", "promo", "--reason", "Welcome bonus"],
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "demo"
        subprocess.run(
            [
                PYTHON,
                "-m",
                "quickscale",
                "init",
                "demo",
                "--directory",
                str(project),
                "--title",
                "QuickScale Demo",
            ],
            check=True,
        )
        env = clean_env()
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=project, env=env, check=True)
        output = subprocess.run(
            [PYTHON, "manage.py", "quickscale_demo"],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        password = next(
            line.split(":", 1)[1].strip() for line in output.splitlines() if "password:" in line
        )
        for args in CREDIT_HISTORY:
            subprocess.run(
                [PYTHON, "manage.py", "quickscale_credits", *args],
                cwd=project,
                env=env,
                check=True,
                capture_output=True,
            )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serving(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], project, env
        ):
            wait_for_200(base + "/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(base + "/")
                page.screenshot(path=IMAGES / "landing.png")
                page.goto(base + "/accounts/signup/")
                page.screenshot(path=IMAGES / "sign-up.png")
                page.goto(base + "/accounts/login/")
                page.get_by_label("Email", exact=True).fill("demo@example.com")
                page.get_by_label("Password", exact=True).fill(password)
                page.get_by_role("button", name="Sign In").click()
                page.wait_for_url("**/account/")
                page.screenshot(path=IMAGES / "account.png")
                page.goto(base + "/account/credits/")
                page.screenshot(path=IMAGES / "credits.png", full_page=True)
                page.goto(base + "/admin/quickscale_credits/creditaccount/")
                page.get_by_role("link", name="demo@example.com").click()
                page.screenshot(path=IMAGES / "admin-credits.png", full_page=True)
                browser.close()


if __name__ == "__main__":
    main()
