"""The organization pages: switching, teams, members and invitations. HTMX swaps fragments,
and every action also works as a plain form post without JavaScript. The policy decides
every permission, and which buttons a page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.selectors import user_email_held, user_email_verified
from quickscale.apps.keys.selectors import api_keys_made_by
from quickscale.apps.orgs.current import current_membership, current_membership_set
from quickscale.apps.orgs.forms import (
    InvitationSendForm,
    MemberRoleForm,
    OrganizationNameForm,
    OrganizationSwitchForm,
)
from quickscale.apps.orgs.invitations import (
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from quickscale.apps.orgs.models import Invitation, Membership, Role
from quickscale.apps.orgs.policy import Action, can, require
from quickscale.apps.orgs.selectors import (
    invitation_by_token,
    invitation_get,
    invitations_open,
    member_get,
    members_list,
    membership_get,
)
from quickscale.apps.orgs.services import (
    membership_leave,
    membership_remove,
    membership_role_change,
    organization_create,
    organization_rename,
)
from quickscale.exceptions import (
    InvitationAddressError,
    InvitationNotValidError,
    InvitationRateLimitError,
    OrganizationError,
    OrganizationPermissionError,
)
from quickscale.middleware import htmx_swap

MEMBERS_TEMPLATE = "pages/organization_members.html"
MEMBERS_FRAGMENT = "fragments/organization_members.html"
INVITATIONS_FRAGMENT = "fragments/organization_invitations.html"
RENAME_FRAGMENT = "fragments/organization_rename.html"
CREATE_TEMPLATE = "pages/organization_create.html"
CREATE_FRAGMENT = "fragments/organization_create.html"
REMOVE_TEMPLATE = "pages/organization_member_remove.html"
REMOVE_FRAGMENT = "fragments/organization_member_remove.html"
LEAVE_TEMPLATE = "pages/organization_leave.html"
INVITATION_TEMPLATE = "pages/organization_invitation.html"
INVITATION_INVALID_TEMPLATE = "pages/organization_invitation_invalid.html"


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    roles: list[tuple[str, str]]  # the roles the viewer may give them; empty: no choice
    removable: bool
    is_you: bool


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    manageable: bool  # the viewer may send it again or withdraw it


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _membership(request: HttpRequest) -> Membership:
    membership = current_membership(request)
    assert membership is not None  # the views require a signed-in user
    return membership


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _refused(error: OrganizationPermissionError) -> PermissionDenied:
    return PermissionDenied(error.message)


def _require(viewer: Membership, action: Action, *, target: Membership | None = None) -> Membership:
    """The policy's `require`, refusing with a 403."""
    try:
        return require(viewer, action, target=target)
    except OrganizationPermissionError as error:
        raise _refused(error) from error


def _member(viewer: Membership, pk: int) -> Membership:
    """A member of the viewer's organization; 404 for anyone else's."""
    membership = member_get(organization=viewer.organization, pk=pk)
    if membership is None:
        raise Http404("No such member.")
    return membership


def _invitation(viewer: Membership, pk: int) -> Invitation:
    invitation = invitation_get(organization=viewer.organization, pk=pk)
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def _member_rows(viewer: Membership) -> list[MemberRow]:
    team = not viewer.organization.is_personal
    rows = []
    for member in members_list(organization=viewer.organization):
        member.organization = viewer.organization
        roles = [
            (value, label)
            for value, label in Role.choices
            if can(viewer, Action.CHANGE_ROLE, target=member, role=value)
        ]
        rows.append(
            MemberRow(
                membership=member,
                roles=roles if team and any(value != member.role for value, _ in roles) else [],
                removable=team
                and member.pk != viewer.pk
                and can(viewer, Action.REMOVE_MEMBER, target=member),
                is_you=member.pk == viewer.pk,
            )
        )
    return rows


def _invite_roles(viewer: Membership) -> list[tuple[str, str]]:
    return [
        (value, label) for value, label in Role.choices if can(viewer, Action.INVITE, role=value)
    ]


def _may_invite(viewer: Membership) -> bool:
    return not viewer.organization.is_personal and can(viewer, Action.INVITE)


def _may_leave(viewer: Membership) -> bool:
    return not viewer.organization.is_personal and can(viewer, Action.LEAVE)


def _invitation_rows(viewer: Membership) -> list[InvitationRow]:
    if not _may_invite(viewer):
        return []
    return [
        InvitationRow(
            invitation=invitation,
            manageable=can(viewer, Action.INVITE, role=invitation.role),
        )
        for invitation in invitations_open(organization=viewer.organization)
    ]


def _invite_form(viewer: Membership, data: Any = None) -> InvitationSendForm:
    return InvitationSendForm(data, roles=_invite_roles(viewer))


def _context(viewer: Membership, **extra: Any) -> dict[str, Any]:
    organization = viewer.organization
    context: dict[str, Any] = {
        "membership": viewer,
        "organization": organization,
        "rows": _member_rows(viewer),
        "may_invite": _may_invite(viewer),
        "may_rename": can(viewer, Action.MANAGE_ORGANIZATION),
        "may_leave": _may_leave(viewer),
        "invitations": _invitation_rows(viewer),
    }
    if context["may_invite"]:
        context["invite_form"] = _invite_form(viewer)
    if context["may_rename"]:
        context["rename_form"] = OrganizationNameForm(initial={"name": organization.name})
    context.update(extra)
    return context


def _members_answer(
    request: HttpRequest,
    viewer: Membership,
    *,
    notice: str = "",
    error: str = "",
    fragment: str = MEMBERS_FRAGMENT,
    **extra: Any,
) -> HttpResponse:
    """After an action on the members page: over HTMX the fragment, with what happened (422
    when it was refused); without it, back to the page with a message."""
    if htmx_swap(request):
        context = _context(viewer, notice=notice, error=error, **extra)
        return render(request, fragment, context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("organization_members")


@login_required
@require_GET
def organization_members(request: HttpRequest) -> HttpResponse:
    """The current organization: its members, its invitations, its name."""
    viewer = _require(_membership(request), Action.VIEW)
    if htmx_swap(request):
        return render(request, MEMBERS_FRAGMENT, _context(viewer))
    return render(request, MEMBERS_TEMPLATE, _context(viewer))


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    form = OrganizationSwitchForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Choose one of your organizations.")
    membership = membership_get(
        user=_user(request), organization_id=form.cleaned_data["organization"]
    )
    if membership is None:
        raise Http404("You are not a member of that organization.")
    current_membership_set(request, _require(membership, Action.VIEW))
    messages.success(request, f"You are now working in {membership.organization}.")
    target = form.cleaned_data["next"]
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)  # not redirect(): it reads "x" as a URL's name
    return redirect("organization_members")


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_view(request: HttpRequest) -> HttpResponse:
    """A team, with the user as its owner; it becomes the current organization."""
    form = OrganizationNameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(user=_user(request), name=form.cleaned_data["name"])
        except OrganizationError as error:
            form.add_error("name", error.message)
        else:
            membership = membership_get(user=_user(request), organization_id=organization.pk)
            assert membership is not None
            current_membership_set(request, membership)
            messages.success(
                request, f"{organization} was created, and you are its owner. Invite your team."
            )
            return redirect("organization_members")
    if htmx_swap(request):
        status = 422 if form.errors else 200
        return render(request, CREATE_FRAGMENT, {"form": form}, status=status)
    return render(request, CREATE_TEMPLATE, {"form": form})


@login_required
@require_POST
def organization_rename_view(request: HttpRequest) -> HttpResponse:
    viewer = _membership(request)
    _require(viewer, Action.MANAGE_ORGANIZATION)
    form = OrganizationNameForm(request.POST)
    if form.is_valid():
        try:
            organization_rename(membership=viewer, name=form.cleaned_data["name"])
        except OrganizationPermissionError as error:
            raise _refused(error) from error
        except OrganizationError as error:
            form.add_error("name", error.message)
    htmx = htmx_swap(request)
    if form.errors:
        context = _context(viewer, rename_form=form)
        return render(
            request,
            RENAME_FRAGMENT if htmx else MEMBERS_TEMPLATE,
            context,
            status=422 if htmx else 200,
        )
    notice = f"The organization is now called {viewer.organization}."
    if htmx:
        return render(request, RENAME_FRAGMENT, _context(viewer, notice=notice, oob_title=True))
    messages.success(request, notice)
    return redirect("organization_members")


@login_required
@require_POST
def organization_member_role(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _membership(request)
    target = _member(viewer, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _members_answer(request, viewer, error="Choose owner, admin or member.")
    role = form.cleaned_data["role"]
    try:
        changed = membership_role_change(actor=viewer, target=target, role=role)
    except OrganizationPermissionError as error:
        raise _refused(error) from error
    except OrganizationError as error:
        return _members_answer(request, viewer, error=f"{error.message} {error.hint}")
    notice = f"{changed.user} is now {changed.get_role_display().lower()}."
    if changed.pk == viewer.pk:
        viewer = _membership_now(request, viewer)
    return _members_answer(request, viewer, notice=notice)


def _membership_now(request: HttpRequest, viewer: Membership) -> Membership:
    """The viewer's membership after a change to it (their own role)."""
    membership = membership_get(user=_user(request), organization_id=viewer.organization_id)
    assert membership is not None
    current_membership_set(request, membership)
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def organization_member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation, listing the API keys removing them revokes (a table row over
    HTMX, a page without it); POST removes."""
    viewer = _membership(request)
    target = _member(viewer, pk)
    if target.pk == viewer.pk:
        return redirect("organization_leave")
    _require(viewer, Action.REMOVE_MEMBER, target=target)
    if request.method == "GET":
        keys = api_keys_made_by(organization=viewer.organization, user=target.user)
        context = {"member": target, "keys": keys}
        return render(request, REMOVE_FRAGMENT if htmx_swap(request) else REMOVE_TEMPLATE, context)
    try:
        revoked = membership_remove(actor=viewer, target=target)
    except OrganizationPermissionError as error:
        raise _refused(error) from error
    except OrganizationError as error:
        return _members_answer(request, viewer, error=f"{error.message} {error.hint}")
    count = len(revoked)
    notice = (
        f"{target.user} was removed from {viewer.organization}; "
        f"{count} API key{'' if count == 1 else 's'} they made in it "
        f"{'was' if count == 1 else 'were'} revoked."
    )
    return _members_answer(request, viewer, notice=notice)


@login_required
@require_http_methods(["GET", "POST"])
def organization_leave(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation, listing the user's API keys that leaving revokes; POST
    leaves, and the personal organization becomes the current one."""
    viewer = _membership(request)
    organization = viewer.organization
    if request.method == "GET":
        keys = api_keys_made_by(organization=organization, user=_user(request))
        context = {"organization": organization, "keys": keys, "may_leave": _may_leave(viewer)}
        return render(request, LEAVE_TEMPLATE, context)
    try:
        revoked = membership_leave(membership=viewer)
    except OrganizationPermissionError as error:
        raise _refused(error) from error
    except OrganizationError as error:
        messages.error(request, f"{error.message} {error.hint}")
        return redirect("organization_members")
    count = len(revoked)
    messages.success(
        request,
        f"You left {organization}; {count} API key{'' if count == 1 else 's'} you made in it "
        f"{'was' if count == 1 else 'were'} revoked.",
    )
    return redirect("organization_members")


@login_required
@require_POST
def organization_invitation_send(request: HttpRequest) -> HttpResponse:
    viewer = _membership(request)
    if not can(viewer, Action.INVITE):
        raise PermissionDenied("Only owners and admins may invite people.")
    form = _invite_form(viewer, request.POST)
    status = 200
    if form.is_valid():
        email = form.cleaned_data["email"]
        try:
            invitation_send(
                membership=viewer,
                email=email,
                role=form.cleaned_data["role"],
                base_url=_base_url(request),
            )
        except OrganizationPermissionError as error:
            raise _refused(error) from error
        except InvitationRateLimitError as error:
            form.add_error(None, f"{error.message} {error.hint}")
            status = 429
        except OrganizationError as error:
            form.add_error(None, f"{error.message} {error.hint}")
        else:
            # The same answer for every address: whether it has an account, or is a member's,
            # shows only in the e-mail the address receives.
            notice = f"Invitation sent to {email.strip().lower()}."
            return _members_answer(request, viewer, notice=notice, fragment=INVITATIONS_FRAGMENT)
    if htmx_swap(request):
        return render(request, INVITATIONS_FRAGMENT, _context(viewer, invite_form=form), status=422)
    return render(request, MEMBERS_TEMPLATE, _context(viewer, invite_form=form), status=status)


@login_required
@require_POST
def organization_invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _membership(request)
    invitation = _invitation(viewer, pk)
    try:
        invitation_resend(membership=viewer, invitation=invitation, base_url=_base_url(request))
    except OrganizationPermissionError as error:
        raise _refused(error) from error
    except InvitationNotValidError as error:
        raise Http404(error.message) from error
    except OrganizationError as error:
        return _members_answer(
            request, viewer, error=f"{error.message} {error.hint}", fragment=INVITATIONS_FRAGMENT
        )
    notice = (
        f"The invitation was sent to {invitation.email} again; the earlier link no longer works."
    )
    return _members_answer(request, viewer, notice=notice, fragment=INVITATIONS_FRAGMENT)


@login_required
@require_POST
def organization_invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _membership(request)
    invitation = _invitation(viewer, pk)
    try:
        invitation_revoke(invitation=invitation, membership=viewer)
    except OrganizationPermissionError as error:
        raise _refused(error) from error
    notice = f"The invitation to {invitation.email} was withdrawn; its link no longer works."
    return _members_answer(request, viewer, notice=notice, fragment=INVITATIONS_FRAGMENT)


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, INVITATION_INVALID_TEMPLATE, status=410)


def _with_next(name: str, path: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': path})}"


@never_cache
@require_http_methods(["GET", "POST"])
def organization_invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link. Signed out: what it offers, and log-in and sign-up links that
    come back here. Signed in with the invited address verified: a button to accept (POST).
    Signed in without it: which address to verify, and how."""
    invitation = invitation_by_token(token=token)
    if invitation is None:
        return _invalid(request)
    context: dict[str, Any] = {"invitation": invitation, "token": token}
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        context["login_url"] = _with_next("account_login", request.path)
        context["signup_url"] = _with_next("account_signup", request.path)
        return render(request, INVITATION_TEMPLATE, {**context, "state": "signed_out"})
    if request.method == "GET":
        return _invitation_page(request, context, user)
    try:
        membership = invitation_accept(token=token, user=user)
    except InvitationNotValidError:
        return _invalid(request)
    except InvitationAddressError:
        return _invitation_page(request, context, user)
    current_membership_set(request, membership)
    messages.success(
        request,
        f"Welcome to {membership.organization}: you are {membership.get_role_display().lower()}.",
    )
    return redirect("organization_members")


def _invitation_page(request: HttpRequest, context: dict[str, Any], user: User) -> HttpResponse:
    invitation: Invitation = context["invitation"]
    if user_email_verified(user=user, email=invitation.email):
        return render(request, INVITATION_TEMPLATE, {**context, "state": "ready"})
    held = user_email_held(user=user, email=invitation.email)
    context.update(state="verify", holds_unverified=held)
    return render(request, INVITATION_TEMPLATE, context, status=403)
