"""The pages of the project a person can open: URL patterns that take no arguments."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

HIDDEN_PREFIXES = ("admin/", "api/", "__reload__/", "static/", "media/")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if "<" in route or route.startswith("^"):
            continue
        path = prefix + route
        if path.startswith(HIDDEN_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            found.extend(_walk(pattern.url_patterns, path))
        elif pattern.name:
            found.append(("/" + path, pattern.name))
    return found


def project_pages() -> list[tuple[str, str]]:
    """(path, URL name) of every page without arguments, in URLconf order."""
    return _walk(get_resolver().url_patterns, "")
