"""Errors that vaekit raises for problems the user can fix.

Every message is one line that names the problem (file, key, value) and, where useful,
what to do. The command line prints such an error without a traceback and exits with
code 2; any other exception is an internal error (exit code 1).
"""

from __future__ import annotations


class VaekitError(Exception):
    """Base class: a problem with the user's input, files or settings."""


class ConfigError(VaekitError, ValueError):
    """Unknown key, wrong type or out-of-range value in a configuration."""


class DataError(VaekitError, ValueError):
    """A data file is missing, malformed, corrupted, or holds values a model cannot use."""


class CheckpointError(VaekitError, ValueError):
    """A run directory is missing files, has an unknown format, or does not match its config."""


class TrainingError(VaekitError, RuntimeError):
    """Training had to stop (e.g. a non-finite loss); the message says how to go on."""


def one_line(exc: BaseException) -> str:
    """An exception as `Type: text` on one line (library messages may hold newlines)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
