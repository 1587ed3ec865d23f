"""The customer's pages for API keys and usage: HTMX swaps fragments, and every action also works
as a plain form post without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quickscale.apps.accounts.models import User
from quickscale.apps.api.forms import ApiKeyCreateForm, UsageCursorForm
from quickscale.apps.keys.models import ApiKey
from quickscale.apps.keys.selectors import api_key_get, api_key_makers, api_keys_list
from quickscale.apps.keys.services import NewKey, api_key_create, api_key_revoke
from quickscale.apps.orgs.current import membership_required
from quickscale.apps.orgs.models import Membership
from quickscale.apps.orgs.policy import Action, can
from quickscale.apps.services.selectors import service_runs_page
from quickscale.exceptions import ApiKeyError, OrganizationPermissionError
from quickscale.middleware import htmx_swap

KEYS_TEMPLATE = "pages/api_keys.html"
KEY_LIST_FRAGMENT = "fragments/api_key_list.html"
KEY_CREATE_FRAGMENT = "fragments/api_key_create.html"
REVOKE_TEMPLATE = "pages/api_key_revoke.html"
REVOKE_FRAGMENT = "fragments/api_key_revoke.html"
USAGE_TEMPLATE = "pages/api_usage.html"
USAGE_FRAGMENT = "fragments/api_usage.html"
USAGE_PAGE_SIZE = 25
# How long a sent create form is remembered, so that sending it again creates no second key.
CREATE_NONCE_TIMEOUT = 60 * 60  # seconds


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _membership(request: HttpRequest) -> Membership:
    return membership_required(request, Action.VIEW)


def _keys(request: HttpRequest) -> list[ApiKey]:
    """The organization's keys, each marked with whether the viewer may revoke it."""
    viewer = _membership(request)
    keys = api_keys_list(organization=viewer.organization)
    makers = api_key_makers(keys=keys)
    for key in keys:
        key.manageable = can(viewer, Action.MANAGE_KEY, target=makers.get(key.pk))  # type: ignore[attr-defined]
    return keys


def _own_key(request: HttpRequest, pk: int) -> ApiKey:
    key = api_key_get(organization=_membership(request).organization, pk=pk)
    if key is None:
        raise Http404("No such API key.")
    return key


@login_required
@require_GET
def api_keys(request: HttpRequest) -> HttpResponse:
    keys = _keys(request)
    if htmx_swap(request):
        return render(request, KEY_LIST_FRAGMENT, {"keys": keys})
    return render(request, KEYS_TEMPLATE, {"keys": keys, "form": ApiKeyCreateForm()})


@never_cache  # the answer holds the secret: no browser or proxy may keep it
@login_required
@require_POST
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    membership = _membership(request)
    form = ApiKeyCreateForm(request.POST)
    if not form.is_valid():
        return _create_page(request, form=form)
    nonce = f"quickscale:api-key-create:{user.pk}:{form.cleaned_data['nonce']}"
    if not cache.add(nonce, True, CREATE_NONCE_TIMEOUT):
        messages.info(
            request,
            "That form was already sent: its key was created and its secret shown once. "
            "If you did not copy it, revoke that key and create another.",
        )
        return redirect("account_api_keys")
    data = form.cleaned_data
    try:
        new_key = api_key_create(
            organization=membership.organization,
            user=user,
            name=data["name"],
            expires_at=data["expires_at"],
            scopes=data["scopes"],
        )
    except (ApiKeyError, OrganizationPermissionError) as error:
        cache.delete(nonce)
        form.add_error(None, error.message)
        return _create_page(request, form=form)
    return _create_page(request, form=ApiKeyCreateForm(), new_key=new_key)


def _create_page(
    request: HttpRequest, *, form: ApiKeyCreateForm, new_key: NewKey | None = None
) -> HttpResponse:
    context = {"form": form, "keys": _keys(request), "new_key": new_key}
    if not htmx_swap(request):
        return render(request, KEYS_TEMPLATE, context)
    if form.errors:
        return render(request, KEY_CREATE_FRAGMENT, context, status=422)
    # The key list is swapped out of band, so that the new key appears in it at once.
    return render(request, KEY_CREATE_FRAGMENT, {**context, "oob_list": True})


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (a table row over HTMX, a page without it); POST revokes."""
    key = _own_key(request, pk)
    htmx = htmx_swap(request)
    membership_required(request, Action.MANAGE_KEY, target=api_key_makers(keys=[key]).get(key.pk))
    if request.method == "GET":
        return render(request, REVOKE_FRAGMENT if htmx else REVOKE_TEMPLATE, {"key": key})
    try:
        api_key_revoke(key=key, membership=_membership(request))
    except (ApiKeyError, OrganizationPermissionError) as error:
        raise PermissionDenied(error.message) from error
    if htmx:
        context = {"keys": _keys(request), "revoked": key}
        return render(request, KEY_LIST_FRAGMENT, context)
    messages.success(
        request, f"The key “{key.name}” ({key.prefix}…) was revoked: calls with it now fail."
    )
    return redirect("account_api_keys")


@login_required
@require_GET
def api_usage(request: HttpRequest) -> HttpResponse:
    """The organization's service runs, newest first, a page at a time."""
    cursor = UsageCursorForm(request.GET)
    status = 200
    if not cursor.is_valid():
        # A cursor that was not understood shows the newest page, and says so with the status.
        cursor = UsageCursorForm({})
        cursor.is_valid()
        status = 400
    usage = service_runs_page(
        organization=_membership(request).organization,
        before=cursor.cleaned_data.get("before"),
        after=cursor.cleaned_data.get("after"),
        size=USAGE_PAGE_SIZE,
    )
    template = USAGE_FRAGMENT if htmx_swap(request) else USAGE_TEMPLATE
    return render(request, template, {"usage": usage}, status=status)
