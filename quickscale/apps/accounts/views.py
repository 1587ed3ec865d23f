from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from quickscale.apps.accounts.forms import ProfileForm
from quickscale.apps.accounts.models import User
from quickscale.apps.accounts.services import user_profile_update

ACCOUNT_TEMPLATE = "pages/account.html"
PROFILE_FRAGMENT = "fragments/profile_form.html"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_GET
def account_overview(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(instance=_user(request))
    return render(request, ACCOUNT_TEMPLATE, {"profile_form": form})


@login_required
@require_POST
def account_profile_update(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
    htmx = bool(getattr(request, "htmx", False))
    if not form.is_valid():
        if htmx:
            return render(request, PROFILE_FRAGMENT, {"profile_form": form}, status=422)
        return render(request, ACCOUNT_TEMPLATE, {"profile_form": form})
    user_profile_update(user=user, name=form.cleaned_data["name"])
    if htmx:
        return render(
            request, PROFILE_FRAGMENT, {"profile_form": ProfileForm(instance=user), "saved": True}
        )
    messages.success(request, "Your profile was saved.")
    return redirect("account_overview")
