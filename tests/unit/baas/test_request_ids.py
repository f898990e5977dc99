"""Request ids: unique, and well-formed by the rule that incoming ids are checked with."""

from __future__ import annotations

import re
import subprocess
import sys

from baas.request_ids import _VALID_ID, new_request_id


def test_ids_are_unique_and_well_formed() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
    # An id we made, sent back by a client or a proxy, is kept as it is.
    assert all(_VALID_ID.match(request_id.encode()) for request_id in ids[:10])


def test_ids_of_two_processes_differ() -> None:
    script = "from baas.request_ids import new_request_id; print(new_request_id())"
    first, second = (
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    )
    assert first != second
