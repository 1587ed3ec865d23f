"""Organizations, memberships and invitations in Django's admin.

Every change goes through the services, so the admin keeps the rules the pages keep: an
organization keeps an owner, a removed member's API keys are revoked with them, a withdrawn
invitation's link stops working. Hence no edit forms and no Django delete here: the changes
are the list's actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from quickscale.admin_ui.bounded import BoundedInputAdmin
from quickscale.apps.orgs.invitations import invitation_revoke
from quickscale.apps.orgs.models import Invitation, Membership, Organization, Role
from quickscale.apps.orgs.services import membership_remove, membership_role_change
from quickscale.exceptions import OrganizationError

MANAGE_MEMBERS_PERMISSION = "quickscale_orgs.change_membership"
REVOKE_PERMISSION = "quickscale_orgs.change_invitation"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _ReadOnly:
    """Rows that change only through the list's actions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(_ReadOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Organization)
class OrganizationAdmin(_ReadOnly, BoundedInputAdmin):
    list_display = ("name", "slug", "kind", "member_count", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "slug", "memberships__user__email")
    fields = ("name", "slug", "kind", "personal_owner", "created_at")
    inlines = (MembershipInline,)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        queryset: QuerySet[Organization] = super().get_queryset(request)
        return queryset.annotate(member_total=Count("memberships"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj: Organization) -> int:
        return int(getattr(obj, "member_total", 0))


def _role_action(role: str) -> Callable[[MembershipAdmin, HttpRequest, QuerySet[Membership]], None]:
    def action(
        model_admin: MembershipAdmin, request: HttpRequest, queryset: QuerySet[Membership]
    ) -> None:
        changed, refused = 0, []
        for membership in queryset.select_related("organization", "user"):
            try:
                membership_role_change(actor=None, target=membership, role=role)
            except OrganizationError as error:
                refused.append(error.message)
            else:
                changed += 1
        model_admin.report(request, f"{_plural(changed, 'member')} now {role}.", refused)

    label = Role(role).label.lower()
    action.__name__ = f"make_{role}"
    return admin.action(description=f"Make the selected members {label}s", permissions=["manage"])(
        action
    )


@admin.register(Membership)
class MembershipAdmin(_ReadOnly, BoundedInputAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "organization__name", "organization__slug")
    list_select_related = ("user", "organization")
    fields = ("organization", "user", "role", "created_at")
    show_full_result_count = False
    actions = (
        _role_action(Role.OWNER),
        _role_action(Role.ADMIN),
        _role_action(Role.MEMBER),
        "remove_selected",
    )

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_MEMBERS_PERMISSION)

    def report(self, request: HttpRequest, done: str, refused: list[str]) -> None:
        self.message_user(request, done, messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not changed: {reason}", messages.ERROR)

    @admin.action(
        description="Remove the selected members (revokes the API keys they made there)",
        permissions=["manage"],
    )
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        removed, revoked, refused = 0, 0, []
        for membership in queryset.select_related("organization", "user"):
            try:
                revoked += len(membership_remove(actor=None, target=membership))
            except OrganizationError as error:
                refused.append(error.message)
            else:
                removed += 1
        done = f"Removed {_plural(removed, 'member')}; revoked {_plural(revoked, 'API key')}."
        self.report(request, done, refused)


@admin.register(Invitation)
class InvitationAdmin(_ReadOnly, BoundedInputAdmin):
    list_display = ("email", "organization", "role", "invitation_status", "sent_at", "expires_at")
    list_filter = ("role",)
    search_fields = ("email", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    fields = (
        "organization",
        "email",
        "role",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    show_full_result_count = False
    actions = ("revoke_selected",)

    @admin.display(description="status")
    def invitation_status(self, obj: Invitation) -> str:
        return obj.status().capitalize()

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVOKE_PERMISSION)

    @admin.action(description="Withdraw the selected invitations", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        revoked = 0
        for invitation in queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True):
            invitation_revoke(invitation=invitation)
            revoked += 1
        self.message_user(request, f"Withdrew {_plural(revoked, 'invitation')}.", messages.SUCCESS)
