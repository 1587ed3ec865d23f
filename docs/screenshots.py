"""Regenerate the screenshots in docs/images from a freshly generated project, with the fake
Stripe that `make demo` runs beside it.

Run: .venv/bin/python docs/screenshots.py [NAME ...]   (e.g. pricing billing: only those)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from playwright.sync_api import sync_playwright
from support import PYTHON, clean_env, free_port, serving, wait_for_200

from quickscale.testing.fakestripe import FAKE_SECRET_KEY

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
IMAGE_NAMES = (
    "landing",
    "sign-up",
    "account",
    "credits",
    "admin-credits",
    "pricing",
    "checkout",
    "billing-success",
    "billing",
)


def main(wanted: set[str]) -> None:
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
        port, stripe_port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        stripe_url = f"http://127.0.0.1:{stripe_port}"
        env = clean_env(STRIPE_API_HOST=stripe_url, STRIPE_SECRET_KEY=FAKE_SECRET_KEY)
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=project, env=env, check=True)
        fake_stripe = [PYTHON, "manage.py", "quickscale_fake_stripe", "--port", str(stripe_port)]
        with serving(fake_stripe, project, env):
            shoot(project, env, base, stripe_url, wanted)


def shoot(project: Path, env: dict[str, str], base: str, stripe_url: str, wanted: set[str]) -> None:
    # The catalogue, the webhook endpoint for the site and the offers, as `make demo` does.
    output = subprocess.run(
        [PYTHON, "manage.py", "quickscale_demo", "--site-url", base],
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
    with serving(
        [PYTHON, "manage.py", "runserver", "--noreload", base.removeprefix("http://")], project, env
    ):
        wait_for_200(base + "/")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport=VIEWPORT)

            def snap(name: str, **options: bool) -> None:
                if name in wanted:
                    page.screenshot(path=IMAGES / f"{name}.png", **options)

            page.goto(base + "/")
            snap("landing")
            page.goto(base + "/accounts/signup/")
            snap("sign-up")
            page.goto(base + "/accounts/login/")
            page.get_by_label("Email", exact=True).fill("demo@example.com")
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign In").click()
            page.wait_for_url("**/account/")
            snap("account")
            page.goto(base + "/account/credits/")
            snap("credits", full_page=True)
            page.goto(base + "/admin/quickscale_credits/creditaccount/")
            # The demo user's personal organization, named after them.
            page.get_by_role("link", name=re.compile(r"\(personal\)$")).click()
            snap("admin-credits", full_page=True)

            # Billing: subscribe to a plan on the fake's checkout page; the credits arrive.
            page.goto(base + "/pricing/")
            snap("pricing", full_page=True)
            plan = page.get_by_test_id("offer").filter(
                has=page.get_by_role("heading", name="Basic")
            )
            plan.get_by_role("button", name="Subscribe").click()
            page.wait_for_url(stripe_url + "/checkout/**")
            snap("checkout")
            page.get_by_role("button", name=re.compile(r"^Pay ")).click()
            page.wait_for_url("**/billing/success/**")
            page.get_by_test_id("credits-arrived").wait_for()
            snap("billing-success")
            page.goto(base + "/billing/")
            snap("billing", full_page=True)
            browser.close()


if __name__ == "__main__":
    names = set(sys.argv[1:]) or set(IMAGE_NAMES)
    unknown = names - set(IMAGE_NAMES)
    if unknown:
        sys.exit(
            f"No such screenshot: {', '.join(sorted(unknown))}. Known: {', '.join(IMAGE_NAMES)}"
        )
    main(names)
