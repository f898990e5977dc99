"""Preparing a Temporal client for baas: the caller interceptor and the data converter.

Every client that starts calls, and every client a worker runs on, needs

* :class:`~workflows.identity.CallerInterceptor`, so the caller travels in headers;
* the pydantic-aware data converter, so pydantic models (as well as dataclasses) can
  be function inputs and outputs.

:func:`configure_client` returns a client that has both, sharing the original's
connection; it is cheap and idempotent, so the client API applies it to whatever
client it is handed.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.converter import DataConverter

from workflows.identity import CallerInterceptor

__all__ = ["baas_data_converter", "configure_client"]


def baas_data_converter() -> DataConverter:
    """The converter baas uses: pydantic-aware when pydantic is installed."""
    try:
        from temporalio.contrib.pydantic import pydantic_data_converter
    except ImportError:  # pragma: no cover - pydantic is not installed
        return DataConverter.default
    return pydantic_data_converter


def configure_client(client: Client) -> Client:
    """``client`` with the caller interceptor and baas's converter (the same client if set)."""
    config = client.config()
    interceptors = list(config["interceptors"])
    has_interceptor = any(isinstance(i, CallerInterceptor) for i in interceptors)
    converter = config["data_converter"]
    if has_interceptor and converter is not DataConverter.default:
        return client
    if not has_interceptor:
        interceptors.append(CallerInterceptor())
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
