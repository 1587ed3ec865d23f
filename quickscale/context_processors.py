from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from quickscale.conf import app_settings


def site(request: HttpRequest) -> dict[str, Any]:
    def can_manage_billing() -> bool:
        # Called by the template only where the account menu shows it.
        from quickscale.apps.orgs.current import current_membership
        from quickscale.apps.orgs.policy import Action, can

        return can(current_membership(request), Action.MANAGE_BILLING)

    return {"site_name": app_settings.SITE_NAME, "can_manage_billing": can_manage_billing}
