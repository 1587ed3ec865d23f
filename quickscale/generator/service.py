"""`quickscale generate-service NAME`: scaffold a paid service, and its test, in a project."""

from __future__ import annotations

import builtins
import contextlib
import json
import keyword
import os
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from quickscale.exceptions import (
    InvalidNameError,
    QuickscaleError,
    TargetExistsError,
    TargetNotWritableError,
)
from quickscale.generator.manifest import MANIFEST_PATH

SERVICE_NAME = re.compile(r"\A[a-z][a-z0-9_]*\Z")
# Keeps every generated line within the 100 columns the project's formatter allows.
MAX_NAME_LENGTH = 32
SERVICES_PACKAGE = "ai_services"
# Names the generated modules import or Python defines: a class must not hide them.
TAKEN_CLASS_NAMES = frozenset({"Any", "BaseService"}) | frozenset(dir(builtins))
NOT_A_PROJECT_HINT = (
    "Run it in the folder of a project made by `quickscale init` "
    "(the one that holds manage.py and .quickscale/manifest.json), or in a folder inside it."
)

MODULE_TEMPLATE = Template('''\
"""The $name service: say here what it does."""

from typing import Any

from quickscale.apps.services.base import BaseService
from quickscale.apps.services.registry import register

MAX_TEXT = 10_000  # characters


@register
class $class_name(BaseService):
    name = "$name"
    # Listed by the API (GET /api/v1/services) and in its OpenAPI document.
    description = "Counts the words of a text."
    # Credits charged before run(); override cost_for(data) to price by the input.
    cost = 1
    # Seconds a run may take; a later result is discarded and the credits refunded.
    # None: QUICKSCALE_SERVICE_TIMEOUT (SERVICE_TIMEOUT in .env, 30 by default).
    timeout = None
    # The JSON object a call sends: string, integer, number and boolean properties.
    input_schema = {
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}},
        "required": ["text"],
    }

    def run(self, data: dict[str, Any]) -> dict[str, Any]:
        # The service's work. An exception raised here refunds the call's credits.
        return {"words": len(data["text"].split())}
''')

TEST_TEMPLATE = Template('''\
"""Tests of the $name service.

Run them with: python manage.py test tests.test_service_$name
"""

import json

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from quickscale.apps.credits.selectors import credit_balance_get
from quickscale.apps.credits.services import credits_grant
from quickscale.apps.keys.services import api_key_create
from quickscale.apps.orgs.services import organization_personal_ensure
from quickscale.apps.services.registry import registry

NAME = "$name"
CREDITS = 10


class ${class_name}Tests(TestCase):
    def setUp(self):
        # Registered when the project starts, from settings.QUICKSCALE_SERVICE_MODULES.
        self.service = registry.get(NAME)
        self.assertIsNotNone(self.service, f"No service named {NAME!r} is registered.")
        self.user = get_user_model().objects.create_user(email="customer@example.com")
        self.organization = organization_personal_ensure(user=self.user)
        credits_grant(
            organization=self.organization, amount=CREDITS, kind="payg", idempotency_key="test"
        )
        self.token = api_key_create(
            organization=self.organization, user=self.user, name="test"
        ).token

    def call(self, data):
        return self.client.post(
            reverse("api_run", args=[NAME]),
            json.dumps(data),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def balance(self):
        return credit_balance_get(organization=self.organization).total

    def test_run_returns_the_result(self):
        self.assertEqual(self.service.run({"text": "one two three"}), {"words": 3})

    def test_the_api_runs_the_service_and_charges_its_cost(self):
        response = self.call({"text": "one two three"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["result"], {"words": 3})
        self.assertEqual(self.balance(), CREDITS - self.service.cost)

    def test_the_api_refuses_input_that_does_not_fit_the_schema_and_charges_nothing(self):
        response = self.call({"words": "one two three"})
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(self.balance(), CREDITS)
''')


@dataclass(frozen=True)
class ServiceScaffold:
    name: str
    class_name: str
    project_dir: Path
    module: Path
    test: Path


def project_find(start: Path) -> tuple[Path, str]:
    """The project that holds `start` (the folder with manage.py and the manifest), and its
    Python package."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "manage.py").is_file() and (folder / MANIFEST_PATH).is_file():
            try:
                manifest = json.loads((folder / MANIFEST_PATH).read_text(encoding="utf-8"))
                package = manifest["context"]["project_name"]
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise QuickscaleError(
                    f"{folder / MANIFEST_PATH} cannot be read: {error}.",
                    hint="Restore it from version control.",
                ) from error
            if not isinstance(package, str) or not package.isidentifier():
                raise QuickscaleError(
                    f"{folder / MANIFEST_PATH} names no project package.",
                    hint="Restore it from version control.",
                )
            return folder, package
    raise QuickscaleError(f"{start} is not inside a QuickScale project.", hint=NOT_A_PROJECT_HINT)


def service_name_check(name: str) -> str:
    if not SERVICE_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{name!r} cannot name a service.",
            hint=(
                f"Use up to {MAX_NAME_LENGTH} lowercase letters, digits and '_', "
                "starting with a letter, e.g. word_count."
            ),
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise InvalidNameError(
            f"{name!r} is a Python keyword and cannot name a module.",
            hint="Choose another name, e.g. word_count.",
        )
    # Importing the examples registers them; the project's own services are files, checked later.
    import quickscale.apps.services.examples  # noqa: F401
    from quickscale.apps.services.registry import registry

    if registry.get(name) is not None:
        raise InvalidNameError(
            f"QuickScale already ships a service named {name!r}.",
            hint="Choose another name; two services cannot share one.",
        )
    return name


def _class_name(name: str) -> str:
    class_name = "".join(part.capitalize() for part in name.split("_"))
    return f"{class_name}Service" if class_name in TAKEN_CLASS_NAMES else class_name


def service_generate(*, name: str, start: Path) -> ServiceScaffold:
    """Write `<package>/ai_services/<name>.py` and `tests/test_service_<name>.py`, or nothing."""
    name = service_name_check(name)
    project_dir, package = project_find(start)
    services_dir = project_dir / package / SERVICES_PACKAGE
    if not (services_dir / "__init__.py").is_file():
        raise QuickscaleError(
            f"This project has no {package}/{SERVICES_PACKAGE} package for its services.",
            hint=(
                f"Create {package}/{SERVICES_PACKAGE}/__init__.py and add "
                f'"{package}.{SERVICES_PACKAGE}" to QUICKSCALE_SERVICE_MODULES in settings.py.'
            ),
        )
    tests_dir = project_dir / "tests"
    if not (tests_dir / "__init__.py").is_file():
        raise QuickscaleError(
            "This project has no tests package for the service's test.",
            hint="Create tests/__init__.py beside manage.py.",
        )
    class_name = _class_name(name)
    scaffold = ServiceScaffold(
        name=name,
        class_name=class_name,
        project_dir=project_dir,
        module=services_dir / f"{name}.py",
        test=tests_dir / f"test_service_{name}.py",
    )
    for path in (scaffold.module, scaffold.test):
        if path.exists() or path.is_symlink():
            raise TargetExistsError(
                f"{path.relative_to(project_dir)} already exists; nothing was written.",
                hint="Choose another name, or remove the file.",
            )
    context = {"name": name, "class_name": class_name}
    written: list[Path] = []
    for target, template in ((scaffold.module, MODULE_TEMPLATE), (scaffold.test, TEST_TEMPLATE)):
        try:
            _write_new(target, template.substitute(context))
        except OSError as error:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise TargetNotWritableError(
                f"Cannot write {target.relative_to(project_dir)}: {error.strerror or error}; "
                "nothing was left behind.",
                hint="Check the folder's permissions and free space, then run the command again.",
            ) from error
        written.append(target)
    return scaffold


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
