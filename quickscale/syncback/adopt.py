"""`--adopt`: give a project made by `django-admin startproject --template` a manifest.

The manifest records what the current template renders for the project, so every difference
between the project and the template shows up as the project's change.
"""

from __future__ import annotations

import re
from pathlib import Path

import quickscale
from quickscale.exceptions import SyncBackError
from quickscale.generator.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_PATH,
    manifest_write,
    template_revision,
)
from quickscale.generator.names import project_name_derive
from quickscale.generator.startproject import render_context
from quickscale.generator.templates import CONTEXT_KEYS, TEMPLATE_DIR, template_files
from quickscale.syncback import reverse
from quickscale.syncback.location import project_package
from quickscale.syncback.versions import sha256

SITE_NAME = re.compile(r"""env\.str\("SITE_NAME",\s*default="([^"]*)"\)""")


def project_adopt(*, project_dir: Path, template_dir: Path = TEMPLATE_DIR) -> Path:
    if (project_dir / MANIFEST_PATH).exists():
        raise SyncBackError(
            f"{project_dir} already has a manifest; adopting would forget its base.",
            hint="Run sync-back without --adopt.",
        )
    package = project_package(project_dir)
    if package is None:
        raise SyncBackError(
            f"{project_dir} does not look like a Django project: no manage.py names its settings.",
            hint="Pass the folder that holds manage.py.",
        )
    settings_file = project_dir / package / "settings.py"
    title_match = SITE_NAME.search(settings_file.read_text()) if settings_file.is_file() else None
    title = title_match.group(1) if title_match else project_name_derive(package).title
    context = render_context(package=package, title=title)
    files = {}
    for entry in template_files(package, template_dir):
        source = (template_dir / entry.source).read_bytes()
        generated = (
            reverse.render(source.decode("utf-8"), context).encode("utf-8")
            if entry.rendered
            else source
        )
        files[entry.target] = {
            "source": entry.source,
            "rendered": entry.rendered,
            "sha256": sha256(generated),
        }
    revision = template_revision(template_dir)
    manifest = {
        "format": MANIFEST_FORMAT,
        "quickscale_version": quickscale.__version__,
        "template": {"commit": revision.commit, "dirty": revision.dirty},
        "context": {key: context[key] for key in CONTEXT_KEYS},
        "files": files,
        "adopted": True,
    }
    return manifest_write(project_dir=project_dir, manifest=manifest)
