"""Search in QuickScale's admin pages, refusing terms too long for the database."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

# Longer than any e-mail address (254), key or idempotency key (255) the pages search. SQLite
# refuses LIKE patterns over 50,000 bytes, so a pasted page of text would be a 500.
SEARCH_MAX_LENGTH = 256


class BoundedSearchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A search longer than SEARCH_MAX_LENGTH finds nothing and says why, instead of reaching
    the database. (A NUL character never gets here: the admin's search form refuses it.)"""

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
