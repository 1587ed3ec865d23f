"""The fake's own pages, plain HTML with no third-party assets: checkout, portal, test clock."""

from __future__ import annotations

import datetime
from html import escape
from typing import TYPE_CHECKING

from quickscale.testing.fakestripe.fake import money

if TYPE_CHECKING:
    from quickscale.testing.fakestripe.fake import FakeStripe, Obj

TEST_CARD = "4242 4242 4242 4242"
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.6rem 1rem;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}
button{padding:.4rem .9rem;margin:.2rem 0;cursor:pointer}form{display:inline}
.muted{color:#666}.total{font-weight:bold}
"""


def _date(timestamp: int | None) -> str:
    if not timestamp:
        return ""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%d %b %Y")


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        # No icon to fetch: browsers would ask for /favicon.ico and log the 404 as an error.
        f" (fake Stripe)</title><link rel='icon' href='data:,'><style>{_STYLE}</style></head><body>"
        "<p class='banner'><strong>Fake Stripe</strong>: a local test double. No real payment "
        "is made and no data leaves this machine.</p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def _button(action: str, label: str, **fields: str) -> str:
    inputs = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in fields.items()
    )
    return (
        f"<form method='post' action='{escape(action)}'>{inputs}"
        f"<button>{escape(label)}</button></form>"
    )


def error(message: str) -> str:
    return _page(
        "Something went wrong", f"<p>{escape(message)}</p><p><a href='/clock'>Test clock</a></p>"
    )


def checkout(fake: FakeStripe, session: Obj) -> str:
    rows = []
    for item_id in session["_line_items"]:
        item = fake.render(fake._objects[item_id])
        price = item["price"]
        every = f" / {price['recurring']['interval']}" if price["recurring"] else ""
        rows.append(
            f"<tr><td>{escape(item['description'])}</td><td>{item['quantity']}</td>"
            f"<td>{money(item['amount_total'], item['currency'])}{every}</td></tr>"
        )
    total = money(session["amount_total"], session["currency"])
    if session["status"] != "open":
        action = f"<p>This checkout session is <strong>{escape(session['status'])}</strong>.</p>"
    else:
        email = session["customer_email"] or "customer@example.com"
        cancel = (
            f" <a href='{escape(session['cancel_url'])}'>Cancel</a>"
            if session["cancel_url"]
            else ""
        )
        action = (
            f"<form method='post' action='/checkout/{escape(session['id'])}/pay'>"
            f"<p><label>Email <input name='email' value='{escape(email)}'></label></p>"
            f"<p><label>Card <input name='card' value='{TEST_CARD}' readonly></label> "
            "<span class='muted'>12 / 30, CVC 123 (test card)</span></p>"
            f"<button>Pay {total}</button></form>{cancel}"
        )
    body = (
        "<table><tr><th>Item</th><th>Quantity</th><th>Price</th></tr>"
        + "".join(rows)
        + f"<tr class='total'><td>Total</td><td></td><td>{total}</td></tr></table>{action}"
    )
    return _page("Checkout", body)


def portal(fake: FakeStripe, session: Obj) -> str:
    subscriptions = [
        fake.render(s)
        for s in fake.all("subscription")
        if s["customer"] == session["customer"] and s["status"] != "canceled"
    ]
    prices = [
        p
        for p in fake.all("price")
        if p["active"] and p["recurring"] and fake._objects[p["product"]]["active"]
    ]
    parts = []
    base = f"/portal/{session['id']}"
    for subscription in subscriptions:
        item = subscription["items"]["data"][0]
        price = item["price"]
        product = fake._objects[price["product"]]
        renewal = _date(item["current_period_end"])
        if subscription["cancel_at_period_end"]:
            state = f"Ends on {renewal}. " + _button(
                f"{base}/resume", "Don't cancel", subscription=subscription["id"]
            )
        else:
            state = f"Renews on {renewal}."
        schedule = fake._objects.get(subscription["schedule"] or "")
        if schedule:
            upcoming = [
                p for p in schedule["phases"] if p["start_date"] > item["current_period_start"]
            ]
            if upcoming:
                next_price = fake._objects[upcoming[0]["items"][0]["price"]]
                next_name = fake._objects[next_price["product"]]["name"]
                state += f" Switches to {escape(next_name)} on {_date(upcoming[0]['start_date'])}."
        switches = "".join(
            "<li>"
            + _button(
                f"{base}/switch",
                f"Switch to {fake._objects[p['product']]['name']} "
                f"({money(p['unit_amount'], p['currency'])} / {p['recurring']['interval']})",
                subscription=subscription["id"],
                price=p["id"],
            )
            + "</li>"
            for p in prices
            if p["id"] != price["id"]
        )
        cancel = (
            ""
            if subscription["cancel_at_period_end"]
            else _button(f"{base}/cancel", "Cancel at period end", subscription=subscription["id"])
        )
        parts.append(
            f"<h2>{escape(product['name'])}</h2><p>{money(price['unit_amount'], price['currency'])}"
            f" / {price['recurring']['interval']}. {state}</p><ul>{switches}</ul>{cancel}"
        )
    if not parts:
        parts.append("<p>No active subscription.</p>")
    back = f"<p><a href='{escape(session['return_url'] or '/clock')}'>Return</a></p>"
    return _page("Billing portal", "".join(parts) + back)


def clock(fake: FakeStripe) -> str:
    rows = []
    for subscription in fake.all("subscription"):
        rendered = fake.render(subscription)
        item = rendered["items"]["data"][0]
        name = fake._objects[item["price"]["product"]]["name"]
        action = (
            _button("/clock/renew", "Renew now", subscription=subscription["id"])
            if subscription["status"] == "active"
            else ""
        )
        ending = " (cancels at period end)" if subscription["cancel_at_period_end"] else ""
        rows.append(
            f"<tr><td>{escape(subscription['id'])}</td><td>{escape(name)}</td>"
            f"<td>{escape(subscription['status'])}{ending}</td>"
            f"<td>{_date(item['current_period_end'])}</td><td>{action}</td></tr>"
        )
    payments = []
    for charge in fake.all("charge"):
        left = charge["amount"] - charge["amount_refunded"]
        action = _button("/clock/refund", "Refund", charge=charge["id"]) if left > 0 else "refunded"
        payments.append(
            f"<tr><td>{escape(charge['payment_intent'] or charge['id'])}</td>"
            f"<td>{escape(charge['description'] or '')}</td>"
            f"<td>{money(charge['amount'], charge['currency'])}</td>"
            f"<td>{money(charge['amount_refunded'], charge['currency'])}</td><td>{action}</td></tr>"
        )
    body = (
        "<h2>Subscriptions</h2><table><tr><th>Id</th><th>Plan</th><th>Status</th>"
        "<th>Period ends</th><th></th></tr>" + "".join(rows) + "</table>"
        "<h2>Payments</h2><table><tr><th>Payment</th><th>For</th><th>Amount</th>"
        "<th>Refunded</th><th></th></tr>" + "".join(payments) + "</table>"
        f"<p class='muted'>{len(fake.events)} events so far.</p>"
    )
    return _page("Test clock", body)
