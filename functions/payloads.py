"""The size limit on function inputs and results.

Temporal refuses payloads above 2 MB and gRPC messages above 4 MB, and large payloads
bloat every workflow history that carries them. baas refuses anything above
:data:`DEFAULT_MAX_PAYLOAD_BYTES` (1 MB, measured on the encoded payload) *before* it
reaches Temporal, with an error that says what to do instead: store the data in a
table and pass its key.
"""

from __future__ import annotations

from temporalio.api.common.v1 import Payload

from functions.errors import PayloadTooLargeError

__all__ = ["DEFAULT_MAX_PAYLOAD_BYTES", "check_payload_size"]

DEFAULT_MAX_PAYLOAD_BYTES = 1_000_000


def check_payload_size(payload: Payload, limit: int, what: str) -> None:
    """Raise :class:`PayloadTooLargeError` when ``payload`` is above ``limit`` bytes."""
    size = payload.ByteSize()
    if size > limit:
        raise PayloadTooLargeError(
            f"{what} is {size} bytes encoded, above the limit of {limit} bytes; "
            "store large data in a table and pass its key instead"
        )
