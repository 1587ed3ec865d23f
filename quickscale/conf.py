"""QuickScale's settings, read lazily with the QUICKSCALE_ prefix so override_settings works."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "SITE_NAME": "QuickScale",
    "DEMO_EMAIL": "demo@example.com",
    # The project template sync-back compares with and writes to; None: the installed one.
    "TEMPLATE_DIR": None,
    "API_PATH_PREFIX": "/api/",
    # Requests per key (or per signed-in user) and window: N/s, N/m, N/h or N/d.
    "API_RATE_LIMIT": "120/m",
    # Failed key authentications per client address and window; past it, 429 until it ends.
    "API_AUTH_FAILURE_RATE_LIMIT": "20/m",
    # The largest request body the API reads, in bytes; larger ones get a JSON 413. It leaves
    # room for the biggest input a shipped service takes in any JSON encoding (100,000
    # characters, escaped as \uXXXX pairs: 1.2 MB), under Django's 2.5 MB for forms.
    "API_MAX_BODY_SIZE": 2 * 1024 * 1024,
    # Modules whose services register themselves; a package's submodules are imported too.
    "SERVICE_MODULES": ["quickscale.apps.services.examples"],
    # Seconds a service run may take, unless the service sets its own `timeout`. A run still
    # going at its deadline is failed and refunded, and its result, if one comes, is discarded.
    "SERVICE_TIMEOUT": 30,
    # How the project is served, for the database connection check (quickscale.W022): app
    # servers (replicas), worker processes on each, threads in each worker. The generated
    # settings read them from WEB_SERVERS, WEB_CONCURRENCY and GUNICORN_THREADS.
    "WEB_SERVERS": 1,
    "WEB_WORKERS": 2 * (os.cpu_count() or 1) + 1,
    "WEB_THREADS": 4,
    # Days an invitation to an organization can be accepted; sending it again starts anew.
    "INVITATION_DAYS": 7,
    # Invitation e-mails (new ones and ones sent again) an organization may send in any hour.
    # Counted in the database, so every server shares the count.
    "INVITATIONS_PER_HOUR": 20,
    # Free credits a brand-new organization gets once (0: none).
    "TRIAL_CREDITS": 0,
    # `migrate` creates a fresh app whose migrations only change the schema at once, from their
    # final state (quickscale/migrate_fast.py). The QUICKSCALE_MIGRATE_FAST environment variable
    # wins over this; `migrate --no-fast` turns it off for one run.
    "MIGRATE_FAST": True,
}


class QuickscaleSettings:
    prefix = "QUICKSCALE_"

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown QuickScale setting: {name}")
        return getattr(settings, self.prefix + name, DEFAULTS[name])


app_settings = QuickscaleSettings()
