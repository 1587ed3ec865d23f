"""Links from Django's admin to QuickScale's admin pages that exist only in some settings."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from quickscale.admin_ui.syncback import panel_available

register = template.Library()


@register.simple_tag(takes_context=True)
def sync_back_url(context: template.Context) -> str:
    """The panel's address for a superuser in development; "" wherever it would answer 404."""
    request = context.get("request")
    if request is None or not panel_available() or not request.user.is_superuser:
        return ""
    try:
        return reverse("quickscale_admin_ui:sync_back")
    except NoReverseMatch:  # a project that does not include quickscale.admin_ui.urls
        return ""
