"""The fake over real HTTP: the API under /v1/ and the local pages, in threads."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from quickscale.testing.fakestripe import pages
from quickscale.testing.fakestripe.errors import FakeStripeError

if TYPE_CHECKING:
    from quickscale.testing.fakestripe.fake import FakeStripe


class FakeStripeServer:
    def __init__(self, fake: FakeStripe, host: str, port: int) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_port}"
        fake.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def serve(fake: FakeStripe, *, host: str, port: int) -> FakeStripeServer:
    return FakeStripeServer(fake, host, port)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's terminal belongs to the Django server

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path.startswith("/v1/"):
            status, content, headers = self.fake.request(
                method, parts.path, parts.query, body, dict(self.headers.items())
            )
            self._send(status, content, headers)
            return
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        try:
            self._page(method, parts.path.rstrip("/") or "/", form)
        except FakeStripeError as error:
            self._html(400, pages.error(error.message))

    def _page(self, method: str, path: str, form: dict[str, str]) -> None:
        fake = self.fake
        segments = path.strip("/").split("/")
        if path == "/":
            return self._redirect("/clock")
        if segments[0] == "checkout" and len(segments) >= 2:
            session = fake.get(segments[1], "checkout.session")
            if method == "POST" and segments[2:] == ["pay"]:
                fake.pay_checkout_session(session["id"], email=form.get("email") or None)
                target = (session["success_url"] or "/clock").replace(
                    "{CHECKOUT_SESSION_ID}", session["id"]
                )
                return self._redirect(target)
            return self._html(200, pages.checkout(fake, session))
        if segments[0] == "portal" and len(segments) >= 2:
            session = fake.get(segments[1], "billing_portal.session")
            back = f"/portal/{session['id']}"
            if method == "POST":
                subscription = fake.get(form.get("subscription", ""), "subscription")
                if subscription["customer"] != session["customer"]:
                    raise FakeStripeError("That subscription belongs to another customer.")
                action = segments[2:]
                if action == ["switch"]:
                    fake.change_subscription_price(subscription["id"], form.get("price", ""))
                elif action == ["cancel"]:
                    fake.cancel_subscription(subscription["id"], at_period_end=True)
                elif action == ["resume"]:
                    fake.subscription_update(subscription["id"], {"cancel_at_period_end": "false"})
                return self._redirect(back)
            return self._html(200, pages.portal(fake, session))
        if segments[0] == "clock":
            if method == "POST" and segments[1:] == ["renew"]:
                fake.renew_subscription(form.get("subscription", ""))
                return self._redirect("/clock")
            if method == "POST" and segments[1:] == ["refund"]:
                fake.refund(form.get("charge", ""))
                return self._redirect("/clock")
            return self._html(200, pages.clock(fake))
        return self._html(404, pages.error(f"No page at {path}."))

    def _redirect(self, location: str) -> None:
        self._send(303, b"", {"Location": location})

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, content: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
