"""A fuzz of every HTML form the project serves: arbitrary strings, huge strings, NUL bytes,
unicode, numbers past 64 bits, repeated and missing fields, raw bodies that are not UTF-8.
None may be a 500 (the test client raises the exception of any), and a refusal leaves the
data as it was.

The forms are found, not listed by hand: test_every_form_the_project_serves_is_fuzzed crawls
the project's pages (signed out, as a customer and as a superuser in the admin pages of
QuickScale's apps) and fails on any form that FORMS below does not fuzz.

Hypothesis runs derandomized (a fixed seed) with a fixed number of examples per form, so CI
runs the same cases every time; QUICKSCALE_FUZZ_SCALE=10 runs ten times as many.
"""

import os
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.forms import BaseForm
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quickscale.apps.credits.models import CreditLot, LedgerEntry
from quickscale.apps.credits.services import credits_consume, credits_grant
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.current import SESSION_KEY
from quickscale.apps.orgs.invitations import invitation_send
from quickscale.apps.orgs.models import Invitation, Membership, Organization
from quickscale.apps.services.models import ServiceConfig
from tests.orgs import personal, team

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

SCALE = int(os.environ.get("QUICKSCALE_FUZZ_SCALE", "1"))
EXAMPLES = 40 * SCALE  # per form: rendering a page costs 20-100 ms, and there are ~40 forms
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Values a form field may receive. Strings only: that is all a browser sends.
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**53 - 2, max_value=2**53 + 2),
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.integers(min_value=-(2**64), max_value=-(2**62)),
).map(str)
ODD_DIGITS = st.sampled_from(
    ["²", "\u0661\u0662", "\U0001d7cf", "½", "1_000", " 1 ", "+1", "1e3", "0x1f"]
)
HUGE = st.sampled_from(["x" * 100_000, "é" * 30_000, "1" * 5000, "a" * 300 + "@example.com"])
WITH_NUL = st.text(max_size=10).map(lambda s: s + "\x00" + s)
DATES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "2030-02-30T10:00", "now"]),
)
EMAILS = st.one_of(
    st.emails(),
    st.emails().map(lambda e: "A" * 250 + e),
    st.sampled_from(["customer@example.com", "Customer@Example.COM", "root@example.com"]),
)
VALUE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x80), max_size=20),
    NUMBERS,
    ODD_DIGITS,
    HUGE,
    WITH_NUL,
    DATES,
    EMAILS,
    st.just(""),
)
# A field is missing, sent once, or sent several times (a QueryDict keeps them all).
FIELD = st.one_of(st.none(), VALUE, st.lists(VALUE, min_size=2, max_size=3))


# Values a field takes when it is filled in right, so that the fuzz gets past the first check
# (a real action, a real kind) to what comes after it, with odd values in the other fields.
LIKELY = {
    "action": st.sampled_from(
        [
            "delete_selected",
            "revoke_selected",
            "enable_selected",
            "disable_selected",
            "remove_selected",
            "make_member",
        ]
    ),
    "_selected_action": st.one_of(NUMBERS, st.sampled_from(["1", "2", "3"])),
    "select_across": st.sampled_from(["0", "1"]),
    "index": st.just("0"),
    "kind": st.sampled_from(["payg", "promo", "subscription", "grant", "debit"]),
    "amount": st.one_of(NUMBERS, st.integers(-5, 5).map(str)),
    "usable_password": st.sampled_from(["true", "false"]),
    "scopes": st.sampled_from(["sentiment", "keywords", "text_statistics"]),
    "email": EMAILS,
    "user": EMAILS,
    "login": EMAILS,
    "idempotency_key": st.sampled_from(["admin:1", "admin:2"]),
    "role": st.sampled_from(["owner", "admin", "member"]),
    "form-TOTAL_FORMS": st.sampled_from(["1", "2"]),
    "form-INITIAL_FORMS": st.sampled_from(["1", "2"]),
    "form-0-id": st.one_of(NUMBERS, st.sampled_from(["1", "2"])),
}


def _field(name):
    likely = LIKELY.get(name)
    if likely is None:
        return FIELD
    # Two times in three (one_of would flatten FIELD's many branches and pick `likely` rarely).
    return st.integers(0, 2).flatmap(lambda branch: likely if branch else FIELD)


def form_data(fields, extra=()):
    """A strategy for the data of a form with these fields (and sometimes one it does not
    have), each missing, once or repeated."""
    return st.fixed_dictionaries(
        {name: _field(name) for name in fields},
        optional={name: _field(name) for name in (*extra, "unexpected")},
    ).map(lambda data: {k: v for k, v in data.items() if v is not None})


RAW_BODY = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.builds(lambda d: urlencode(d, doseq=True).encode(), st.dictionaries(st.text(), VALUE)),
)


class World:
    """The data every fuzzed form works on: a customer with credits and keys, a superuser."""

    def __init__(self):
        User = get_user_model()
        self.customer = User.objects.create_user(email="customer@example.com", password="pw")
        EmailAddress.objects.create(
            user=self.customer, email="customer@example.com", verified=True, primary=True
        )
        EmailAddress.objects.create(user=self.customer, email="second@example.com")
        self.root = User.objects.create_superuser(email="root@example.com", password="pw")
        credits_grant(
            organization=personal(self.customer), amount=500, kind="payg", idempotency_key="fuzz"
        )
        for index in range(3):
            credits_consume(
                organization=personal(self.customer), amount=1, idempotency_key=f"fuzz-{index}"
            )
        self.key = api_key_create(
            organization=personal(self.customer), user=self.customer, name="laptop"
        ).key
        self.other_key = api_key_create(
            organization=personal(self.root), user=self.root, name="root's"
        ).key
        ServiceConfig.objects.create(name="sentiment", enabled=True)
        # A team the customer owns, with a member and an open invitation.
        self.team = team(self.customer, "Fuzz team", member=[self.root])
        self.member = Membership.objects.get(organization=self.team, user=self.root)
        self.invitation = invitation_send(
            membership=Membership.objects.get(organization=self.team, user=self.customer),
            email="invited@example.com",
            role="member",
            base_url="http://testserver",
        )

    def client(self, who):
        client = Client()
        # "team": the customer, with the pages acting for their team.
        user = {"customer": self.customer, "team": self.customer, "root": self.root}.get(who)
        if user is not None:
            client.force_login(user)
        if who == "team":
            session = client.session
            session[SESSION_KEY] = self.team.pk
            session.save()
        return client


def snapshot():
    """Everything a form could change, as plain values."""
    User = get_user_model()
    return (
        list(
            User.objects.order_by("id").values_list(
                "id", "email", "name", "password", "is_active", "is_staff", "is_superuser"
            )
        ),
        list(EmailAddress.objects.order_by("id").values_list("id", "email", "verified", "primary")),
        list(LedgerEntry.objects.order_by("id").values_list("id", "amount")),
        list(CreditLot.objects.order_by("id").values_list("id", "remaining")),
        list(ApiKey.objects.order_by("id").values_list("id", "name", "revoked_at", "expires_at")),
        list(ServiceConfig.objects.order_by("id").values_list("id", "enabled")),
        list(Organization.objects.order_by("id").values_list("id", "name")),
        list(Membership.objects.order_by("id").values_list("id", "role")),
        list(
            Invitation.objects.order_by("id").values_list(
                "id", "email", "role", "token_hash", "revoked_at", "accepted_at"
            )
        ),
    )


def _forms_in(context):
    """The forms a response's templates were rendered with (an admin form's too)."""
    if context is None:
        return
    for each in context if isinstance(context, list) else [context]:
        for value in each.flatten().values() if hasattr(each, "flatten") else each.values():
            if isinstance(value, BaseForm):
                yield value
            form = getattr(value, "form", None)
            if isinstance(form, BaseForm):
                yield form


def refused(response):
    """Whether the project said no: an error status, or a form shown again with its errors."""
    if response.status_code >= 400:
        return True
    if response.status_code == 200:
        return any(form.errors for form in _forms_in(response.context))
    return False


def submit(client, method, path, data, htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if method == "get":
        return client.get(path, data, **headers)
    return client.post(path, data, **headers)


# Every form: (URL name, method) → who fills it in, its path, its fields, optional fields.
def admin_path(name, *args):
    return lambda world: reverse(f"admin:{name}", args=[getattr(world, a).pk for a in args])


def named(name, *args):
    return lambda world: reverse(name, args=[getattr(world, a).pk for a in args])


CHANGELIST = ("o", "p", "_facets", "all")
ACTIONS = ("action", "_selected_action", "index", "select_across")
FORMS = {
    ("account_signup", "post"): (
        None,
        named("account_signup"),
        ("email", "password1", "password2"),
        (),
    ),
    ("account_login", "post"): (
        None,
        named("account_login"),
        ("login", "password"),
        ("remember", "next"),
    ),
    ("account_reset_password", "post"): (None, named("account_reset_password"), ("email",), ()),
    ("account_email", "post"): (
        "customer",
        named("account_email"),
        ("email",),
        ("action_add", "action_primary", "action_remove", "action_send"),
    ),
    ("account_change_password", "post"): (
        "customer",
        named("account_change_password"),
        ("oldpassword", "password1", "password2"),
        (),
    ),
    ("account_logout", "post"): ("customer", named("account_logout"), (), ("next",)),
    ("account_profile_update", "post"): (
        "customer",
        named("account_profile_update"),
        ("name",),
        ("email",),
    ),
    ("account_api_key_create", "post"): (
        "customer",
        named("account_api_key_create"),
        ("name", "expires_at", "nonce", "scopes"),
        (),
    ),
    ("account_api_key_revoke", "post"): (
        "customer",
        named("account_api_key_revoke", "key"),
        (),
        (),
    ),
    ("organization_switch", "post"): (
        "customer",
        named("organization_switch"),
        ("organization", "next"),
        (),
    ),
    ("organization_create", "post"): ("customer", named("organization_create"), ("name",), ()),
    ("organization_rename", "post"): ("team", named("organization_rename"), ("name",), ()),
    ("organization_leave", "post"): ("team", named("organization_leave"), (), ()),
    ("organization_member_role", "post"): (
        "team",
        named("organization_member_role", "member"),
        ("role",),
        (),
    ),
    ("organization_member_remove", "post"): (
        "team",
        named("organization_member_remove", "member"),
        (),
        (),
    ),
    ("organization_invitation_send", "post"): (
        "team",
        named("organization_invitation_send"),
        ("email", "role"),
        (),
    ),
    ("organization_invitation_resend", "post"): (
        "team",
        named("organization_invitation_resend", "invitation"),
        (),
        (),
    ),
    ("organization_invitation_revoke", "post"): (
        "team",
        named("organization_invitation_revoke", "invitation"),
        (),
        (),
    ),
    ("admin:quickscale_orgs_organization_change", "post"): (
        "root",
        admin_path("quickscale_orgs_organization_change", "team"),
        ("name",),
        (),
    ),
    ("admin:quickscale_orgs_membership_change", "post"): (
        "root",
        admin_path("quickscale_orgs_membership_change", "member"),
        ("role",),
        (),
    ),
    ("admin:quickscale_orgs_invitation_change", "post"): (
        "root",
        admin_path("quickscale_orgs_invitation_change", "invitation"),
        ("email",),
        (),
    ),
    ("credits_overview", "get"): (
        "customer",
        named("credits_overview"),
        ("kind",),
        ("before", "after"),
    ),
    ("account_api_usage", "get"): ("customer", named("account_api_usage"), (), ("before", "after")),
    ("admin:quickscale_credits_creditaccount_grant", "post"): (
        "root",
        admin_path("quickscale_credits_creditaccount_grant", "customer"),
        ("amount", "kind", "expires_at", "reason", "idempotency_key"),
        (),
    ),
    ("admin:quickscale_credits_creditaccount_adjust", "post"): (
        "root",
        admin_path("quickscale_credits_creditaccount_adjust", "customer"),
        ("amount", "reason", "idempotency_key"),
        (),
    ),
    ("admin:quickscale_credits_creditaccount_change", "get"): (
        "root",
        admin_path("quickscale_credits_creditaccount_change", "customer"),
        ("kind",),
        ("before", "after"),
    ),
    ("admin:quickscale_keys_apikey_add", "post"): (
        "root",
        admin_path("quickscale_keys_apikey_add"),
        ("user", "name", "expires_at", "scopes"),
        (),
    ),
    ("admin:quickscale_accounts_user_add", "post"): (
        "root",
        admin_path("quickscale_accounts_user_add"),
        ("email", "usable_password", "password1", "password2"),
        ("_save", "_continue", "_addanother"),
    ),
    ("admin:quickscale_accounts_user_change", "post"): (
        "root",
        admin_path("quickscale_accounts_user_change", "customer"),
        ("email", "name", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
        ("_save", "_continue"),
    ),
    ("admin:auth_user_password_change", "post"): (
        "root",
        admin_path("auth_user_password_change", "customer"),
        ("password1", "password2", "usable_password"),
        ("set-password", "unset-password"),
    ),
    ("admin:quickscale_services_serviceconfig_change", "post"): (
        "root",
        lambda world: reverse(
            "admin:quickscale_services_serviceconfig_change",
            args=[ServiceConfig.objects.values_list("pk", flat=True).first()],
        ),
        ("enabled",),
        ("_save", "_continue"),
    ),
    ("admin:quickscale_services_serviceconfig_changelist", "post"): (
        "root",
        admin_path("quickscale_services_serviceconfig_changelist"),
        ("form-TOTAL_FORMS", "form-INITIAL_FORMS", "form-0-id", "form-0-enabled", "_save"),
        ACTIONS,
    ),
    ("admin:quickscale_keys_apikey_change", "post"): (
        "root",
        admin_path("quickscale_keys_apikey_change", "key"),
        ("name",),
        (),
    ),
    ("admin:quickscale_credits_ledgerentry_change", "post"): (
        "root",
        lambda world: reverse(
            "admin:quickscale_credits_ledgerentry_change",
            args=[LedgerEntry.objects.values_list("pk", flat=True).first()],
        ),
        ("amount",),
        (),
    ),
    ("admin:quickscale_credits_creditlot_change", "post"): (
        "root",
        lambda world: reverse(
            "admin:quickscale_credits_creditlot_change",
            args=[CreditLot.objects.values_list("pk", flat=True).first()],
        ),
        ("remaining",),
        (),
    ),
}
# Changelists of QuickScale's admin pages: search, filters, ordering and pages (GET), and the
# bulk actions (POST).
CHANGELISTS = {
    "quickscale_accounts_user_changelist": ("is_active__exact", "is_staff__exact"),
    "quickscale_keys_apikey_changelist": ("status",),
    "quickscale_credits_creditaccount_changelist": (),
    "quickscale_credits_creditlot_changelist": ("kind__exact", "source_type"),
    "quickscale_credits_ledgerentry_changelist": ("kind__exact",),
    "quickscale_orgs_organization_changelist": ("kind__exact",),
    "quickscale_orgs_membership_changelist": ("role__exact",),
    "quickscale_orgs_invitation_changelist": ("role__exact",),
    "quickscale_services_serviceconfig_changelist": ("enabled__exact",),
    "quickscale_billing_offer_changelist": ("kind__exact", "active__exact", "interval__exact"),
    "quickscale_billing_purchase_changelist": ("kind__exact",),
    "quickscale_billing_billingcustomer_changelist": (),
    "quickscale_services_servicerun_changelist": (
        "status__exact",
        "created_at__gte",
        "created_at__lt",
    ),
}
for _name, _filters in CHANGELISTS.items():
    FORMS[(f"admin:{_name}", "get")] = ("root", admin_path(_name), ("q",), (*CHANGELIST, *_filters))
    FORMS.setdefault((f"admin:{_name}", "post"), ("root", admin_path(_name), ACTIONS, ()))
# Pages that take their input in the URL rather than in fields.
URL_INPUTS = {
    "account_confirm_email": lambda key: f"/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": lambda key: f"/accounts/password/reset/key/{key}/",
    "account_api_key_revoke": lambda key: f"/account/api/{key}/revoke/",
    "organization_invitation_accept": lambda key: f"/organizations/invitations/{key}/",
}
# Forms served but not fuzzed here, and why.
NOT_FUZZED = {
    # The sync-back panel exists only in development, and applying writes template files.
    "quickscale_admin_ui:sync_back",
    "quickscale_admin_ui:sync_back_confirm",
    "quickscale_admin_ui:sync_back_apply",
    # Django admin's own log-out button: no field to fuzz.
    "admin:logout",
}


@pytest.fixture
def world(db):
    return World()


@pytest.mark.parametrize("form", FORMS, ids=lambda form: f"{form[0]}-{form[1]}")
def test_no_form_answers_500_and_a_refusal_changes_nothing(world, form, settings):
    settings.QUICKSCALE_API_RATE_LIMIT = "1000000/m"
    who, path_of, fields, extra = FORMS[form]
    method = form[1]

    @given(data=form_data(fields, extra), htmx=st.booleans())
    @FUZZ
    def fuzz(data, htmx):
        cache.clear()  # rate limits, so that every example reaches the form
        before = snapshot()
        response = submit(world.client(who), method, path_of(world), data, htmx)
        assert response.status_code < 500
        if refused(response):
            assert snapshot() == before, (response.status_code, data)

    fuzz()


@pytest.mark.parametrize("form", [f for f in FORMS if f[1] == "post"], ids=lambda f: f[0])
def test_no_form_answers_500_to_a_raw_body(world, form):
    who, path_of, _, _ = FORMS[form]

    @given(
        body=RAW_BODY,
        content_type=st.sampled_from(
            ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
        ),
    )
    @hypothesis_settings(FUZZ, max_examples=max(8, EXAMPLES // 4))
    def fuzz(body, content_type):
        cache.clear()
        before = snapshot()
        response = world.client(who).generic("POST", path_of(world), body, content_type)
        assert response.status_code < 500
        if refused(response):
            assert snapshot() == before

    fuzz()


@pytest.mark.parametrize("name", URL_INPUTS)
def test_no_page_answers_500_to_what_its_url_holds(world, name):
    @given(
        key=st.one_of(st.text(min_size=1, max_size=60), NUMBERS, HUGE).filter(
            lambda k: "/" not in k
        )
    )
    @hypothesis_settings(FUZZ, max_examples=max(15, EXAMPLES // 2))
    def fuzz(key):
        cache.clear()
        client = world.client("customer")
        path = URL_INPUTS[name](key)
        for method in ("get", "post"):
            before = snapshot()
            response = getattr(client, method)(path)
            assert response.status_code < 500
            if refused(response):
                assert snapshot() == before

    fuzz()


# The crawl that keeps FORMS complete.


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("hx-get"):
            self.links.append(attributes["hx-get"])
        if tag == "form":
            method = attributes.get("method") or ("post" if attributes.get("hx-post") else "get")
            action = (
                attributes.get("action") or attributes.get("hx-post") or attributes.get("hx-get")
            )
            self.forms.append((method.lower(), action))


def _route(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def crawl(client, starts, limit=80):
    """The forms on every page reachable from `starts` (QuickScale's own admin pages only).
    One page per route: the rows of a list or the pages of a history have the same forms."""
    forms, seen, queue = set(), set(), list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        route = _route(urlsplit(url).path)
        if route is None or route in seen:
            continue
        seen.add(route)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode())
        for method, action in page.forms:
            forms.add((_route(urlsplit(urljoin(url, action or url)).path), method))
        for link in page.links:
            target = urlsplit(urljoin(url, link))
            if target.netloc not in ("", "testserver") or "logout" in target.path:
                continue
            if target.path.startswith("/admin/") and not target.path.startswith(
                ("/admin/quickscale_", "/admin/quickscale/")
            ):
                continue
            if not target.path.startswith("/static/"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return forms


def test_every_form_the_project_serves_is_fuzzed(world):
    starts = ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
    found = crawl(world.client(None), starts)
    found |= crawl(world.client("customer"), ["/", "/account/", "/accounts/email/"])
    found |= crawl(world.client("team"), ["/organizations/"])
    admin_starts = [reverse(f"admin:{name}") for name in CHANGELISTS] + [
        reverse("admin:quickscale_accounts_user_add"),
        reverse("admin:quickscale_keys_apikey_add"),
    ]
    found |= crawl(world.client("root"), admin_starts)
    fuzzed = set(FORMS) | {(name, "post") for name in URL_INPUTS}
    missing = {
        (name, method)
        for name, method in found
        if (name, method) not in fuzzed and name not in NOT_FUZZED
    }
    assert not missing, f"forms the fuzz does not cover: {sorted(missing, key=str)}"
    assert len(found) > 20  # the crawl really went round the site
