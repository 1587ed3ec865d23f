"""The organization a request acts for.

A page acts for the organization chosen in the navigation's switcher, kept in the session and
checked against the user's memberships on every request (a member removed meanwhile falls back
to their personal organization). An API call acts for its key's organization.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from quickscale.apps.accounts.models import User
from quickscale.apps.orgs.models import Membership, Organization
from quickscale.apps.orgs.policy import Action, require
from quickscale.apps.orgs.selectors import membership_get
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.exceptions import OrganizationPermissionError

SESSION_KEY = "quickscale_organization"
_CACHE_ATTRIBUTE = "_quickscale_membership"


def current_membership(request: HttpRequest) -> Membership | None:
    """The signed-in user's membership of the organization the page acts for; None when
    nobody is signed in. Read once per request."""
    if hasattr(request, _CACHE_ATTRIBUTE):
        cached: Membership | None = getattr(request, _CACHE_ATTRIBUTE)
        return cached
    membership = _resolve(request)
    setattr(request, _CACHE_ATTRIBUTE, membership)
    return membership


def _resolve(request: HttpRequest) -> Membership | None:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    chosen = request.session.get(SESSION_KEY)
    if isinstance(chosen, int):
        membership = membership_get(user=user, organization_id=chosen)
        if membership is not None:
            return membership
    personal = organization_personal_ensure(user=user)
    membership = membership_get(user=user, organization_id=personal.pk)
    if membership is None:  # a personal organization whose person lost their membership
        membership = Membership.objects.create(organization=personal, user=user, role="owner")
        membership.organization = personal
    request.session[SESSION_KEY] = personal.pk
    return membership


def membership_required(
    request: HttpRequest,
    action: Action,
    *,
    target: Membership | None = None,
    role: str | None = None,
) -> Membership:
    """The current membership, when the policy lets it do `action`; a 403 otherwise."""
    try:
        return require(current_membership(request), action, target=target, role=role)
    except OrganizationPermissionError as error:
        raise PermissionDenied(error.message) from error


def current_membership_set(request: HttpRequest, membership: Membership) -> None:
    """Make `membership`'s organization the one the user's pages act for."""
    request.session[SESSION_KEY] = membership.organization_id
    setattr(request, _CACHE_ATTRIBUTE, membership)


def request_organization(request: HttpRequest) -> Organization | None:
    """The organization an API request acts for: its key's, or for a signed-in browser, the
    page's. None when nobody is authenticated."""
    key = getattr(request, "api_key", None)
    if key is not None:
        return Organization(pk=key.organization_id)
    membership = current_membership(request)
    return membership.organization if membership is not None else None
