"""The REST surface: Stripe's URLs, authentication, idempotency, pagination and errors."""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from quickscale.testing.fakestripe import forms
from quickscale.testing.fakestripe.errors import FakeStripeError, invalid, missing, required

if TYPE_CHECKING:
    from quickscale.testing.fakestripe.fake import FakeStripe, Obj

Handler = Callable[..., Any]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_ID = r"(?P<id>[A-Za-z0-9_]+)"


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile("^" + pattern.replace("{id}", _ID) + "$"), handler))
        return handler

    return register


def handle(
    fake: FakeStripe, method: str, path: str, query: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    from quickscale.testing.fakestripe.fake import new_id

    lowered = {key.lower(): value for key, value in headers.items()}
    request_id = new_id("req_", 14)
    response_headers = {
        "Content-Type": "application/json",
        "Request-Id": request_id,
        "Stripe-Version": fake.api_version,
    }
    try:
        api_key = _authenticate(lowered)
        text = query if method in ("GET", "DELETE") else body.decode()
        params = forms.parse(text)
        handler, match = _resolve(method, path)
        key = lowered.get("idempotency-key") if method == "POST" else None
        with fake._change():
            if key:
                cache_key = f"{api_key}:{key}"
                cached = fake._idempotency.get(cache_key)
                signature = f"{method} {path} {text}"
                if cached:
                    if cached[0] != signature:
                        raise FakeStripeError(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    response_headers["Idempotent-Replayed"] = "true"
                    response_headers["Idempotency-Key"] = key
                    return cached[1], cached[2].encode(), response_headers
            fake._request = {"id": request_id, "idempotency_key": key}
            try:
                payload = handler(fake, params, **match.groupdict())
            finally:
                fake._request = {"id": None, "idempotency_key": None}
            content = json.dumps(payload, indent=2)
            if key:
                fake._idempotency[cache_key] = (signature, 200, content)
                response_headers["Idempotency-Key"] = key
        return 200, content.encode(), response_headers
    except FakeStripeError as error:
        error_body = error.body()
        error_body["error"]["request_log_url"] = None  # type: ignore[index]
        response_headers["Stripe-Should-Retry"] = "false"
        return error.status, json.dumps(error_body).encode(), response_headers


def _authenticate(headers: Mapping[str, str]) -> str:
    authorization = headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "basic":
        credential = base64.b64decode(credential).decode(errors="replace").partition(":")[0]
    if not credential:
        raise FakeStripeError(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
            status=401,
            type="authentication_error",
        )
    if not credential.startswith(("sk_test_", "rk_test_")):
        redacted = credential[:8] + "*" * max(len(credential) - 12, 0) + credential[-4:]
        raise FakeStripeError(
            f"Invalid API Key provided: {redacted}. The fake Stripe accepts test-mode secret "
            "keys only (sk_test_...).",
            status=401,
            type="authentication_error",
        )
    return credential


def _resolve(method: str, path: str) -> tuple[Handler, re.Match[str]]:
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return handler, match
    raise FakeStripeError(
        f"Unrecognized request URL ({method}: {path}). The fake Stripe serves only the "
        "endpoints QuickScale and dj-stripe call.",
        status=404,
    )


# ---------------------------------------------------------------------- helpers
def _expand(params: Mapping[str, Any]) -> list[str]:
    expand = params.get("expand") or []
    return [expand] if isinstance(expand, str) else list(expand)


def _retrieve(fake: FakeStripe, params: Mapping[str, Any], object_id: str, kind: str) -> Obj:
    return fake.render(fake.get(object_id, kind), _expand(params))


def _created_matches(obj: Obj, created: Any) -> bool:
    if created in (None, ""):
        return True
    if isinstance(created, dict):
        checks = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }
        return all(checks[op](obj["created"], int(value)) for op, value in created.items())
    return bool(obj["created"] == int(created))


def paginate(
    fake: FakeStripe,
    params: Mapping[str, Any],
    url: str,
    objects: list[Obj],
) -> Obj:
    """A Stripe list page: newest first, limit 1..100, starting_after / ending_before."""
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except (TypeError, ValueError):
        raise invalid("limit", f"Invalid integer: {params.get('limit')}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(
            "limit",
            f"This value must be greater than or equal to 1 and less than or equal to {MAX_LIMIT}.",
        )
    objects = [obj for obj in objects if _created_matches(obj, params.get("created"))]
    ids = [obj["id"] for obj in objects]
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        if after not in ids:
            raise missing("object", after, "starting_after")
        remaining = objects[ids.index(after) + 1 :]
        page, has_more = remaining[:limit], len(remaining) > limit
    elif before:
        if before not in ids:
            raise missing("object", before, "ending_before")
        preceding = objects[: ids.index(before)]
        page, has_more = preceding[-limit:], len(preceding) > limit
    else:
        page, has_more = objects[:limit], len(objects) > limit
    item_expand = [p.removeprefix("data.") for p in _expand(params) if p.startswith("data.")]
    data = [fake.render(obj, item_expand) for obj in page]
    return fake.list_object(data, url, has_more)


def _list(
    fake: FakeStripe,
    params: Mapping[str, Any],
    kind: str,
    list_url: str,
    /,
    **filters: Callable[[Obj, Any], bool],
) -> Obj:
    objects = fake.all(kind)
    for name, predicate in filters.items():
        if name in params and params[name] not in (None, ""):
            value = params[name]
            objects = [obj for obj in objects if predicate(obj, value)]
    return paginate(fake, params, list_url, objects)


def _field(name: str) -> Callable[[Obj, Any], bool]:
    return lambda obj, value: obj.get(name) == value


def _flag(name: str) -> Callable[[Obj, Any], bool]:
    from quickscale.testing.fakestripe.fake import _bool

    return lambda obj, value: obj.get(name) == _bool(value)


def _previous(obj: Obj, params: Mapping[str, Any]) -> Obj:
    return {key: copy.deepcopy(obj.get(key)) for key in params if key in obj and key != "expand"}


def _deleted(obj: Obj) -> Obj:
    return {"id": obj["id"], "object": obj["object"], "deleted": True}


# ---------------------------------------------------------------------- account
@route("GET", "/v1/account")
def account_retrieve(fake: FakeStripe, params: Any) -> Obj:
    return copy.deepcopy(fake.account)


@route("GET", "/v1/accounts/{id}")
def accounts_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    if id != fake.account["id"]:
        raise missing("account", id)
    return copy.deepcopy(fake.account)


# ---------------------------------------------------------------------- products
@route("POST", "/v1/products")
def product_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.render(fake.product_create(params), _expand(params))


@route("GET", "/v1/products/{id}")
def product_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "product")


@route("POST", "/v1/products/{id}")
def product_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    from quickscale.testing.fakestripe.fake import _bool, _metadata

    product = fake.get(id, "product")
    previous = _previous(product, params)
    for name in ("name", "description", "unit_label", "url", "statement_descriptor", "tax_code"):
        if name in params:
            if name == "name" and not params[name]:
                raise required("name")
            product[name] = params[name] or None
    if "active" in params:
        product["active"] = _bool(params["active"])
    if "metadata" in params:
        product["metadata"] = _metadata(product["metadata"], params["metadata"])
    if "images" in params:
        product["images"] = list(params["images"] or [])
    if "marketing_features" in params:
        product["marketing_features"] = [
            {"name": f["name"]} for f in params["marketing_features"] or []
        ]
    if "default_price" in params:
        price = fake.get(params["default_price"], "price")
        if price["product"] != product["id"]:
            raise invalid("default_price", "The default price must belong to this product.")
        product["default_price"] = price["id"]
    product["updated"] = fake.now()
    fake._emit("product.updated", product, previous)
    return fake.render(product, _expand(params))


@route("DELETE", "/v1/products/{id}")
def product_delete(fake: FakeStripe, params: Any, id: str) -> Obj:
    product = fake.get(id, "product")
    if any(price["product"] == id for price in fake.all("price")):
        raise FakeStripeError(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    product["deleted"] = True
    fake._emit("product.deleted", product)
    return _deleted(product)


@route("GET", "/v1/products")
def product_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "product",
        "/v1/products",
        active=_flag("active"),
        ids=lambda obj, ids: obj["id"] in ids,
        url=_field("url"),
    )


@route("GET", "/v1/products/{id}/features")
def product_features(fake: FakeStripe, params: Any, id: str) -> Obj:
    fake.get(id, "product")
    return paginate(fake, params, f"/v1/products/{id}/features", [])


# ---------------------------------------------------------------------- prices
@route("POST", "/v1/prices")
def price_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.render(fake.price_create(params), _expand(params))


@route("GET", "/v1/prices/{id}")
def price_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "price")


@route("POST", "/v1/prices/{id}")
def price_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    from quickscale.testing.fakestripe.fake import _bool, _metadata

    price = fake.get(id, "price")
    previous = _previous(price, params)
    if "active" in params:
        price["active"] = _bool(params["active"])
    if "metadata" in params:
        price["metadata"] = _metadata(price["metadata"], params["metadata"])
    if "nickname" in params:
        price["nickname"] = params["nickname"] or None
    if "tax_behavior" in params:
        price["tax_behavior"] = params["tax_behavior"]
    if "lookup_key" in params:
        key = params["lookup_key"] or None
        holders = [
            p for p in fake.all("price") if key and p["lookup_key"] == key and p is not price
        ]
        if holders and not _bool(params.get("transfer_lookup_key", False)):
            raise FakeStripeError(
                f"A price (`{holders[0]['id']}`) already uses that lookup key.",
                param="lookup_key",
            )
        for holder in holders:
            holder["lookup_key"] = None
            fake._emit("price.updated", holder, {"lookup_key": key})
        price["lookup_key"] = key
    fake._emit("price.updated", price, previous)
    return fake.render(price, _expand(params))


@route("GET", "/v1/prices")
def price_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "price",
        "/v1/prices",
        product=_field("product"),
        active=_flag("active"),
        type=_field("type"),
        currency=_field("currency"),
        lookup_keys=lambda obj, keys: obj["lookup_key"] in keys,
        recurring=lambda obj, value: (
            bool(obj["recurring"]) and all(obj["recurring"].get(k) == v for k, v in value.items())
        ),
    )


# ---------------------------------------------------------------------- customers
@route("POST", "/v1/customers")
def customer_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.render(fake.customer_create(params), _expand(params))


@route("GET", "/v1/customers/{id}")
def customer_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    customer = fake._objects.get(id)
    if customer and customer["object"] == "customer" and customer.get("deleted"):
        return _deleted(customer)
    return _retrieve(fake, params, id, "customer")


@route("POST", "/v1/customers/{id}")
def customer_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    from quickscale.testing.fakestripe.fake import _metadata

    customer = fake.get(id, "customer")
    previous = _previous(customer, params)
    for name in ("email", "name", "description", "phone"):
        if name in params:
            customer[name] = params[name] or None
    if "metadata" in params:
        customer["metadata"] = _metadata(customer["metadata"], params["metadata"])
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    settings = params.get("invoice_settings") or {}
    if "default_payment_method" in settings:
        pm_id = settings["default_payment_method"] or None
        if pm_id:
            fake.get(pm_id, "payment_method")
        customer["invoice_settings"]["default_payment_method"] = pm_id
    fake._emit("customer.updated", customer, previous)
    return fake.render(customer, _expand(params))


@route("DELETE", "/v1/customers/{id}")
def customer_delete(fake: FakeStripe, params: Any, id: str) -> Obj:
    customer = fake.get(id, "customer")
    for subscription in fake.all("subscription"):
        if subscription["customer"] == id and subscription["status"] != "canceled":
            fake.cancel_subscription(subscription["id"], at_period_end=False)
    fake._emit("customer.deleted", customer)
    customer["deleted"] = True
    return _deleted(customer)


@route("GET", "/v1/customers")
def customer_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(fake, params, "customer", "/v1/customers", email=_field("email"))


@route("GET", "/v1/customers/{id}/payment_methods")
def customer_payment_methods(fake: FakeStripe, params: Any, id: str) -> Obj:
    fake.get(id, "customer")
    methods = [pm for pm in fake.all("payment_method") if pm["customer"] == id]
    if params.get("type"):
        methods = [pm for pm in methods if pm["type"] == params["type"]]
    return paginate(fake, params, f"/v1/customers/{id}/payment_methods", methods)


# ---------------------------------------------------------------------- checkout
@route("POST", "/v1/checkout/sessions")
def checkout_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.render(fake.checkout_session_create(params), _expand(params))


@route("GET", "/v1/checkout/sessions/{id}")
def checkout_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "checkout.session")


@route("POST", "/v1/checkout/sessions/{id}")
def checkout_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    from quickscale.testing.fakestripe.fake import _metadata

    session = fake.get(id, "checkout.session")
    if "metadata" in params:
        session["metadata"] = _metadata(session["metadata"], params["metadata"])
    return fake.render(session, _expand(params))


@route("POST", "/v1/checkout/sessions/{id}/expire")
def checkout_expire(fake: FakeStripe, params: Any, id: str) -> Obj:
    fake.expire_checkout_session(id)
    return _retrieve(fake, params, id, "checkout.session")


@route("GET", "/v1/checkout/sessions/{id}/line_items")
def checkout_line_items(fake: FakeStripe, params: Any, id: str) -> Obj:
    session = fake.get(id, "checkout.session")
    items = [fake._objects[item_id] for item_id in session["_line_items"]]
    return paginate(fake, params, f"/v1/checkout/sessions/{id}/line_items", items)


@route("GET", "/v1/checkout/sessions")
def checkout_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "checkout.session",
        "/v1/checkout/sessions",
        customer=_field("customer"),
        payment_intent=_field("payment_intent"),
        subscription=_field("subscription"),
        status=_field("status"),
    )


@route("POST", "/v1/billing_portal/sessions")
def portal_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.render(fake.portal_session_create(params), _expand(params))


# ---------------------------------------------------------------------- subscriptions
@route("GET", "/v1/subscriptions/{id}")
def subscription_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "subscription")


@route("POST", "/v1/subscriptions/{id}")
def subscription_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    return fake.render(fake.subscription_update(id, params), _expand(params))


@route("DELETE", "/v1/subscriptions/{id}")
def subscription_cancel(fake: FakeStripe, params: Any, id: str) -> Obj:
    fake.cancel_subscription(id, at_period_end=False)
    return _retrieve(fake, params, id, "subscription")


def _subscription_status(obj: Obj, status: str) -> bool:
    if status == "all":
        return True
    return bool(obj["status"] == status)


@route("GET", "/v1/subscriptions")
def subscription_list(fake: FakeStripe, params: Any) -> Obj:
    objects = fake.all("subscription")
    if not params.get("status"):
        objects = [s for s in objects if s["status"] not in ("canceled", "incomplete_expired")]
    if params.get("price"):
        objects = [
            s
            for s in objects
            if any(fake._objects[i]["price"] == params["price"] for i in s["items"]["data"])
        ]
    for name, predicate in (("customer", _field("customer")), ("status", _subscription_status)):
        if params.get(name):
            objects = [s for s in objects if predicate(s, params[name])]
    return paginate(fake, params, "/v1/subscriptions", objects)


@route("GET", "/v1/subscription_items/{id}")
def subscription_item_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "subscription_item")


@route("GET", "/v1/subscription_items")
def subscription_item_list(fake: FakeStripe, params: Any) -> Obj:
    if not params.get("subscription"):
        raise required("subscription")
    subscription = fake.get(params["subscription"], "subscription")
    items = [fake._objects[i] for i in subscription["items"]["data"]]
    return paginate(fake, params, "/v1/subscription_items", items)


@route("GET", "/v1/subscription_schedules/{id}")
def schedule_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "subscription_schedule")


@route("GET", "/v1/subscription_schedules")
def schedule_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "subscription_schedule",
        "/v1/subscription_schedules",
        customer=_field("customer"),
    )


@route("POST", "/v1/subscription_schedules/{id}/release")
def schedule_release(fake: FakeStripe, params: Any, id: str) -> Obj:
    schedule = fake.get(id, "subscription_schedule")
    if schedule["status"] not in ("active", "not_started") or not schedule["subscription"]:
        raise FakeStripeError(
            f"You cannot release a subscription schedule that is {schedule['status']}."
        )
    fake._release_schedule(fake._objects[schedule["subscription"]])
    return fake.render(schedule, _expand(params))


# ---------------------------------------------------------------------- invoices
def _invoice_subscription(obj: Obj, subscription_id: str) -> bool:
    details = (obj.get("parent") or {}).get("subscription_details") or {}
    return bool(details.get("subscription") == subscription_id)


@route("GET", "/v1/invoices/{id}")
def invoice_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "invoice")


@route("GET", "/v1/invoices/{id}/lines")
def invoice_lines(fake: FakeStripe, params: Any, id: str) -> Obj:
    invoice = fake.get(id, "invoice")
    return paginate(fake, params, f"/v1/invoices/{id}/lines", invoice["lines"]["data"])


@route("GET", "/v1/invoices")
def invoice_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "invoice",
        "/v1/invoices",
        customer=_field("customer"),
        subscription=_invoice_subscription,
        status=_field("status"),
    )


@route("GET", "/v1/invoice_payments/{id}")
def invoice_payment_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "invoice_payment")


@route("GET", "/v1/invoice_payments")
def invoice_payment_list(fake: FakeStripe, params: Any) -> Obj:
    def payment_matches(obj: Obj, payment: Any) -> bool:
        return all(obj["payment"].get(key) == value for key, value in payment.items())

    return _list(
        fake,
        params,
        "invoice_payment",
        "/v1/invoice_payments",
        invoice=_field("invoice"),
        status=_field("status"),
        payment=payment_matches,
    )


# ---------------------------------------------------------------------- payments
@route("GET", "/v1/payment_intents/{id}")
def payment_intent_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "payment_intent")


@route("GET", "/v1/payment_intents")
def payment_intent_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(fake, params, "payment_intent", "/v1/payment_intents", customer=_field("customer"))


@route("GET", "/v1/charges/{id}")
def charge_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "charge")


@route("GET", "/v1/charges")
def charge_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "charge",
        "/v1/charges",
        customer=_field("customer"),
        payment_intent=_field("payment_intent"),
    )


@route("GET", "/v1/charges/{id}/refunds")
def charge_refunds(fake: FakeStripe, params: Any, id: str) -> Obj:
    charge = fake.get(id, "charge")
    refunds = [fake._objects[refund_id] for refund_id in charge["refunds"]["data"]]
    return paginate(fake, params, f"/v1/charges/{id}/refunds", refunds)


@route("GET", "/v1/balance_transactions/{id}")
def balance_transaction_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "balance_transaction")


@route("GET", "/v1/balance_transactions")
def balance_transaction_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "balance_transaction",
        "/v1/balance_transactions",
        source=_field("source"),
        type=_field("type"),
    )


@route("GET", "/v1/payment_methods/{id}")
def payment_method_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "payment_method")


@route("GET", "/v1/payment_methods")
def payment_method_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "payment_method",
        "/v1/payment_methods",
        customer=_field("customer"),
        type=_field("type"),
    )


@route("POST", "/v1/refunds")
def refund_create(fake: FakeStripe, params: Any) -> Obj:
    from quickscale.testing.fakestripe.fake import _int

    target = params.get("payment_intent") or params.get("charge")
    if not target:
        raise FakeStripeError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    amount = _int(params["amount"], "amount") if params.get("amount") not in (None, "") else None
    refund = fake.refund(
        target,
        amount,
        reason=params.get("reason") or None,
        metadata=params.get("metadata") or None,
    )
    return fake.render(fake.get(refund["id"]), _expand(params))


@route("GET", "/v1/refunds/{id}")
def refund_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "refund")


@route("GET", "/v1/refunds")
def refund_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "refund",
        "/v1/refunds",
        charge=_field("charge"),
        payment_intent=_field("payment_intent"),
    )


# ---------------------------------------------------------------------- events
def _type_matches(obj: Obj, pattern: str) -> bool:
    if pattern.endswith("*"):
        return bool(obj["type"].startswith(pattern[:-1]))
    return bool(obj["type"] == pattern)


@route("GET", "/v1/events/{id}")
def event_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "event")


@route("GET", "/v1/events")
def event_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(
        fake,
        params,
        "event",
        "/v1/events",
        type=_type_matches,
        types=lambda obj, types: obj["type"] in types,
    )


# ---------------------------------------------------------------------- webhook endpoints
@route("POST", "/v1/webhook_endpoints")
def webhook_endpoint_create(fake: FakeStripe, params: Any) -> Obj:
    return fake.webhook_endpoint_create(params)


@route("GET", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_retrieve(fake: FakeStripe, params: Any, id: str) -> Obj:
    return _retrieve(fake, params, id, "webhook_endpoint")


@route("POST", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_update(fake: FakeStripe, params: Any, id: str) -> Obj:
    from quickscale.testing.fakestripe.fake import _bool, _metadata

    endpoint = fake.get(id, "webhook_endpoint")
    if "url" in params:
        if not params["url"]:
            raise required("url")
        endpoint["url"] = params["url"]
    if "enabled_events" in params:
        endpoint["enabled_events"] = list(params["enabled_events"] or [])
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "metadata" in params:
        endpoint["metadata"] = _metadata(endpoint["metadata"], params["metadata"])
    if "disabled" in params:
        endpoint["status"] = "disabled" if _bool(params["disabled"]) else "enabled"
    return fake.render(endpoint, _expand(params))


@route("DELETE", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_delete(fake: FakeStripe, params: Any, id: str) -> Obj:
    endpoint = fake.get(id, "webhook_endpoint")
    endpoint["deleted"] = True
    return _deleted(endpoint)


@route("GET", "/v1/webhook_endpoints")
def webhook_endpoint_list(fake: FakeStripe, params: Any) -> Obj:
    return _list(fake, params, "webhook_endpoint", "/v1/webhook_endpoints")
