"""``baas dev``'s first second: start Temporal before the heavy imports.

The embedded Temporal server needs ~0.2 s to boot and importing the worker and web
stacks takes ~0.8 s, so we launch the child process first and import while it boots.
This module therefore imports only light modules; everything heavy comes after the
launch (the one deliberate local import in the package, for start-up time).
"""

from __future__ import annotations

from baas.config import Settings
from baas.ports import require_free_ports
from baas.temporal_dev import EmbeddedTemporal

__all__ = ["run_dev_fast"]


async def run_dev_fast(settings: Settings) -> int:
    """Check ports, launch the embedded Temporal (unless configured), then run the stack."""
    ports = [(settings.host, settings.port, "BAAS_PORT")]
    temporal: EmbeddedTemporal | None = None
    if settings.temporal_address is None:
        ports += [
            ("127.0.0.1", settings.temporal_port, "BAAS_TEMPORAL_PORT"),
            ("127.0.0.1", settings.temporal_ui_port, "BAAS_TEMPORAL_UI_PORT"),
        ]
        temporal = EmbeddedTemporal(
            host="127.0.0.1",
            port=settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            db_path=settings.temporal_db_path,
            log_path=settings.data_dir / "temporal.log",
        )
    require_free_ports(ports)
    if temporal is not None:
        await temporal.launch()
    try:
        from baas.runner import run_dev  # overlaps Temporal's boot, see above

        return await run_dev(settings, temporal)
    finally:
        if temporal is not None:
            await temporal.stop()
