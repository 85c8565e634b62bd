"""The exception hierarchy. Every error a user can cause is a WorkbenchError with a clear message."""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem the user can fix; the CLI prints the message (no traceback) and exits non-zero."""

    exit_code = 1


class ConfigError(WorkbenchError):
    """Bad or contradictory configuration (pyproject.toml, environment variables)."""

    exit_code = 2


class DataError(WorkbenchError):
    """A dataset could not be read or written; the message names the URI (never a password)."""


class ArtifactError(WorkbenchError):
    """A step artifact is missing, unreadable, or fails its recorded sha256."""


class IntegrityError(WorkbenchError):
    """A file's content does not match the sha256 recorded for it."""
