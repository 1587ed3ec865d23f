"""QuickScale's reusable Django apps; this module also holds the AppConfig of `quickscale` itself.

A module `quickscale/apps.py` cannot sit beside this package, and Django looks for the
AppConfig of the `quickscale` entry in INSTALLED_APPS here, in `quickscale.apps`.
"""

from __future__ import annotations

from django.apps import AppConfig


class QuickscaleConfig(AppConfig):
    name = "quickscale"
    label = "quickscale"
    verbose_name = "QuickScale"

    def ready(self) -> None:
        from quickscale import checks  # noqa: F401  (registers the system checks)
