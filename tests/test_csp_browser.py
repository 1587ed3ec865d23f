"""The Content-Security-Policy, in a real Chromium: every page the project serves is loaded, and
its interactive parts used, with the policy on; any violation, console error or uncaught
exception fails the test. A last test checks that no named URL of the project was missed."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.services.services import service_run
from tests.apps.credits.test_browser import signed_in
from tests.csp_urls import BROKEN, FORBIDDEN
from tests.orgs import personal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Named URLs that are not pages a browser shows, with the reason; every other named URL must
# be loaded by one of the tests below.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    "favicon": "a redirect to the icon, which browsers ask for on the admin's pages",
    "api_balance": "JSON API",
    "api_services": "JSON API",
    "api_run": "JSON API",
    "api_usage": "JSON API",
    "api_openapi": "JSON API",
    "admin:autocomplete": "JSON for the admin's autocomplete widgets",
    "admin:jsi18n": "a script, loaded by the admin pages that need it",
    "admin:view_on_site": "a redirect to the object's own page",
    "admin:logout": "POST only",
    "django_browser_reload:events": "an event stream, DEBUG only (tests/template/)",
    "djstripe:djstripe_webhook_by_uuid": "Stripe's webhook: signed JSON, POST only",
}

PUBLIC_PAGES = [
    "home",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
    "account_email_verification_sent",
    "account_inactive",
    "api_docs",
    "admin:login",
    "pricing",
]
CUSTOMER_PAGES = [
    "account_overview",
    "account_email",
    "account_change_password",
    "account_set_password",
    "account_reauthenticate",
    "account_logout",
    "credits_overview",
    "account_api_keys",
    "account_api_usage",
    "api_docs",
    "organization_members",
    "organization_create",
    "organization_leave",
    "billing_overview",
    "billing_success",
    "billing_cancelled",
]
# allauth's log-in and reauthentication by code, off in the project: 404 or a page.
FEATURES_OFF = {
    "account_confirm_login_code": "public",
    "account_request_reauthentication_code": "customer",
    "account_confirm_reauthentication_code": "customer",
}
# Loaded with arguments, or reached through the page's own buttons and forms.
REACHED_OTHERWISE = {
    "account_confirm_email": "public pages, with a key that is not valid",
    "account_reset_password_from_key": "the password reset link test",
    "account_profile_update": "saving the profile through htmx",
    "account_api_key_create": "creating a key through htmx",
    "account_api_key_revoke": "revoking a key, through htmx and as a page",
    "organization_switch": "tests/apps/orgs/test_browser.py, as every organization page below",
    "organization_rename": "renaming through htmx",
    "organization_member_role": "changing a role through htmx",
    "organization_member_remove": "removing a member, through htmx and as a page",
    "organization_invitation_send": "inviting through htmx",
    "organization_invitation_resend": "sending an invitation again through htmx",
    "organization_invitation_revoke": "withdrawing an invitation through htmx",
    "organization_invitation_accept": "opening and accepting an invitation's link",
    "billing_checkout": "tests/apps/billing/test_browser.py: Buy credits and Subscribe",
    "billing_portal": "tests/apps/billing/test_browser.py: the portal button",
    "csp_forbidden": "the 403 page",
    "csp_broken": "the 500 page",
    "admin:index": "the admin test",
    "admin:app_list": "the admin test, for every app",
    "admin:password_change": "the admin test",
    "admin:password_change_done": "the admin test",
    "quickscale_admin_ui:sync_back": "the sync-back panel test",
    "quickscale_admin_ui:sync_back_diff": "showing a diff through htmx",
    "quickscale_admin_ui:sync_back_confirm": "reviewing the selection",
    "quickscale_admin_ui:sync_back_apply": "applying",
}

VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__qsCspViolation({
    page: location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""
SETTLE = "() => new Promise((done) => setTimeout(done, 50))"


def directives(policy):
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


class PolicyWatch:
    """What one browser page did wrong under the policy: violations, console errors, uncaught
    exceptions, a document without the policy. Also which of the project's views it reached."""

    def __init__(self, page, live_server):
        self.page = page
        self.host = urlsplit(live_server.url).netloc
        self.problems = []
        self.reached = set()
        self.expected_failures = set()
        page.expose_function("__qsCspViolation", self._violation)
        page.add_init_script(VIOLATION_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("response", self._response)

    def _violation(self, violation):
        self.problems.append(f"CSP violation: {violation}")

    def _console(self, message):
        url = message.location.get("url", "")
        if message.type == "error":
            if message.text.startswith("Failed to load resource") and (
                urlsplit(url).path in self.expected_failures
            ):
                return
            self.problems.append(f"console error: {message.text} ({url})")
        elif message.type == "warning" and "Alpine" in message.text:
            self.problems.append(f"console warning: {message.text} ({url})")

    def _response(self, response):
        url = urlsplit(response.url)
        if url.netloc != self.host:
            return
        kind = response.request.resource_type
        if kind in ("document", "xhr", "fetch"):
            try:
                match = resolve(url.path)
            except Resolver404:
                pass
            else:
                self.reached.add(match.view_name)
        if kind != "document":
            return
        policy = response.headers.get("content-security-policy")
        if policy is None:
            self.problems.append(f"no Content-Security-Policy header on {response.url}")
            return
        parsed = directives(policy)
        scripts = parsed.get("script-src", parsed.get("default-src", []))
        if "'unsafe-inline'" in scripts or "'unsafe-eval'" in policy or "*" in scripts:
            self.problems.append(f"a policy that allows inline or eval'd script: {policy}")

    # "load" where an event stream keeps the network busy (django-browser-reload's).
    load_state = "networkidle"

    def settle(self):
        self.page.wait_for_load_state(self.load_state)
        self.page.evaluate(SETTLE)  # violation events are dispatched as tasks of their own

    def check(self, where):
        self.settle()
        problems, self.problems = self.problems, []
        assert problems == [], where

    def visit(self, path, *, status=200):
        statuses = status if isinstance(status, tuple) else (status,)
        failing = any(code >= 400 for code in statuses)
        self.expected_failures = {urlsplit(path).path} if failing else set()
        response = self.page.goto(path)
        assert response is not None
        assert response.status in statuses, (path, response.status)
        self.check(path)


@pytest.fixture
def watch(page, live_server):
    return PolicyWatch(page, live_server)


@pytest.fixture
def customer(django_user_model):
    user = django_user_model.objects.create_user(email="ada@example.com", password="pw-unusual-1")
    for number in range(30):  # more than a page of history, so the pager shows
        credits_grant(
            organization=personal(user),
            amount=10,
            kind="payg",
            idempotency_key=f"pack-{number}",
            description=f"pack {number}",
        )
    key = api_key_create(organization=personal(user), user=user, name="server").key
    for number in range(3):
        service_run(
            organization=personal(user),
            user=user,
            name="text_statistics",
            data={"text": f"Run {number}."},
            api_key=key,
        )
    return user


@pytest.fixture
def errors_served():
    with override_settings(ROOT_URLCONF="tests.csp_urls"):
        yield


def test_public_pages_and_error_pages_keep_to_the_policy(watch, errors_served):
    for name in PUBLIC_PAGES:
        watch.visit(reverse(name))
    watch.visit(reverse("account_confirm_email", args=["not-a-real-key"]))
    watch.visit(reverse("account_reset_password_from_key", args=["0", "bad-key"]))
    watch.visit("/no/such/page/", status=404)
    watch.visit("/" + FORBIDDEN, status=403)
    watch.visit("/" + BROKEN, status=500)
    for name in (name for name, who in FEATURES_OFF.items() if who == "public"):
        watch.visit(reverse(name), status=(200, 404))


def test_signing_up_and_logging_in_keep_to_the_policy(watch, page, django_user_model):
    watch.visit(reverse("account_signup"))
    page.get_by_label("Email", exact=True).fill("new@example.com")
    page.get_by_label("Password", exact=True).fill("pw-unusual-1")
    page.get_by_label("Password (again)").fill("pw-unusual-1")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()
    watch.check("after signing up")
    assert django_user_model.objects.filter(email="new@example.com").exists()

    page.context.clear_cookies()
    watch.visit(reverse("account_login"))
    page.get_by_label("Email", exact=True).fill("new@example.com")
    page.get_by_label("Password", exact=True).fill("pw-unusual-1")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/account/")
    watch.check("after logging in")
    # The log-in message, dismissed through Alpine.
    message = page.locator(".messages .notification").first
    message.wait_for()
    message.get_by_role("button", name="Dismiss").click()
    message.wait_for(state="hidden")
    watch.check("dismissing a message")


def test_a_password_reset_link_opens_its_form_under_the_policy(watch, page, customer):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    key = default_token_generator.make_token(customer)
    watch.visit(
        reverse("account_reset_password_from_key", args=[user_pk_to_url_str(customer), key])
    )
    assert page.get_by_label("New Password", exact=True).count() == 1


def test_the_customer_s_pages_and_their_interactive_parts_keep_to_the_policy(
    watch, page, live_server, customer
):
    signed_in(page.context, live_server, customer)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    for name in CUSTOMER_PAGES:
        watch.visit(reverse(name))
    for name in (name for name, who in FEATURES_OFF.items() if who == "customer"):
        watch.visit(reverse(name), status=(200, 404))

    # The profile form, saved in place through htmx.
    watch.visit(reverse("account_overview"))
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    watch.check("saving the profile")

    # The credit history: filtered and paged in place through htmx.
    watch.visit(reverse("credits_overview"))
    page.get_by_role("link", name="Older").click()
    page.wait_for_url(re.compile(r"before="))
    page.get_by_label("Show").select_option("debit")
    page.wait_for_url(re.compile(r"kind=debit"))
    watch.check("paging and filtering the credit history")

    # An API key: created through htmx, copied through Alpine, revoked through htmx.
    watch.visit(reverse("account_api_keys"))
    page.get_by_label("Name").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    page.get_by_label("Your new key").wait_for()
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    watch.check("creating and copying a key")
    page.get_by_role("link", name="Revoke laptop").click()
    page.get_by_text("This cannot be undone.").wait_for()
    page.get_by_role("button", name="Revoke key").click()
    page.get_by_text("was revoked").wait_for()
    watch.check("revoking a key")
    # The page a browser without htmx gets for revoking.
    watch.visit(reverse("account_api_key_revoke", args=[customer.api_keys.first().pk]))

    # The navigation's burger on a phone, through Alpine.
    page.set_viewport_size({"width": 390, "height": 800})
    watch.visit(reverse("home"))
    menu_link = page.locator("#main-menu").get_by_role("link", name="Credits")
    assert not menu_link.is_visible()
    page.get_by_role("button", name="Menu").click()
    menu_link.wait_for()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    watch.check("opening the menu")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    watch.check("logging out")


def _model_admin_patterns():
    """(model, URL pattern) for every page each registered model's admin serves."""
    for model, model_admin in admin.site._registry.items():
        for pattern in model_admin.get_urls():
            if isinstance(pattern, URLPattern) and pattern.name:
                yield model, pattern


# dj-stripe registers some fifty models whose pages come from the same few templates (its own,
# overridden in quickscale/templates/djstripe/): the ones billing uses stand for the rest.
DJSTRIPE_MODELS_VISITED = {
    "customer",
    "product",
    "price",
    "subscription",
    "invoice",
    "charge",
    "refund",
    "session",
    "event",
    "webhookendpoint",
    "webhookeventtrigger",
}


def _admin_pages(objects):
    """Every named admin URL of every registered model, with an existing object's id filled in."""
    pages = []
    for model, pattern in _model_admin_patterns():
        meta = model._meta
        if meta.app_label == "djstripe" and meta.model_name not in DJSTRIPE_MODELS_VISITED:
            continue
        obj = objects.get(model) or model._default_manager.first()
        arguments = list(pattern.pattern.regex.groupindex)
        if arguments and obj is None:
            continue
        pages.append(reverse(f"admin:{pattern.name}", kwargs={name: obj.pk for name in arguments}))
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        pages.append(reverse("admin:app_list", kwargs={"app_label": app_label}))
    return sorted(set(pages))


def test_every_admin_page_keeps_to_the_policy(
    watch, page, live_server, customer, django_user_model
):
    from allauth.account.models import EmailAddress

    from quickscale.apps.credits.models import CreditAccount

    root = django_user_model.objects.create_superuser(email="root@example.com", password="pw-x-1")
    EmailAddress.objects.create(user=customer, email=customer.email, primary=True, verified=True)
    signed_in(page.context, live_server, root)
    watch.visit(reverse("admin:index"))
    # Service settings get their rows when their list is first shown.
    watch.visit(reverse("admin:quickscale_services_serviceconfig_changelist"))
    objects = {CreditAccount: CreditAccount.objects.get(pk=personal(customer).pk)}
    for path in _admin_pages(objects):
        # 403: what the append-only ledger and the read-only pages answer for add and delete.
        watch.visit(path, status=(200, 403))
    for name in ("admin:password_change", "admin:password_change_done"):
        watch.visit(reverse(name))

    # Granting credits through the admin's form.
    watch.visit(
        reverse("admin:quickscale_credits_creditaccount_grant", args=[personal(customer).pk])
    )
    page.get_by_label("Amount").fill("5")
    page.get_by_label("Reason").fill("a goodwill gesture")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    watch.check("granting credits in the admin")

    # A changelist action: revoke the selected API keys.
    watch.visit(reverse("admin:quickscale_keys_apikey_changelist"))
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("revoke_selected")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    watch.check("an admin action")

    # Creating a key in the admin shows its token once.
    watch.visit(reverse("admin:quickscale_keys_apikey_add"))
    page.get_by_label("User").fill(customer.email)
    page.get_by_label("Name").fill("from the admin")
    page.get_by_role("button", name="Create key").click()
    page.get_by_label("Token").wait_for()
    watch.check("creating a key in the admin")


def test_the_sync_back_panel_keeps_to_the_policy_in_debug(watch, page, live_server, tmp_path):
    from tests.syncback.helpers import edit, generate, make_checkout

    template = make_checkout(tmp_path)
    project = generate(template, tmp_path / "projects")
    edit(project / "static/css/app.css", "gap: 0.5rem;", "gap: 1rem;")
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser(email="root@example.com")
    signed_in(page.context, live_server, root)
    with override_settings(BASE_DIR=project, QUICKSCALE_TEMPLATE_DIR=str(template), DEBUG=True):
        watch.visit(reverse("admin:index"))
        page.get_by_role("link", name="Sync-back").click()
        page.locator("#sync-back-files").wait_for()
        watch.check("the sync-back panel")
        page.get_by_role("button", name="Show diff").first.click()
        page.locator(".qs-diff table.diff").wait_for()
        watch.check("a diff swapped in through htmx")
        page.get_by_role("button", name="Review and apply the selected files").click()
        page.get_by_role("button", name=re.compile(r"Apply \d+ file")).click()
        page.locator("#sync-back-written").wait_for()
        watch.check("applying")


def _named_urls():
    names = set()

    def walk(resolver, namespaces):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, [*namespaces, pattern.namespace] if pattern.namespace else namespaces)
            elif pattern.name:
                names.add(":".join([*namespaces, pattern.name]))

    walk(get_resolver(), [])
    return names


@override_settings(ROOT_URLCONF="tests.csp_urls")
def test_no_named_url_of_the_project_is_left_out():
    covered = {
        *(f"admin:{pattern.name}" for _, pattern in _model_admin_patterns()),
        *NOT_PAGES,
        *PUBLIC_PAGES,
        *CUSTOMER_PAGES,
        *FEATURES_OFF,
        *REACHED_OTHERWISE,
    }
    left_out = sorted(name for name in _named_urls() if name not in covered)
    assert left_out == []
