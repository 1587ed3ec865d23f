"""Keyset pages, newest first: page 1,000 of a long history costs what page 1 does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    items: list[M]
    older: int | None  # pass as `before` for the next page back in time
    newer: int | None  # pass as `after` for the page nearer now


def keyset_page(
    rows: QuerySet[M], *, before: int | None = None, after: int | None = None, size: int
) -> KeysetPage[M]:
    """One page of `rows` by descending id, starting below `before` or above `after`."""
    if after is not None:
        window = list(rows.filter(id__gt=after).order_by("id")[: size + 1])
        page = list(reversed(window[:size]))
        has_newer = len(window) > size
        has_older = bool(page) and rows.filter(id__lt=page[-1].pk).exists()
    else:
        newest_first = rows.filter(id__lt=before) if before is not None else rows
        window = list(newest_first.order_by("-id")[: size + 1])
        page = window[:size]
        has_older = len(window) > size
        has_newer = before is not None and bool(page) and rows.filter(id__gt=page[0].pk).exists()
    return KeysetPage(
        items=page,
        older=page[-1].pk if page and has_older else None,
        newer=page[0].pk if page and has_newer else None,
    )
