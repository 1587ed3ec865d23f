"""Hashing API-key secrets.

A key's secret is 32 random characters from 62 (about 190 bits): nobody can guess it, so a
slow, salted password hash (PBKDF2 costs ~0.2 s of CPU a check) protects nothing more and caps
a server at a few requests a second. One salted SHA-256 is enough for a secret that random.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, check_password, mask_hash
from django.utils.crypto import constant_time_compare


class ApiKeySecretHasher(BasePasswordHasher):
    algorithm = "qs_sha256"

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("A secret and a salt without '$' are required.")
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


HASHER = ApiKeySecretHasher()


def secret_hash(secret: str) -> str:
    return HASHER.encode(secret, HASHER.salt())


def secret_verify(secret: str, encoded: str) -> tuple[bool, bool]:
    """Whether `secret` matches `encoded`, and whether the hash should be upgraded: keys stored
    by a slower hasher of Django's still verify, once, through Django's own check."""
    if encoded.startswith(HASHER.algorithm + "$"):
        return HASHER.verify(secret, encoded), False
    matched = check_password(secret, encoded)
    return matched, matched
