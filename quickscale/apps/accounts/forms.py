from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.views import SignupView
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.selectors import user_get_by_email
from quickscale.apps.accounts.validators import EMAIL_MAX_LENGTH


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ("name",)
        help_texts = {"name": "How we greet you. Leave it empty to be greeted by e-mail address."}


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    """allauth's sign-up (ACCOUNT_FORMS["signup"]), saved in one transaction, and answering
    an address another sign-up took between this one's check and its save the way the check
    would have: a form error, or, when enumeration prevention can hide it, the same "check your
    e-mail" answer as for any address already known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)

    def try_save(self, request: HttpRequest) -> tuple[User | None, Any]:
        try:
            with transaction.atomic():
                return super().try_save(request)  # type: ignore[no-any-return]
        except IntegrityError:
            email = self.cleaned_data.get("email") or ""
            if user_get_by_email(email=email) is None:
                raise  # not a duplicate address: a real fault
        try:
            # Now that the address exists: raises "already registered", or marks the form so
            # that allauth answers as for any known address.
            self.validate_unique_email(email)
        except forms.ValidationError as error:
            self.add_error("email", error)
            view = SignupView()
            view.setup(request)
            raise ImmediateHttpResponse(view.form_invalid(self)) from None
        return super().try_save(request)  # type: ignore[no-any-return]
