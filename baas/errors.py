"""Errors of the assembly layer.

    BaasError
    ├── SettingsError     a BAAS_* variable has a value we cannot use
    ├── AppLoadError      BAAS_APP does not name a loadable application
    └── StartupError      a part of the stack could not start (port taken, binary missing)

Each carries a one-line, user-facing message: the CLI prints it as it is and exits
non-zero, without a traceback.
"""

from __future__ import annotations

__all__ = ["AppLoadError", "BaasError", "SettingsError", "StartupError"]


class BaasError(Exception):
    """Root of the errors raised by the assembly layer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SettingsError(BaasError):
    """A setting has an invalid value; the message names the environment variable."""


class AppLoadError(BaasError):
    """The application named by BAAS_APP cannot be imported or is not an App."""


class StartupError(BaasError):
    """Something the stack needs is unavailable, e.g. a port is already in use."""
