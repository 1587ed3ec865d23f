"""The fake's state and the things that happen in Stripe: payments, renewals, plan changes, refunds.

Objects are stored as Stripe returns them unexpanded (references are ids); ``render`` fills in the
embedded objects Stripe always nests (a subscription item's price) and honours ``expand``.
Every change goes through ``_change()``: one re-entrant lock, and the events it created are
delivered after the lock is released, so a webhook receiver may call back into the fake.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import json
import os
import queue
import secrets
import string
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from quickscale.apps.billing.version import STRIPE_API_VERSION
from quickscale.testing.fakestripe import safety
from quickscale.testing.fakestripe.blanks import BLANKS
from quickscale.testing.fakestripe.errors import FakeStripeError, invalid, missing
from quickscale.testing.fakestripe.webhooks import Deliverer, http_deliverer, sign

Obj = dict[str, Any]

# A test key dj-stripe's key pattern accepts (sk_test_ and 24+ letters or digits).
FAKE_SECRET_KEY = "sk_test_quickscaleFakeStripe0000000000"  # noqa: S105  (no real key)
TIMES = "\u00d7"  # the multiplication sign of Stripe's line descriptions ("1 x Pro")
DEFAULT_BASE_URL = "http://127.0.0.1:12111"
CHECKOUT_LIFETIME = 24 * 3600  # seconds, Stripe's default expires_at
FEE_PERCENT = 2.9
FEE_FIXED = 30  # cents
CARD_EXPIRY_YEARS = 5
_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24


def blank(kind: str, **fields: Any) -> Obj:
    obj = copy.deepcopy(BLANKS[kind])
    obj.update(fields)
    return obj


def new_id(prefix: str, length: int = ID_LENGTH) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


class FakeStripe:
    """A stateful fake of the Stripe API; see the package docstring."""

    def __init__(
        self,
        api_version: str = STRIPE_API_VERSION,
        deliver: Deliverer | None = None,
        state_path: str | os.PathLike[str] | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        from quickscale.testing.fakestripe.client import FakeHTTPClient

        self.api_version = api_version
        self.deliverer: Deliverer = deliver or http_deliverer
        self.state_path = Path(state_path) if state_path else None
        self.base_url = base_url
        self.auto_deliver = True
        self.pending: list[Obj] = []
        self.deliveries: list[tuple[str, str, int]] = []  # (event id, url, status)
        self._lock = threading.RLock()
        self._depth = 0
        self._outbox: list[Obj] = []
        self._objects: dict[str, Obj] = {}
        self._secrets: dict[str, str] = {}  # webhook endpoint id -> whsec_
        self._pending_lines: dict[str, list[Obj]] = {}  # subscription id -> proration lines
        self._idempotency: dict[str, tuple[str, int, str]] = {}  # key -> (request, status, body)
        self._request: dict[str, str | None] = {"id": None, "idempotency_key": None}
        self._previous_client: Any = None
        self._queue: queue.Queue[Obj] | None = None
        self.account = self._new_account()
        if self.state_path and self.state_path.exists():
            self._load()
        self.http_client = FakeHTTPClient(self)

    # ----------------------------------------------------------------- installing
    def install(self) -> None:
        """Route the stripe SDK's requests (``stripe.default_http_client``) to this fake."""
        import stripe

        safety.ensure_allowed()
        self._previous_client = stripe.default_http_client
        stripe.default_http_client = self.http_client

    def uninstall(self) -> None:
        import stripe

        if stripe.default_http_client is self.http_client:
            stripe.default_http_client = self._previous_client
        self._previous_client = None

    @contextmanager
    def installed(self) -> Iterator[FakeStripe]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        from quickscale.testing.fakestripe.server import serve

        safety.ensure_allowed()
        return serve(self, host=host, port=port)

    def request(
        self, method: str, path: str, query: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        """One API request, as the HTTP client and the server hand it over."""
        from quickscale.testing.fakestripe.api import handle

        return handle(self, method, path, query, body, headers)

    # ----------------------------------------------------------------- state
    @property
    def events(self) -> list[Obj]:
        with self._lock:
            return [obj for obj in self._objects.values() if obj["object"] == "event"]

    def now(self) -> int:
        return int(time.time())

    def get(self, object_id: str, kind: str | None = None) -> Obj:
        obj = self._objects.get(object_id)
        if obj is None or (kind and obj["object"] != kind) or obj.get("deleted"):
            label = (
                (kind or "object").replace("_", " ").replace("checkout.session", "checkout.session")
            )
            raise missing(label, object_id)
        return obj

    def all(self, kind: str) -> list[Obj]:
        """Newest first, as Stripe lists."""
        return [
            obj
            for obj in reversed(self._objects.values())
            if obj["object"] == kind and not obj.get("deleted")
        ]

    def _put(self, obj: Obj) -> Obj:
        self._objects[obj["id"]] = obj
        return obj

    @contextmanager
    def _change(self) -> Iterator[None]:
        flush: list[Obj] = []
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    flush, self._outbox = self._outbox, []
                    self._save()
        for event in flush:
            if not self.auto_deliver:
                self.pending.append(event)
            elif self._queue is not None:
                self._queue.put(event)
            else:
                self.deliver(event)

    def deliver_in_background(self, retries: int = 5) -> None:
        """Send each event after the request that caused it has been answered, in order, from
        a thread of its own, as Stripe does; a delivery that fails is tried again after 1, 2,
        4… seconds. The served fake works this way, so a site that calls Stripe while it holds
        a database lock does not wait for its own webhook."""
        if self._queue is not None:
            return
        self._queue = queue.Queue()
        threading.Thread(
            target=self._deliver_queued, args=(retries,), name="fake-stripe-webhooks", daemon=True
        ).start()

    def _deliver_queued(self, retries: int) -> None:
        assert self._queue is not None
        while True:
            event = self._queue.get()
            for attempt in range(retries + 1):
                try:
                    statuses = self.deliver(event)
                except OSError:
                    statuses = [0]
                if all(200 <= status < 300 for status in statuses):
                    break
                if attempt < retries:
                    time.sleep(2**attempt)

    def _save(self) -> None:
        if not self.state_path:
            return
        state = {
            "objects": list(self._objects.values()),
            "secrets": self._secrets,
            "pending_lines": self._pending_lines,
            "account": self.account,
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_path)

    def _load(self) -> None:
        assert self.state_path is not None
        state = json.loads(self.state_path.read_text())
        self._objects = {obj["id"]: obj for obj in state["objects"]}
        self._secrets = state["secrets"]
        self._pending_lines = state["pending_lines"]
        self.account = state["account"]

    # ----------------------------------------------------------------- rendering
    def render(self, obj: Obj, expand: list[str] | tuple[str, ...] = ()) -> Obj:
        rendered = self._hydrate(copy.deepcopy(obj))
        for path in expand:
            rendered = self._expand(rendered, path.split("."))
        return rendered

    def _hydrate(self, obj: Obj) -> Obj:
        for private in [key for key in obj if key.startswith("_")]:
            del obj[private]  # the fake's own bookkeeping
        kind = obj.get("object")
        if kind == "subscription":
            obj["items"]["data"] = [
                self._hydrate(copy.deepcopy(self._objects[item_id]))
                for item_id in obj["items"]["data"]
            ]
        elif kind == "subscription_item":
            price = self._objects[obj["price"]]
            obj["price"] = copy.deepcopy(price)
            obj["plan"] = self._plan(price)
        elif kind == "item":
            obj["price"] = copy.deepcopy(self._objects[obj["price"]])
        elif kind == "charge":
            refunds = [copy.deepcopy(self._objects[i]) for i in obj["refunds"]["data"]]
            obj["refunds"]["data"] = refunds
        return obj

    def _expand(self, node: Any, parts: list[str]) -> Any:
        if not parts:
            return node
        if isinstance(node, list):
            return [self._expand(item, parts) for item in node]
        if not isinstance(node, dict):
            return node
        head, rest = parts[0], parts[1:]
        if head not in node:
            includable = self._includable(node, head)
            if includable is None:
                return node
            node[head] = includable
        value = node[head]
        if isinstance(value, str) and value in self._objects:
            value = self.render(self._objects[value])
        elif isinstance(value, list):
            value = [
                self.render(self._objects[v]) if isinstance(v, str) and v in self._objects else v
                for v in value
            ]
        node[head] = self._expand(value, rest)
        return node

    def _includable(self, node: Obj, field: str) -> Any:
        """Fields Stripe returns only when expanded."""
        kind = node.get("object")
        if kind == "checkout.session" and field == "line_items":
            items = [
                self.render(self._objects[i]) for i in self._objects[node["id"]]["_line_items"]
            ]
            return self.list_object(items, f"/v1/checkout/sessions/{node['id']}/line_items")
        if kind == "invoice" and field == "payments":
            payments = [
                self.render(p) for p in self.all("invoice_payment") if p["invoice"] == node["id"]
            ]
            return self.list_object(payments, f"/v1/invoices/{node['id']}/payments")
        if kind == "customer" and field == "sources":
            return self.list_object([], f"/v1/customers/{node['id']}/sources")
        if kind == "price" and field == "currency_options":
            return {
                node["currency"]: {
                    "custom_unit_amount": None,
                    "tax_behavior": node["tax_behavior"],
                    "unit_amount": node["unit_amount"],
                    "unit_amount_decimal": node["unit_amount_decimal"],
                }
            }
        if field == "breakdown" and "amount_discount" in node:
            return {"discounts": [], "taxes": []}
        return None

    @staticmethod
    def list_object(data: list[Obj], url: str, has_more: bool = False) -> Obj:
        return {"object": "list", "data": data, "has_more": has_more, "url": url}

    def _plan(self, price: Obj) -> Obj:
        recurring = price["recurring"] or {}
        return {
            "active": price["active"],
            "amount": price["unit_amount"],
            "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": price["billing_scheme"],
            "created": price["created"],
            "currency": price["currency"],
            "id": price["id"],
            "interval": recurring.get("interval"),
            "interval_count": recurring.get("interval_count"),
            "livemode": False,
            "metadata": copy.deepcopy(price["metadata"]),
            "meter": None,
            "nickname": price["nickname"],
            "object": "plan",
            "product": price["product"],
            "tiers_mode": None,
            "transform_usage": None,
            "trial_period_days": None,
            "usage_type": recurring.get("usage_type", "licensed"),
        }

    # ----------------------------------------------------------------- events
    def _emit(self, type: str, obj: Obj, previous: Obj | None = None) -> Obj:
        data: Obj = {"object": self.render(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = blank(
            "event",
            id=new_id("evt_"),
            api_version=self.api_version,
            created=self.now(),
            data=data,
            livemode=False,
            pending_webhooks=len(self._endpoints_for(type)),
            request=dict(self._request),
            type=type,
        )
        self._put(event)
        self._outbox.append(event)
        return event

    def _endpoints_for(self, type: str) -> list[Obj]:
        return [
            endpoint
            for endpoint in self.all("webhook_endpoint")
            if endpoint["status"] == "enabled"
            and ("*" in endpoint["enabled_events"] or type in endpoint["enabled_events"])
        ]

    def sign(self, body: bytes, secret: str, timestamp: int | None = None) -> str:
        return sign(body, secret, timestamp)

    def webhook_secret(self, endpoint_id: str) -> str:
        return self._secrets[endpoint_id]

    def deliver(self, event_or_id: Obj | str) -> list[int]:
        """(Re)send one event to every enabled endpoint that listens for its type."""
        with self._lock:
            event_id = event_or_id if isinstance(event_or_id, str) else event_or_id["id"]
            event = self.get(event_id, "event")
            body = json.dumps(event, indent=2).encode()
            targets = [(e["id"], e["url"]) for e in self._endpoints_for(event["type"])]
        statuses = []
        for endpoint_id, url in targets:
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": self.sign(body, self._secrets[endpoint_id]),
            }
            status = self.deliverer(url, body, headers)
            statuses.append(status)
            with self._lock:
                self.deliveries.append((event_id, url, status))
        return statuses

    def deliver_pending(self) -> list[int]:
        statuses = []
        while self.pending:
            statuses.extend(self.deliver(self.pending.pop(0)))
        return statuses

    # ----------------------------------------------------------------- builders
    def _new_account(self) -> Obj:
        account = blank(
            "account",
            id="acct_1QuickScaleFake0000",
            business_profile={
                **BLANKS["account"]["business_profile"],
                "name": "QuickScale (fake Stripe)",
            },
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            capabilities={"card_payments": "active", "transfers": "active"},
            created=self.now(),
            email="fake-stripe@localhost",
        )
        account["settings"]["dashboard"]["display_name"] = "QuickScale (fake Stripe)"
        account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
        return account

    def create_product(
        self,
        *,
        name: str,
        metadata: Mapping[str, str] | None = None,
        description: str | None = None,
        prices: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
        active: bool = True,
    ) -> Obj:
        """A product and its prices, as POST /v1/products and /v1/prices make them."""
        with self._change():
            product = self.product_create(
                {"name": name, "metadata": dict(metadata or {}), "description": description}
            )
            if not active:
                product["active"] = False
            for price in prices:
                self.price_create({**price, "product": product["id"]})
            if prices and not product["default_price"]:
                first = [p for p in reversed(self.all("price")) if p["product"] == product["id"]]
                product["default_price"] = first[0]["id"]
            return self.render(product)

    def product_create(self, params: Mapping[str, Any]) -> Obj:
        if not params.get("name"):
            from quickscale.testing.fakestripe.errors import required

            raise required("name")
        now = self.now()
        product = blank(
            "product",
            id=str(params.get("id") or new_id("prod_", 14)),
            active=_bool(params.get("active", True)),
            created=now,
            updated=now,
            name=params["name"],
            description=params.get("description") or None,
            metadata=_metadata({}, params.get("metadata")),
            images=list(params.get("images") or []),
            unit_label=params.get("unit_label") or None,
            url=params.get("url") or None,
            statement_descriptor=params.get("statement_descriptor") or None,
            tax_code=params.get("tax_code") or None,
            type="service",
            marketing_features=[
                {"name": f["name"]} for f in params.get("marketing_features") or []
            ],
        )
        with self._change():
            if product["id"] in self._objects:
                raise FakeStripeError(
                    f"Product already exists: {product['id']}", code="resource_already_exists"
                )
            self._put(product)
            self._emit("product.created", product)
            default_price = params.get("default_price_data")
            if default_price:
                price = self.price_create({**default_price, "product": product["id"]})
                product["default_price"] = price["id"]
                self._emit("product.updated", product, {"default_price": None})
        return product

    def price_create(self, params: Mapping[str, Any]) -> Obj:
        from quickscale.testing.fakestripe.errors import required

        product_id = params.get("product")
        if not product_id and params.get("product_data"):
            product_id = self.product_create(params["product_data"])["id"]
        if not product_id:
            raise required("product")
        self.get(product_id, "product")
        if not params.get("currency"):
            raise required("currency")
        if params.get("unit_amount") in (None, "") and params.get("unit_amount_decimal") is None:
            raise required("unit_amount")
        amount = _int(params.get("unit_amount", params.get("unit_amount_decimal")), "unit_amount")
        recurring = params.get("recurring")
        if recurring:
            interval = recurring.get("interval")
            if interval not in ("day", "week", "month", "year"):
                raise invalid("recurring[interval]", f"Invalid recurring[interval]: {interval}")
            recurring = {
                "interval": interval,
                "interval_count": _int(recurring.get("interval_count", 1), "interval_count"),
                "meter": None,
                "trial_period_days": None,
                "usage_type": recurring.get("usage_type", "licensed"),
            }
        lookup_key = params.get("lookup_key") or None
        with self._change():
            if lookup_key:
                holder = [p for p in self.all("price") if p["lookup_key"] == lookup_key]
                if holder and not _bool(params.get("transfer_lookup_key", False)):
                    raise FakeStripeError(
                        f"A price (`{holder[0]['id']}`) already uses that lookup key.",
                        param="lookup_key",
                    )
                for other in holder:
                    other["lookup_key"] = None
                    self._emit("price.updated", other, {"lookup_key": lookup_key})
            price = blank(
                "price",
                id=new_id("price_"),
                active=_bool(params.get("active", True)),
                created=self.now(),
                currency=str(params["currency"]).lower(),
                lookup_key=lookup_key,
                metadata=_metadata({}, params.get("metadata")),
                nickname=params.get("nickname") or None,
                product=product_id,
                recurring=recurring or None,
                tax_behavior=params.get("tax_behavior", "unspecified"),
                type="recurring" if recurring else "one_time",
                unit_amount=amount,
                unit_amount_decimal=str(amount),
            )
            self._put(price)
            self._emit("price.created", price)
        return price

    def customer_create(self, params: Mapping[str, Any]) -> Obj:
        customer = blank(
            "customer",
            id=new_id("cus_", 14),
            created=self.now(),
            currency=None,
            email=params.get("email") or None,
            name=params.get("name") or None,
            description=params.get("description") or None,
            phone=params.get("phone") or None,
            metadata=_metadata({}, params.get("metadata")),
            invoice_prefix=secrets.token_hex(4).upper(),
            next_invoice_sequence=1,
            address=None,
            shipping=None,
            preferred_locales=list(params.get("preferred_locales") or []),
        )
        customer["invoice_settings"]["rendering_options"] = None
        with self._change():
            self._put(customer)
            self._emit("customer.created", customer)
        return customer

    def _payment_method(self, customer_id: str | None, email: str | None) -> Obj:
        pm = blank(
            "payment_method",
            id=new_id("pm_"),
            created=self.now(),
            customer=customer_id,
            billing_details={
                "address": dict.fromkeys(
                    ("city", "country", "line1", "line2", "postal_code", "state")
                ),
                "email": email,
                "name": "Test Card",
                "phone": None,
                "tax_id": None,
            },
        )
        pm["card"].update(
            exp_month=12,
            exp_year=datetime.date.today().year + CARD_EXPIRY_YEARS,
            fingerprint="FakeStripe4242",
            regulated_status="unregulated",
            networks={"available": ["visa"], "preferred": None},
            three_d_secure_usage={"supported": True},
        )
        self._put(pm)
        if customer_id:
            self._emit("payment_method.attached", pm)
        return pm

    def _charge(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str | None,
        pm: Obj,
        description: str | None,
        metadata: Mapping[str, str],
    ) -> Obj:
        """A succeeded PaymentIntent with its Charge and balance transaction."""
        now = self.now()
        pi = blank(
            "payment_intent",
            id=new_id("pi_"),
            amount=amount,
            amount_received=amount,
            amount_details={"tip": {}},
            automatic_payment_methods=None,
            capture_method="automatic_async",
            created=now,
            currency=currency,
            customer=customer_id,
            description=description,
            metadata=dict(metadata),
            payment_method=pm["id"],
            payment_method_types=["card"],
            payment_method_options={
                "card": {
                    "installments": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            status="requires_payment_method",
        )
        pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(12)}"
        self._put(pi)
        self._emit("payment_intent.created", pi)
        fee = round(amount * FEE_PERCENT / 100) + FEE_FIXED
        charge = blank(
            "charge",
            id=new_id("ch_"),
            amount=amount,
            amount_captured=amount,
            captured=True,
            created=now,
            currency=currency,
            customer=customer_id,
            description=description,
            metadata=dict(metadata),
            payment_intent=pi["id"],
            payment_method=pm["id"],
            billing_details=copy.deepcopy(pm["billing_details"]),
            calculated_statement_descriptor="QUICKSCALE FAKE",
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
        )
        charge["payment_method_details"]["card"].update(
            exp_month=pm["card"]["exp_month"],
            exp_year=pm["card"]["exp_year"],
            fingerprint=pm["card"]["fingerprint"],
        )
        charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
        charge["balance_transaction"] = self._balance_transaction(
            amount, fee, currency, charge["id"], "charge", description
        )["id"]
        self._put(charge)
        pi.update(status="succeeded", latest_charge=charge["id"])
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", pi)
        return pi

    def _balance_transaction(
        self, amount: int, fee: int, currency: str, source: str, type: str, description: str | None
    ) -> Obj:
        now = self.now()
        fee_details = []
        if fee:
            fee_details = [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
        return self._put(
            blank(
                "balance_transaction",
                id=new_id("txn_"),
                amount=amount,
                available_on=now + 2 * 86400,
                created=now,
                currency=currency,
                description=description,
                fee=fee,
                fee_details=fee_details,
                net=amount - fee,
                reporting_category=type,
                source=source,
                status="available",
                type=type,
            )
        )

    # ----------------------------------------------------------------- checkout
    def checkout_session_create(self, params: Mapping[str, Any]) -> Obj:
        from quickscale.testing.fakestripe.errors import required

        mode = params.get("mode")
        if not mode:
            raise required("mode")
        if mode not in ("payment", "subscription"):
            raise invalid("mode", f"The fake Stripe does not support mode `{mode}`.")
        if params.get("ui_mode", "hosted") == "hosted" and not params.get("success_url"):
            raise required("success_url")
        if params.get("customer") and params.get("customer_email"):
            raise FakeStripeError(
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer",
            )
        customer_id = params.get("customer") or None
        if customer_id:
            self.get(customer_id, "customer")
        lines = params.get("line_items") or []
        if not lines:
            raise required("line_items")
        items: list[Obj] = []
        currencies = set()
        recurring = 0
        for index, line in enumerate(lines):
            if not isinstance(line, dict) or not line.get("price"):
                raise required(f"line_items[{index}][price]")
            price = self.get(line["price"], "price")
            if not price["active"]:
                raise invalid(
                    f"line_items[{index}][price]",
                    f"The price specified ({price['id']}) is inactive. This field only accepts "
                    "active prices.",
                )
            quantity = _int(line.get("quantity", 1), f"line_items[{index}][quantity]")
            if price["recurring"]:
                recurring += 1
                if mode == "payment":
                    raise invalid(
                        "line_items",
                        "You specified `payment` mode but passed a recurring price. Either "
                        "switch to `subscription` mode or use only one-time prices.",
                    )
            currencies.add(price["currency"])
            product = self._objects[price["product"]]
            amount = price["unit_amount"] * quantity
            items.append(
                blank(
                    "item",
                    id=new_id("li_"),
                    amount_discount=0,
                    amount_subtotal=amount,
                    amount_tax=0,
                    amount_total=amount,
                    currency=price["currency"],
                    description=product["name"],
                    price=price["id"],
                    quantity=quantity,
                    metadata={},
                    adjustable_quantity=None,
                )
            )
        if mode == "subscription" and not recurring:
            raise invalid(
                "line_items",
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
            )
        if len(currencies) > 1:
            raise invalid("line_items", "All prices must use the same currency.")
        total = sum(item["amount_total"] for item in items)
        now = self.now()
        session = blank(
            "checkout.session",
            id=new_id("cs_test_", 58),
            amount_subtotal=total,
            amount_total=total,
            cancel_url=params.get("cancel_url") or None,
            client_reference_id=params.get("client_reference_id") or None,
            created=now,
            currency=currencies.pop(),
            customer=customer_id,
            customer_creation=(
                params.get("customer_creation", "if_required")
                if mode == "payment" and not customer_id
                else None
            ),
            customer_details=None,
            customer_email=params.get("customer_email") or None,
            expires_at=_int(params.get("expires_at", now + CHECKOUT_LIFETIME), "expires_at"),
            locale=params.get("locale") or None,
            metadata=_metadata({}, params.get("metadata")),
            mode=mode,
            payment_method_types=list(params.get("payment_method_types") or ["card"]),
            payment_method_collection="always" if mode == "subscription" else None,
            success_url=params.get("success_url") or None,
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            ui_mode=params.get("ui_mode", "hosted"),
            allow_promotion_codes=_bool(params["allow_promotion_codes"])
            if "allow_promotion_codes" in params
            else None,
            billing_address_collection=params.get("billing_address_collection") or None,
        )
        session["url"] = f"{self.base_url}/checkout/{session['id']}"
        session["invoice_creation"] = (
            {"enabled": False, "invoice_data": _blank_invoice_data()} if mode == "payment" else None
        )
        session["_line_items"] = [item["id"] for item in items]
        session["_subscription_data"] = dict(params.get("subscription_data") or {})
        session["_payment_intent_data"] = dict(params.get("payment_intent_data") or {})
        with self._change():
            for item in items:
                self._put(item)
            self._put(session)
        return session

    def pay_checkout_session(self, session_id: str, *, email: str | None = None) -> Obj:
        """What paying on Stripe's checkout page does, with the events Stripe sends."""
        with self._change():
            session = self.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise FakeStripeError(
                    f"This Checkout Session is no longer open (status {session['status']}).",
                    code="checkout_session_not_open",
                )
            customer = self._objects.get(session["customer"] or "")
            email = email or session["customer_email"] or (customer or {}).get("email")
            email = email or "customer@example.com"
            if customer is None and (
                session["mode"] == "subscription" or session["customer_creation"] == "always"
            ):
                customer = self.customer_create({"email": email})
            customer_id = customer["id"] if customer else None
            pm = self._payment_method(customer_id, email)
            items = [self._objects[i] for i in session["_line_items"]]
            previous = {"status": "open", "payment_status": "unpaid"}
            if session["mode"] == "payment":
                pi_data = session["_payment_intent_data"]
                pi = self._charge(
                    amount=session["amount_total"],
                    currency=session["currency"],
                    customer_id=customer_id,
                    pm=pm,
                    description=pi_data.get("description"),
                    metadata=_metadata({}, pi_data.get("metadata")),
                )
                session["payment_intent"] = pi["id"]
            else:
                subscription, invoice = self._subscription_from_checkout(
                    session, customer, pm, items
                )
                session["subscription"] = subscription["id"]
                session["invoice"] = invoice["id"]
            session.update(
                status="complete",
                payment_status="paid",
                customer=customer_id,
                customer_details={
                    "address": dict.fromkeys(
                        ("city", "country", "line1", "line2", "postal_code", "state")
                    ),
                    "email": email,
                    "name": "Test Card",
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                    "business_name": None,
                    "individual_name": None,
                },
            )
            self._emit("checkout.session.completed", session, previous)
            return self.render(session)

    def expire_checkout_session(self, session_id: str) -> Obj:
        with self._change():
            session = self.get(session_id, "checkout.session")
            if session["status"] != "open":
                raise FakeStripeError(
                    f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f'Checkout Session has a status of "{session["status"]}".',
                )
            session["status"] = "expired"
            self._emit("checkout.session.expired", session, {"status": "open"})
            return self.render(session)

    def portal_session_create(self, params: Mapping[str, Any]) -> Obj:
        from quickscale.testing.fakestripe.errors import required

        customer_id = params.get("customer")
        if not customer_id:
            raise required("customer")
        self.get(customer_id, "customer")
        session = blank(
            "billing_portal.session",
            id=new_id("bps_"),
            configuration=params.get("configuration") or "bpc_1QuickScaleFakePortal",
            created=self.now(),
            customer=customer_id,
            flow=None,
            livemode=False,
            locale=params.get("locale") or None,
            return_url=params.get("return_url") or None,
        )
        session["url"] = f"{self.base_url}/portal/{session['id']}"
        with self._change():
            self._put(session)
        return session

    # ----------------------------------------------------------------- subscriptions
    def _subscription_from_checkout(
        self, session: Obj, customer: Obj | None, pm: Obj, items: list[Obj]
    ) -> tuple[Obj, Obj]:
        assert customer is not None
        now = self.now()
        data = session["_subscription_data"]
        subscription = blank(
            "subscription",
            id=new_id("sub_"),
            billing_cycle_anchor=now,
            billing_mode={"type": "classic"},
            cancel_at_period_end=False,
            created=now,
            currency=session["currency"],
            customer=customer["id"],
            default_payment_method=pm["id"],
            description=data.get("description") or None,
            metadata=_metadata({}, data.get("metadata")),
            start_date=now,
            status="active",
        )
        subscription["payment_settings"]["save_default_payment_method"] = "off"
        subscription["items"]["url"] = f"/v1/subscription_items?subscription={subscription['id']}"
        one_time: list[Obj] = []
        for item in items:
            price = self._objects[item["price"]]
            if not price["recurring"]:
                one_time.append(item)
                continue
            recurring = price["recurring"]
            end = add_interval(now, recurring["interval"], recurring["interval_count"])
            subscription_item = blank(
                "subscription_item",
                id=new_id("si_", 14),
                created=now,
                current_period_start=now,
                current_period_end=end,
                price=price["id"],
                quantity=item["quantity"],
                subscription=subscription["id"],
                metadata={},
            )
            self._put(subscription_item)
            subscription["items"]["data"].append(subscription_item["id"])
        if customer["currency"] is None:
            customer["currency"] = session["currency"]
        self._put(subscription)
        self._emit("customer.subscription.created", subscription)
        lines = [
            self._item_line(self._objects[i], subscription) for i in subscription["items"]["data"]
        ]
        for item in one_time:
            price = self._objects[item["price"]]
            lines.append(
                self._line(
                    amount=item["amount_total"],
                    currency=price["currency"],
                    description=f"{item['quantity']} {TIMES} {item['description']}",
                    price=price,
                    quantity=item["quantity"],
                    start=now,
                    end=now,
                    subscription=subscription,
                    subscription_item=None,
                )
            )
        invoice = self._invoice(subscription, "subscription_create", lines, now, now)
        self._pay_invoice(invoice, pm)
        return subscription, invoice

    def _item_line(self, item: Obj, subscription: Obj) -> Obj:
        price = self._objects[item["price"]]
        product = self._objects[price["product"]]
        recurring = price["recurring"]
        interval = recurring["interval"]
        return self._line(
            amount=price["unit_amount"] * item["quantity"],
            currency=price["currency"],
            description=(
                f"{item['quantity']} {TIMES} {product['name']} "
                f"(at {money(price['unit_amount'], price['currency'])} / {interval})"
            ),
            price=price,
            quantity=item["quantity"],
            start=item["current_period_start"],
            end=item["current_period_end"],
            subscription=subscription,
            subscription_item=item["id"],
        )

    def _line(
        self,
        *,
        amount: int,
        currency: str,
        description: str,
        price: Obj,
        quantity: int,
        start: int,
        end: int,
        subscription: Obj,
        subscription_item: str | None,
        proration: bool = False,
        credited: Obj | None = None,
    ) -> Obj:
        line = blank(
            "line_item",
            id=new_id("il_"),
            amount=amount,
            currency=currency,
            description=description,
            period={"start": start, "end": end},
            quantity=quantity,
            subtotal=amount,
            pretax_credit_amounts=[],
            taxes=[],
            parent={
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": proration,
                    "proration_details": {"credited_items": credited},
                    "subscription": subscription["id"],
                    "subscription_item": subscription_item,
                },
                "type": "subscription_item_details",
            },
            pricing={
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": price["unit_amount_decimal"],
            },
        )
        return line

    def _invoice(
        self, subscription: Obj, reason: str, lines: list[Obj], start: int, end: int
    ) -> Obj:
        customer = self._objects[subscription["customer"]]
        total = sum(line["amount"] for line in lines)
        now = self.now()
        invoice = blank(
            "invoice",
            id=new_id("in_"),
            amount_due=max(total, 0),
            amount_remaining=max(total, 0),
            amount_overpaid=0,
            auto_advance=True,
            billing_reason=reason,
            created=now,
            currency=subscription["currency"],
            customer=customer["id"],
            customer_email=customer["email"],
            customer_name=customer["name"],
            customer_address=None,
            customer_tax_ids=[],
            period_start=start,
            period_end=end,
            subtotal=total,
            subtotal_excluding_tax=total,
            total=total,
            total_excluding_tax=total,
            total_pretax_credit_amounts=[],
            total_taxes=[],
            starting_balance=customer["balance"],
            parent={
                "quote_details": None,
                "subscription_details": {
                    "metadata": copy.deepcopy(subscription["metadata"]),
                    "subscription": subscription["id"],
                },
                "type": "subscription_details",
            },
            status="draft",
        )
        invoice["payment_settings"]["payment_method_options"] = None
        invoice["rendering"] = None
        invoice["issuer"] = {"type": "self"}
        for line in lines:
            line["invoice"] = invoice["id"]
        invoice["lines"] = self.list_object(lines, f"/v1/invoices/{invoice['id']}/lines")
        self._put(invoice)
        subscription["latest_invoice"] = invoice["id"]
        self._emit("invoice.created", invoice)
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
        invoice.update(
            status="open",
            number=f"{customer['invoice_prefix']}-{sequence:04d}",
            effective_at=now,
            hosted_invoice_url=None,
        )
        invoice["status_transitions"]["finalized_at"] = now
        self._emit("invoice.finalized", invoice)
        return invoice

    def _pay_invoice(self, invoice: Obj, pm: Obj) -> None:
        customer = self._objects[invoice["customer"]]
        total = invoice["total"] + customer["balance"]
        now = self.now()
        if total > 0:
            description = {
                "subscription_create": "Subscription creation",
                "subscription_cycle": "Subscription cycle",
                "subscription_update": "Subscription update",
            }.get(invoice["billing_reason"])
            pi = self._charge(
                amount=total,
                currency=invoice["currency"],
                customer_id=customer["id"],
                pm=pm,
                description=description,
                metadata={},
            )
            payment = blank(
                "invoice_payment",
                id=new_id("inpay_"),
                amount_paid=total,
                amount_requested=total,
                created=now,
                currency=invoice["currency"],
                invoice=invoice["id"],
                is_default=True,
                livemode=False,
                payment={"payment_intent": pi["id"], "type": "payment_intent"},
                status="paid",
                status_transitions={"canceled_at": None, "paid_at": now},
            )
            self._put(payment)
            self._emit("invoice_payment.paid", payment)
        customer["balance"] = min(total, 0)
        invoice.update(
            amount_due=max(total, 0),
            amount_paid=max(total, 0),
            amount_remaining=0,
            attempt_count=1 if total > 0 else 0,
            attempted=True,
            auto_advance=False,
            ending_balance=customer["balance"],
            status="paid",
            webhooks_delivered_at=now,
        )
        invoice["status_transitions"]["paid_at"] = now
        self._emit("invoice.paid", invoice)
        self._emit("invoice.payment_succeeded", invoice)

    def _subscription(self, subscription_id: str) -> Obj:
        return self.get(subscription_id, "subscription")

    def _items(self, subscription: Obj) -> list[Obj]:
        return [self._objects[i] for i in subscription["items"]["data"]]

    def _sub_previous(self, subscription: Obj) -> Obj:
        return {"items": self.render(subscription)["items"]}

    def renew_subscription(self, subscription_id: str) -> Obj | None:
        """The test clock reaching the period end: renew and charge, or end a cancelled one."""
        with self._change():
            subscription = self._subscription(subscription_id)
            if subscription["status"] not in ("active", "past_due", "trialing"):
                raise FakeStripeError(
                    f"Subscription {subscription_id} is {subscription['status']}; only a live "
                    "subscription renews."
                )
            items = self._items(subscription)
            period_start = items[0]["current_period_start"]
            period_end = items[0]["current_period_end"]
            if subscription["cancel_at_period_end"]:
                previous = {"status": subscription["status"]}
                subscription.update(status="canceled", ended_at=period_end)
                subscription["cancellation_details"]["reason"] = "cancellation_requested"
                self._emit("customer.subscription.deleted", subscription, previous)
                return None
            previous = self._sub_previous(subscription)
            self._advance_schedule(subscription, period_end)
            for item in items:
                recurring = self._objects[item["price"]]["recurring"]
                item["current_period_start"] = period_end
                item["current_period_end"] = add_interval(
                    period_end, recurring["interval"], recurring["interval_count"]
                )
            self._emit("customer.subscription.updated", subscription, previous)
            lines = self._pending_lines.pop(subscription["id"], [])
            lines += [self._item_line(item, subscription) for item in items]
            invoice = self._invoice(
                subscription, "subscription_cycle", lines, period_start, period_end
            )
            self._pay_invoice(invoice, self._objects[subscription["default_payment_method"]])
            return self.render(invoice)

    def _advance_schedule(self, subscription: Obj, at: int) -> None:
        schedule_id = subscription["schedule"]
        if not schedule_id:
            return
        schedule = self._objects[schedule_id]
        upcoming = [phase for phase in schedule["phases"] if phase["start_date"] == at]
        if upcoming:
            phase = upcoming[0]
            for item, planned in zip(self._items(subscription), phase["items"], strict=False):
                item["price"] = planned["price"]
                item["quantity"] = planned["quantity"]
            schedule["current_phase"] = {
                "start_date": phase["start_date"],
                "end_date": phase["end_date"],
            }
            self._emit("subscription_schedule.updated", schedule)
            return
        if schedule["current_phase"] and schedule["current_phase"]["end_date"] == at:
            self._release_schedule(subscription)

    def _release_schedule(self, subscription: Obj) -> None:
        schedule = self._objects[subscription["schedule"]]
        schedule.update(
            status="released",
            released_at=self.now(),
            released_subscription=subscription["id"],
            subscription=None,
            current_phase=None,
        )
        subscription["schedule"] = None
        self._emit("subscription_schedule.released", schedule)

    def change_subscription_price(self, subscription_id: str, price_id: str) -> Obj:
        """The portal's plan switch: an upgrade now (prorated, invoiced at once), a downgrade
        at the period end (through a subscription schedule, as the portal does)."""
        with self._change():
            subscription = self._subscription(subscription_id)
            new_price = self.get(price_id, "price")
            item = self._items(subscription)[0]
            old_price = self._objects[item["price"]]
            if new_price["id"] == old_price["id"]:
                raise invalid("price", "The subscription already uses this price.")
            if not new_price["recurring"]:
                raise invalid("price", "A subscription needs a recurring price.")
            if new_price["unit_amount"] >= old_price["unit_amount"]:
                if subscription["schedule"]:
                    self._release_schedule(subscription)
                self._switch_price(subscription, new_price, "always_invoice")
            else:
                self._schedule_downgrade(subscription, new_price)
            return self.render(subscription)

    def _switch_price(self, subscription: Obj, price: Obj, proration_behavior: str) -> None:
        item = self._items(subscription)[0]
        old = self._objects[item["price"]]
        previous = self._sub_previous(subscription)
        now = self.now()
        start, end = item["current_period_start"], item["current_period_end"]
        fraction = min(max((end - now) / max(end - start, 1), 0.0), 1.0)
        quantity = item["quantity"]
        day = datetime.datetime.fromtimestamp(now, tz=datetime.UTC).strftime("%d %b %Y")
        credited = None
        latest = self._objects.get(subscription["latest_invoice"] or "")
        if latest:
            credited_lines = [
                line["id"]
                for line in latest["lines"]["data"]
                if (line["parent"] or {})
                .get("subscription_item_details", {})
                .get("subscription_item")
                == item["id"]
            ]
            credited = {"invoice": latest["id"], "invoice_line_items": credited_lines}
        old_product = self._objects[old["product"]]["name"]
        new_product = self._objects[price["product"]]["name"]
        lines = [
            self._line(
                amount=-round(old["unit_amount"] * quantity * fraction),
                currency=old["currency"],
                description=f"Unused time on {quantity} {TIMES} {old_product} after {day}",
                price=old,
                quantity=quantity,
                start=now,
                end=end,
                subscription=subscription,
                subscription_item=item["id"],
                proration=True,
                credited=credited,
            ),
            self._line(
                amount=round(price["unit_amount"] * quantity * fraction),
                currency=price["currency"],
                description=f"Remaining time on {quantity} {TIMES} {new_product} after {day}",
                price=price,
                quantity=quantity,
                start=now,
                end=end,
                subscription=subscription,
                subscription_item=item["id"],
                proration=True,
            ),
        ]
        item["price"] = price["id"]
        self._emit("customer.subscription.updated", subscription, previous)
        if proration_behavior == "always_invoice":
            invoice = self._invoice(subscription, "subscription_update", lines, now, now)
            self._pay_invoice(invoice, self._objects[subscription["default_payment_method"]])
        elif proration_behavior == "create_prorations":
            self._pending_lines.setdefault(subscription["id"], []).extend(lines)

    def _schedule_downgrade(self, subscription: Obj, price: Obj) -> None:
        item = self._items(subscription)[0]
        start, end = item["current_period_start"], item["current_period_end"]
        recurring = price["recurring"]
        next_end = add_interval(end, recurring["interval"], recurring["interval_count"])

        def phase(price_id: str, quantity: int, phase_start: int, phase_end: int) -> Obj:
            return {
                "add_invoice_items": [],
                "application_fee_percent": None,
                "billing_cycle_anchor": None,
                "collection_method": None,
                "currency": subscription["currency"],
                "default_payment_method": None,
                "default_tax_rates": [],
                "description": None,
                "discounts": [],
                "end_date": phase_end,
                "invoice_settings": None,
                "items": [
                    {
                        "discounts": [],
                        "metadata": {},
                        "price": price_id,
                        "quantity": quantity,
                        "tax_rates": [],
                        "plan": price_id,
                        "billing_thresholds": None,
                    }
                ],
                "metadata": {},
                "on_behalf_of": None,
                "proration_behavior": "create_prorations",
                "start_date": phase_start,
                "transfer_data": None,
                "trial_end": None,
                "billing_thresholds": None,
            }

        phases = [
            phase(item["price"], item["quantity"], start, end),
            phase(price["id"], item["quantity"], end, next_end),
        ]
        schedule = self._objects.get(subscription["schedule"] or "")
        if schedule:
            schedule["phases"] = phases
            self._emit("subscription_schedule.updated", schedule)
            return
        schedule = blank(
            "subscription_schedule",
            id=new_id("sub_sched_"),
            canceled_at=None,
            completed_at=None,
            released_at=None,
            created=self.now(),
            current_phase={"start_date": start, "end_date": end},
            customer=subscription["customer"],
            end_behavior="release",
            metadata={},
            phases=phases,
            status="active",
            subscription=subscription["id"],
            billing_mode={"type": "classic"},
            livemode=False,
        )
        schedule["default_settings"]["invoice_settings"]["issuer"] = {"type": "self"}
        self._put(schedule)
        subscription["schedule"] = schedule["id"]
        self._emit("subscription_schedule.created", schedule)
        self._emit("customer.subscription.updated", subscription, {"schedule": None})

    def subscription_update(self, subscription_id: str, params: Mapping[str, Any]) -> Obj:
        with self._change():
            subscription = self._subscription(subscription_id)
            allowed_when_canceled = {"metadata", "cancellation_details", "expand"}
            if subscription["status"] == "canceled" and set(params) - allowed_when_canceled:
                raise FakeStripeError(
                    "A canceled subscription can only update its cancellation_details and metadata."
                )
            if "cancel_at_period_end" in params:
                if subscription["schedule"]:
                    raise FakeStripeError(
                        f"The subscription is managed by the subscription schedule "
                        f"`{subscription['schedule']}`, and updating any cancelation behavior "
                        "directly is not allowed. Please update the schedule instead.",
                        param="cancel_at_period_end",
                    )
                self._set_cancel_at_period_end(subscription, _bool(params["cancel_at_period_end"]))
            if "metadata" in params:
                previous = {"metadata": copy.deepcopy(subscription["metadata"])}
                subscription["metadata"] = _metadata(subscription["metadata"], params["metadata"])
                self._emit("customer.subscription.updated", subscription, previous)
            for index, change in enumerate(params.get("items") or []):
                if not change.get("price"):
                    continue
                item_id = change.get("id") or subscription["items"]["data"][0]
                if item_id not in subscription["items"]["data"]:
                    raise missing("subscription item", item_id, f"items[{index}][id]")
                price = self.get(change["price"], "price")
                behavior = params.get("proration_behavior", "create_prorations")
                if behavior not in ("create_prorations", "always_invoice", "none"):
                    raise invalid("proration_behavior", f"Invalid proration_behavior: {behavior}")
                if item_id == subscription["items"]["data"][0]:
                    self._switch_price(subscription, price, behavior)
            return subscription

    def _set_cancel_at_period_end(self, subscription: Obj, value: bool) -> None:
        if subscription["cancel_at_period_end"] == value:
            return
        previous = {
            "cancel_at_period_end": subscription["cancel_at_period_end"],
            "cancel_at": subscription["cancel_at"],
            "canceled_at": subscription["canceled_at"],
        }
        end = self._items(subscription)[0]["current_period_end"]
        subscription.update(
            cancel_at_period_end=value,
            cancel_at=end if value else None,
            canceled_at=self.now() if value else None,
        )
        subscription["cancellation_details"]["reason"] = "cancellation_requested" if value else None
        self._emit("customer.subscription.updated", subscription, previous)

    def cancel_subscription(self, subscription_id: str, at_period_end: bool = True) -> Obj:
        with self._change():
            subscription = self._subscription(subscription_id)
            if subscription["status"] == "canceled":
                raise FakeStripeError(
                    f"No such subscription: '{subscription_id}' is already canceled.",
                    code="resource_missing",
                    status=404,
                )
            if subscription["schedule"]:
                self._release_schedule(subscription)
            if at_period_end:
                self._set_cancel_at_period_end(subscription, True)
            else:
                previous = {"status": subscription["status"]}
                now = self.now()
                subscription.update(status="canceled", canceled_at=now, ended_at=now)
                subscription["cancellation_details"]["reason"] = "cancellation_requested"
                self._emit("customer.subscription.deleted", subscription, previous)
            return self.render(subscription)

    # ----------------------------------------------------------------- refunds
    def refund(
        self,
        payment_intent_or_charge_id: str,
        amount: int | None = None,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Obj:
        with self._change():
            target = self._objects.get(payment_intent_or_charge_id)
            if target is None or target["object"] not in ("payment_intent", "charge"):
                kind = (
                    "payment_intent" if payment_intent_or_charge_id.startswith("pi_") else "charge"
                )
                raise missing(kind.replace("_", " "), payment_intent_or_charge_id, kind)
            charge = target
            if target["object"] == "payment_intent":
                if not target["latest_charge"]:
                    raise FakeStripeError(
                        "This PaymentIntent does not have a successful charge to refund.",
                        param="payment_intent",
                    )
                charge = self._objects[target["latest_charge"]]
            remaining = charge["amount"] - charge["amount_refunded"]
            if remaining <= 0:
                raise FakeStripeError(
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            amount = remaining if amount is None else amount
            if amount <= 0:
                raise invalid("amount", "Refund amount must be positive.")
            if amount > remaining:
                raise FakeStripeError(
                    f"Refund amount ({money(amount, charge['currency'])}) is greater than "
                    f"unrefunded amount on charge ({money(remaining, charge['currency'])})",
                    param="amount",
                )
            refund = blank(
                "refund",
                id=new_id("re_"),
                amount=amount,
                charge=charge["id"],
                created=self.now(),
                currency=charge["currency"],
                customer=charge["customer"],
                destination_details={
                    "card": {
                        "reference": None,
                        "reference_status": "pending",
                        "reference_type": "acquirer_reference_number",
                        "type": "refund",
                    },
                    "type": "card",
                },
                metadata=dict(metadata or {}),
                payment_intent=charge["payment_intent"],
                payment_method=charge["payment_method"],
                reason=reason,
                status="succeeded",
            )
            refund["balance_transaction"] = self._balance_transaction(
                -amount, 0, charge["currency"], refund["id"], "refund", "REFUND FOR CHARGE"
            )["id"]
            self._put(refund)
            previous = {
                "amount_refunded": charge["amount_refunded"],
                "refunded": charge["refunded"],
            }
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            charge["refunds"]["data"].insert(0, refund["id"])
            self._emit("charge.refunded", charge, previous)
            self._emit("refund.created", refund)
            return self.render(refund)

    # ----------------------------------------------------------------- webhook endpoints
    def webhook_endpoint_create(self, params: Mapping[str, Any]) -> Obj:
        from quickscale.testing.fakestripe.errors import required

        if not params.get("url"):
            raise required("url")
        if not params.get("enabled_events"):
            raise required("enabled_events")
        endpoint = blank(
            "webhook_endpoint",
            id=new_id("we_"),
            api_version=params.get("api_version") or None,
            created=self.now(),
            description=params.get("description") or None,
            enabled_events=list(params["enabled_events"]),
            metadata=_metadata({}, params.get("metadata")),
            status="enabled",
            url=params["url"],
        )
        secret = "whsec_" + secrets.token_hex(16)
        with self._change():
            self._put(endpoint)
            self._secrets[endpoint["id"]] = secret
        return {**endpoint, "secret": secret}


def _blank_invoice_data() -> Obj:
    return {
        "account_tax_ids": None,
        "custom_fields": None,
        "description": None,
        "footer": None,
        "issuer": None,
        "metadata": {},
        "rendering_options": None,
    }


def _metadata(current: Mapping[str, str], update: Any) -> dict[str, str]:
    """Stripe merges metadata; an empty value (or metadata="") deletes."""
    if update in ("", None):
        return {} if update == "" else dict(current)
    if not isinstance(update, dict):
        raise invalid("metadata", "Invalid object")
    merged = dict(current)
    for key, value in update.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[str(key)] = str(value)
    return merged


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0", ""):
        return False
    raise invalid(str(value), f"Invalid boolean: {value}")


def _int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(param, f"Invalid integer: {value}") from None
