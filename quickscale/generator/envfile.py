"""The `.env` file of a new project: its secrets never pass through the template."""

from __future__ import annotations

import os
import string
from pathlib import Path

from django.utils.crypto import get_random_string

# Letters, digits, '-' and '_' only: nothing that an .env parser could read as a quote,
# a comment or a variable reference.
SECRET_KEY_ALPHABET = string.ascii_letters + string.digits + "-_"
SECRET_KEY_LENGTH = 64

ENV_TEMPLATE = """\
# Settings of this project, read by settings.py. Real environment variables win over this file.
# Keep this file out of version control: it holds the project's secret key.
DEBUG=True
SECRET_KEY={secret_key}
ALLOWED_HOSTS=localhost,127.0.0.1,[::1]
# DATABASE_URL=postgres://postgres@127.0.0.1:5432/{package}
# REDIS_URL=redis://127.0.0.1:6379/0
# EMAIL_URL=smtp+tls://user:password@smtp.example.com:587
"""


def secret_key_generate() -> str:
    return get_random_string(SECRET_KEY_LENGTH, SECRET_KEY_ALPHABET)


def env_file_write(*, project_dir: Path, package: str) -> Path:
    path = project_dir / ".env"
    content = ENV_TEMPLATE.format(secret_key=secret_key_generate(), package=package)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path
