from __future__ import annotations

from django import forms

from quickscale.apps.accounts.validators import EMAIL_MAX_LENGTH
from quickscale.apps.orgs.models import NAME_MAX_LENGTH, Role

ID_MAX = 2**63 - 1
NEXT_MAX_LENGTH = 2000


class OrganizationSwitchForm(forms.Form):
    organization = forms.IntegerField(min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=NEXT_MAX_LENGTH, widget=forms.HiddenInput)


class OrganizationNameForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        strip=True,
        help_text="Shown to its members, e.g. your company's or your project's name.",
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationSendForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: object, roles: list[tuple[str, str]], **kwargs: object) -> None:
        """`roles`: the roles the inviter may offer."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = roles
        role.help_text = "Admins manage members and API keys; owners also billing and the name."
