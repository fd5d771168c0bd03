"""The embedded default's SECRET_KEY: random, made once into a local file only its owner reads.

A server without SECRET_KEY never signs with a string anyone can read in the source: the first
process to start writes a fresh key (atomically: other processes starting at the same moment
read the same one), and every later start reads it back.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Strings that have been public (in this repository or in Django's project template).
PUBLIC_KEYS = {"insecure-local-only-key-set-SECRET_KEY-in-production"}
PUBLIC_PREFIX = "django-insecure-"
MIN_LENGTH = 50


def check_not_public(key: str) -> None:
    if key in PUBLIC_KEYS or key.startswith(PUBLIC_PREFIX):
        raise ImproperlyConfigured(
            "SECRET_KEY is a public string: set a random one (python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'), or unset it for a local key"
        )


def local_secret_key(path: Path) -> str:
    """The key stored in `path`, written there first (mode 0600) when the file is missing."""
    if not path.exists():
        _write_once(path)
    key = path.read_text().strip()
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(
            f"{path} holds no usable key (fewer than {MIN_LENGTH} characters): delete it "
            "to make a new one, or set SECRET_KEY"
        )
    check_not_public(key)
    return key


def _write_once(path: Path) -> None:
    """Write a new key to a private temporary file, then hard-link it into place: the link
    fails if another process got there first, and nobody ever reads a half-written key."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(MIN_LENGTH) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    except OSError as error:
        raise ImproperlyConfigured(
            f"SECRET_KEY is unset and the local key file {path} cannot be written ({error}): "
            "set SECRET_KEY or SECRET_KEY_FILE"
        ) from None
