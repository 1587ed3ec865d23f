"""The organization pages, included by the project under organizations/."""

from __future__ import annotations

from django.urls import path

from quickscale.apps.orgs import views

urlpatterns = [
    path("", views.organization_members, name="organization_members"),
    path("switch/", views.organization_switch, name="organization_switch"),
    path("new/", views.organization_create_view, name="organization_create"),
    path("rename/", views.organization_rename_view, name="organization_rename"),
    path("leave/", views.organization_leave, name="organization_leave"),
    path("members/<int:pk>/role/", views.organization_member_role, name="organization_member_role"),
    path(
        "members/<int:pk>/remove/",
        views.organization_member_remove,
        name="organization_member_remove",
    ),
    path("invitations/", views.organization_invitation_send, name="organization_invitation_send"),
    path(
        "invitations/<int:pk>/resend/",
        views.organization_invitation_resend,
        name="organization_invitation_resend",
    ),
    path(
        "invitations/<int:pk>/revoke/",
        views.organization_invitation_revoke,
        name="organization_invitation_revoke",
    ),
    path(
        "invitations/<str:token>/",
        views.organization_invitation_accept_view,
        name="organization_invitation_accept",
    ),
]
