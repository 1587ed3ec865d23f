from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from quickscale.apps.accounts.managers import email_normalize
from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.validators import EMAIL_MAX_LENGTH
from quickscale.apps.orgs.models import SLUG_MAX_LENGTH
from quickscale.apps.orgs.selectors import membership_by_slug
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.apps.services.registry import registry


def _service_choices() -> list[tuple[str, str]]:
    return [(service.name, service.name) for service in registry]


class _KeyFieldsForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        strip=True,
        help_text="So you can tell your keys apart, e.g. “laptop” or “billing server”.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    scopes = forms.MultipleChoiceField(
        required=False,
        label="Services",
        widget=forms.CheckboxSelectMultiple,
        help_text="The services this key may run. None ticked: every service.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Services register when the project starts; the form reads them when it is shown.
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)
        scopes.choices = _service_choices()
        self.fields[
            "expires_at"
        ].help_text = (
            f"Empty: the key never expires. Time zone: {timezone.get_current_timezone_name()}."
        )

    def clean_expires_at(self) -> datetime | None:
        expires_at: datetime | None = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return expires_at


class ApiKeyCreateForm(_KeyFieldsForm):
    # Rendered into the form when it is shown, so that sending it twice (a double click, or a
    # reload of the page that showed the secret) creates one key.
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"nonce": uuid.uuid4().hex})
        super().__init__(*args, **kwargs)


class AdminApiKeyCreateForm(_KeyFieldsForm):
    user = forms.EmailField(label="User's e-mail address", max_length=EMAIL_MAX_LENGTH)
    organization = forms.SlugField(
        required=False,
        max_length=SLUG_MAX_LENGTH,
        label="Organization",
        help_text="Its slug; the user must be a member. Empty: the user's personal organization.",
    )
    field_order = ("user", "organization", "name", "expires_at", "scopes")

    def clean_user(self) -> User:
        email = email_normalize(self.cleaned_data["user"])
        user = User.objects.filter(email=email).first()
        if user is None:
            raise forms.ValidationError(f"No user has the e-mail address {email}.")
        return user

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        user, slug = cleaned.get("user"), cleaned.get("organization")
        if user is None or "organization" not in cleaned:
            return cleaned
        if not slug:
            cleaned["organization"] = organization_personal_ensure(user=user)
            return cleaned
        membership = membership_by_slug(user=user, slug=slug)
        if membership is None:
            self.add_error(
                "organization",
                f"{user.email} is not a member of an organization with the slug {slug!r}.",
            )
        else:
            cleaned["organization"] = membership.organization
        return cleaned


class UsageCursorForm(forms.Form):
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
