"""The data folder (``BAAS_DATA_DIR``) belongs to the user baas runs as, and only to it.

It holds the store (accounts, password hashes, sealed secrets), the dev key file, the
dev Temporal database, the dev outbox (mails with sign-in codes) and logs: readable by
another local user, any of these is an account takeover (threat: a shared machine, a
folder copied with loose permissions). So the folder is created with mode 0700 and its
files end up 0600 (folders 0700):

- :func:`prepare_data_folder`, at every start, creates the folder or tightens what it
  finds looser (the group's and others' bits cleared), and says so in one log line;
- :data:`PRIVATE_UMASK` is the umask the ``baas`` command runs with, so every file it
  or its children (the Temporal dev server included) create later is private too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "prepare_data_folder"]

PRIVATE_UMASK = 0o077
_log = logging.getLogger("baas")


def prepare_data_folder(path: Path) -> None:
    """Create ``path`` (0700) or make it and everything in it private to the owner."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    tightened = 0
    for entry in (path, *path.rglob("*")):
        try:
            status = entry.lstat()
        except FileNotFoundError:
            continue  # removed meanwhile (a checkpoint's temporary file, say)
        if stat.S_ISLNK(status.st_mode):
            continue  # the target is not ours to change
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            os.chmod(entry, mode & 0o700)
            tightened += 1
    if tightened:
        _log.warning(
            "tightened the modes of %d entries in %s: they were open to other users "
            "(now files 0600, folders 0700)",
            tightened,
            path,
        )
