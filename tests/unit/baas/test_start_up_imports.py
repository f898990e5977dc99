"""Each process imports only its own stack: part of what keeps ``baas dev`` quick to start.

Measured in a fresh interpreter: an API process (``baas serve``) must not load the
Temporal worker, nor Authlib and its HTTP client while no social provider is set up.
"""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import baas.runner
print(json.dumps(sorted(sys.modules)))
"""


def test_the_api_process_does_not_import_the_worker_stack_or_social_login_clients() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    assert "baas.app" in loaded  # the probe did import the API
    unwanted = {"temporalio.worker", "authlib", "httpx2", "pydantic", "baas.worker"}
    assert not unwanted & loaded, f"imported by the API process: {sorted(unwanted & loaded)}"
