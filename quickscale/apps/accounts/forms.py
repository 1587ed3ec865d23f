from __future__ import annotations

from django import forms

from quickscale.apps.accounts.models import User


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ("name",)
        help_texts = {"name": "How we greet you. Leave it empty to be greeted by e-mail address."}
