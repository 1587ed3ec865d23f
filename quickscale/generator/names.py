"""Turn the name a person types into the names a project needs."""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass

from quickscale.exceptions import InvalidNameError

NON_IDENTIFIER = re.compile(r"[^0-9A-Za-z]+")

# The title lands inside a Python string literal in settings.py.
FORBIDDEN_TITLE_CHARACTERS = frozenset('"\\')

# Top-level folders of every generated project; a package of the same name would shadow them.
RESERVED_NAMES = frozenset({"quickscale", "tests", "templates", "static", "media", "staticfiles"})


@dataclass(frozen=True)
class ProjectName:
    human: str
    package: str
    title: str


def project_name_derive(raw: str, *, title: str | None = None) -> ProjectName:
    """Derive the Python package name and the display title from a human project name.

    `my-saas-app` becomes the package `my_saas_app` titled "My Saas App".
    """
    human = raw.strip()
    if not human:
        raise InvalidNameError("The project name is empty.")
    # Letters with accents keep their base letter: "Café Über" becomes cafe_uber.
    ascii_name = unicodedata.normalize("NFKD", human).encode("ascii", "ignore").decode()
    package = NON_IDENTIFIER.sub("_", ascii_name).strip("_").lower()
    if not package or not package.isidentifier():
        raise InvalidNameError(
            f"'{human}' cannot become a Python package name: "
            "it must start with a letter and contain letters or digits."
        )
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        raise InvalidNameError(f"'{package}' is a Python keyword and cannot name a package.")
    if package in RESERVED_NAMES:
        raise InvalidNameError(
            f"'{package}' is the name of a folder inside every QuickScale project "
            "and cannot also be its package."
        )
    if _is_importable(package):
        raise InvalidNameError(
            f"'{package}' is the name of an existing Python module; "
            "a project named so would shadow it."
        )
    display = title.strip() if title is not None else _title_from(human)
    if (
        not display
        or any(c in display for c in FORBIDDEN_TITLE_CHARACTERS)
        or not display.isprintable()
    ):
        raise InvalidNameError(
            f"The title {display!r} cannot be used: it must be one printable line "
            "without quotes or backslashes."
        )
    return ProjectName(human=human, package=package, title=display)


def _is_importable(package: str) -> bool:
    if package in sys.stdlib_module_names or package in sys.builtin_module_names:
        return True
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    # A bare folder on sys.path is a namespace package, not a module anyone relies on.
    return spec is not None and spec.origin not in (None, "namespace")


def _title_from(human: str) -> str:
    words = [word for word in re.split(r"[\s_\-.]+", human) if word]
    if any(character.isupper() for character in human):
        return " ".join(words)
    return " ".join(word.capitalize() for word in words)
