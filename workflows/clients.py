"""Preparing a Temporal client for baas: the caller interceptor and the data converter.

Every client that starts calls, and every client a worker runs on, needs

* :class:`~workflows.identity.CallerInterceptor` with the deployment's caller key, so
  the caller travels in headers, signed;
* the pydantic-aware data converter, so pydantic models (as well as dataclasses) can
  be function inputs and outputs.

:func:`configure_client` returns a client that has both, sharing the original's
connection; it is cheap and idempotent, so the client API applies it to whatever
client it is handed. The key must come from somewhere: a client made without one is
refused (``UnsignedClientError``) rather than starting calls nobody can verify.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.converter import DataConverter

from workflows.caller_signatures import CallerSigner
from workflows.errors import UnsignedClientError
from workflows.identity import CallerInterceptor, signer_of

__all__ = ["baas_data_converter", "configure_client"]


def baas_data_converter() -> DataConverter:
    """The converter baas uses: pydantic-aware when pydantic is installed."""
    try:
        from temporalio.contrib.pydantic import pydantic_data_converter
    except ImportError:  # pragma: no cover - pydantic is not installed
        return DataConverter.default
    return pydantic_data_converter


def configure_client(client: Client, signer: CallerSigner | None = None) -> Client:
    """``client`` with a caller interceptor and baas's converter (the same client if set).

    ``signer`` replaces the client's caller key when it differs; without one the client
    must already have a :class:`CallerInterceptor`.
    """
    config = client.config()
    current = signer_of(client)
    if signer is None:
        if current is None:
            raise UnsignedClientError()
        signer = current
    resign = current is None or not current.same_keys(signer)
    converter = config["data_converter"]
    if not resign and converter is not DataConverter.default:
        return client
    interceptors = list(config["interceptors"])
    if resign:
        interceptors = [i for i in interceptors if not isinstance(i, CallerInterceptor)]
        interceptors.append(CallerInterceptor(signer))
    if converter is DataConverter.default:
        # Only the SDK default is replaced; a converter someone chose (a codec, say) stays.
        converter = baas_data_converter()
    return Client(
        config["service_client"],
        namespace=config["namespace"],
        data_converter=converter,
        interceptors=interceptors,
        default_workflow_query_reject_condition=config["default_workflow_query_reject_condition"],
        header_codec_behavior=config["header_codec_behavior"],
    )
