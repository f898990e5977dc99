"""``baas keys rotate-secret-key``: every stored secret re-sealed under a new secret key.

Two ways, by where the key comes from (docs/auth.md, "Rotating the secret key"):

- ``BAAS_SECRET_KEY`` (or ``BAAS_SECRET_KEY_FILE``) lists the new key first and the
  current one after it: every value sealed under a former key is sealed again under the
  first. The operator then drops the former key from the setting.
- The dev key file holding one key: the command makes the new key itself. It writes the
  file with both keys first (a crash in between leaves a file that opens everything),
  re-seals, then leaves the new key alone in the file.

Either way the store is compacted after, so no copy under the former key stays on
disk, and processes started with the former key alone must be restarted.
"""

from __future__ import annotations

import sys
from typing import TextIO

from auth.sealed_store import reseal_store
from auth.secret_keys import SecretKeys
from baas.cli_store import open_sealed_store
from baas.config import Settings
from baas.secret_key import load_secret_key, write_key_file

__all__ = ["rotate_secret_key"]


async def rotate_secret_key(settings: Settings, *, out: TextIO | None = None) -> int:
    """Re-seal under the current (or, for the dev key file, a new) key; the exit code."""
    out = out or sys.stdout
    loaded = load_secret_key(settings)
    if len(loaded.keys.ids) > 1:
        count = await _reseal(settings)
        out.write(
            f"re-sealed {count} secrets under key {loaded.keys.current_id}; remove the former "
            f"keys from {loaded.source} and restart every process with it\n"
        )
        return 0
    if loaded.dev_file and loaded.path is not None:
        current = loaded.path.read_text(encoding="ascii").strip()
        new = SecretKeys.generate()
        write_key_file(loaded.path, f"{new}\n{current}\n")
        count = await _reseal(settings)
        write_key_file(loaded.path, f"{new}\n")
        new_id = SecretKeys.parse(new).current_id
        out.write(
            f"re-sealed {count} secrets under the new key {new_id} in {loaded.path}; "
            "restart baas dev\n"
        )
        return 0
    print(  # noqa: T201 (the CLI's own output)
        f"baas keys: {loaded.source} holds one key. Put the new key first and the current "
        "one after it (BAAS_SECRET_KEY=new,current), restart the processes with it, then "
        "run this again (docs/auth.md, 'Rotating the secret key')",
        file=sys.stderr,
    )
    return 1


async def _reseal(settings: Settings) -> int:
    async with open_sealed_store(settings) as (store, loaded):
        return await reseal_store(store, loaded.keys)
