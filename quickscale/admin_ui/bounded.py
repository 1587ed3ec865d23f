"""QuickScale's admin pages refuse input the database cannot take, with a message, instead of
letting it reach the database as a 500."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

# Longer than any e-mail address (254), key or idempotency key (255) the pages search. SQLite
# refuses LIKE patterns over 50,000 bytes, so a pasted page of text would be a 500.
SEARCH_MAX_LENGTH = 256
# Ids are 64-bit: SQLite raises OverflowError for a larger one in `pk__in`, which the admin
# runs on the rows an action or a list's edits name (and any database raises ValueError there
# for an id that is not a number at all).
ID_RANGE = range(-(2**63), 2**63)
BAD_IDS = "Nothing was changed: the request names a row id that cannot exist."
# PostgreSQL refuses a NUL character in any text it is sent (a DataError), and no row holds one.
NUL_FILTER = "Nothing was filtered: a filter held a NUL character."


class BoundedInputAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A search longer than SEARCH_MAX_LENGTH finds nothing and says why, a list filtered by
    a value with a NUL character is shown unfiltered and says why (the admin's search form
    refuses NUL itself), and a list's action or edits naming an id that is not one (not a
    number, or past 64 bits) are refused with a message, changing nothing."""

    def _impossible_ids(self, values: list[str]) -> bool:
        pk = self.model._meta.pk
        for value in values:
            try:
                python = pk.to_python(value)
            except ValidationError:
                return True
            if isinstance(python, int) and python not in ID_RANGE:
                return True
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Model], search_term: str
    ) -> tuple[QuerySet[Model], bool]:
        if len(search_term) > SEARCH_MAX_LENGTH:
            messages.warning(
                request,
                f"Nothing was searched: a search has at most {SEARCH_MAX_LENGTH} characters.",
            )
            return queryset.none(), False
        results: tuple[QuerySet[Model], bool] = super().get_search_results(
            request, queryset, search_term
        )
        return results

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            self.message_user(request, NUL_FILTER, messages.WARNING)
            return HttpResponseRedirect(request.path)
        if request.method == "POST":
            edited = re.compile(rf"form-\d+-{re.escape(self.model._meta.pk.name)}")
            ids = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) + [
                value
                for name in request.POST
                if edited.fullmatch(name)
                for value in request.POST.getlist(name)
            ]
            if self._impossible_ids(ids):
                self.message_user(request, BAD_IDS, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)
