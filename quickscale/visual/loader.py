"""The template loader that adds the source map, in development only.

Install it (settings.py does, when DEBUG is on) in place of the filesystem loader, so that only
the project's own templates are marked; templates of installed packages are not the project's
to edit. With DEBUG off it returns templates unchanged, and settings.py does not install it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.template.base import Origin
from django.template.loaders.filesystem import Loader as FilesystemLoader

from quickscale.visual.sourcemap import annotate


class SourceMapLoader(FilesystemLoader):
    def get_contents(self, origin: Origin) -> str:
        contents: str = super().get_contents(origin)
        if not settings.DEBUG or not str(origin.name).endswith((".html", ".htm")):
            return contents
        return annotate(contents, str(origin.template_name))


@receiver(setting_changed)
def _forget_marked_templates(setting: str, **kwargs: Any) -> None:
    # The cached loader keeps templates as first loaded; turning DEBUG on or off must reload.
    if setting != "DEBUG":
        return
    for engine in engines.all():
        for loader in getattr(getattr(engine, "engine", None), "template_loaders", []):
            reset = getattr(loader, "reset", None)
            if reset is not None:
                reset()
