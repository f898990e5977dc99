"""Errors of the assembly layer.

    BaasError
    ├── SettingsError     a BAAS_* variable has a value we cannot use
    ├── AppLoadError      BAAS_APP does not name a loadable application
    ├── StartupError      a part of the stack could not start (port taken, binary missing)
    └── RequestBodyError  an HTTP request's body could not be read
        ├── BodyTooLargeError        it is longer than the route's limit (413)
        └── ClientDisconnectedError  the client went away before sending all of it

Each carries a one-line, user-facing message: the CLI prints it as it is and exits
non-zero, without a traceback; the HTTP errors have a stable ``code`` too, and
:mod:`baas.http_errors` answers them.
"""

from __future__ import annotations

__all__ = [
    "AppLoadError",
    "BaasError",
    "BodyTooLargeError",
    "ClientDisconnectedError",
    "RequestBodyError",
    "SettingsError",
    "StartupError",
]


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


class RequestBodyError(BaasError):
    """The body of an HTTP request could not be read."""

    code = "bad_request"


class BodyTooLargeError(RequestBodyError):
    """The body is longer than the route accepts (declared so, or as it arrived)."""

    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body may hold at most {limit} bytes.")
        self.limit = limit


class ClientDisconnectedError(RequestBodyError):
    """The client closed the connection before its body was complete: nobody to answer."""

    code = "client_disconnected"

    def __init__(self) -> None:
        super().__init__("The client disconnected before sending the whole body.")
