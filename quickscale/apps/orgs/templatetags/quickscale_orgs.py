"""The navigation's organization switcher."""

from __future__ import annotations

from typing import Any

from django import template

from quickscale.apps.accounts.models import User
from quickscale.apps.orgs.current import current_membership
from quickscale.apps.orgs.selectors import memberships_of

register = template.Library()


@register.inclusion_tag("components/organization_switcher.html", takes_context=True)
def organization_switcher(context: template.Context) -> dict[str, Any]:
    """The organization the pages act for and the user's others, for a signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User) or not user.is_authenticated:
        return {"current": None}
    current = current_membership(request)
    return {
        "current": current,
        "memberships": memberships_of(user=user),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
