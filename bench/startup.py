"""Start-up time: `baas dev` to its first 200 on /healthz, beside Temporal's own start.

Both are measured the same way in the same run, five times each, each on fresh ports
and a fresh data directory: the clock starts at launch and stops at the first healthy
answer (HTTP 200 on /healthz for baas; SERVING on Temporal's gRPC health check for the
bare dev server, started with the very flags baas uses). Prints the medians.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from baas.ports import free_port
from baas.temporal_dev import EmbeddedTemporal

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT if process.args[-1] == "dev" else signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_baas_dev(data_dir: Path) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        BAAS_APP="examples.board:app",
        BAAS_DATA_DIR=str(data_dir),
        BAAS_PORT=str(port),
        BAAS_TEMPORAL_PORT=str(free_port()),
        BAAS_TEMPORAL_UI_PORT=str(free_port()),
        BAAS_LOG_LEVEL="WARNING",
    )
    baas = Path(sys.executable).parent / "baas"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(baas), "dev"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=2) as client:
            while True:
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError("baas dev exited during the benchmark")
                time.sleep(0.01)
    finally:
        stop(process)


async def _temporal_serving(address: str) -> bool:
    try:
        client = await Client.connect(address, lazy=True)
        return await client.service_client.check_health(timeout=timedelta(seconds=2))
    except RuntimeError:
        return False


def time_temporal_alone(data_dir: Path) -> float:
    server = EmbeddedTemporal(
        host="127.0.0.1",
        port=free_port(),
        ui_port=free_port(),
        db_path=data_dir / "temporal.sqlite3",
        log_path=data_dir / "temporal.log",
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        server.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not asyncio.run(_temporal_serving(server.address)):
            if process.poll() is not None:
                raise RuntimeError("temporal exited during the benchmark")
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        stop(process)


def main() -> None:
    baas_times: list[float] = []
    temporal_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            # Alternate the order so neither side always gets a warm page cache.
            pair = [("temporal", time_temporal_alone), ("baas", time_baas_dev)]
            for name, measure in pair if run % 2 == 0 else reversed(pair):
                elapsed = measure(Path(tmp) / f"{name}-{run}")
                (baas_times if name == "baas" else temporal_times).append(elapsed)
    baas_median = statistics.median(baas_times)
    temporal_median = statistics.median(temporal_times)
    print(f"startup, median of {RUNS} runs (launch -> first healthy answer)")
    print(f"  temporal dev server alone : {temporal_median:6.2f} s   runs: {_fmt(temporal_times)}")
    print(f"  baas dev (/healthz 200)   : {baas_median:6.2f} s   runs: {_fmt(baas_times)}")
    print(f"  baas adds                 : {baas_median - temporal_median:+6.2f} s   (goal: < 1 s)")


def _fmt(times: list[float]) -> str:
    return " ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # the Temporal SDK can crash at interpreter exit (FACTS.md)
