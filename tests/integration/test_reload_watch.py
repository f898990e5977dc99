"""``baas dev`` sees every edit of the app, also after atomic saves.

``sed -i``, an editor's safe-write and ``git checkout`` replace a file by a new one
(``os.replace`` of a temporary file). A watch on the file itself followed the replaced
file, so a single-file app reloaded once and then never again. These tests drive the
supervisor's real watcher (watchfiles on this machine's file-system notifications).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from baas import dev
from baas.config import Settings

_SEEN_WITHIN_SECONDS = 10.0


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _atomic_save(path: Path, text: str) -> None:
    """What an editor's safe-write does: write a temporary file, rename it over."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


async def _edits_seen(settings: Settings, edited: Path, saves: int) -> list[set[str]]:
    folder, recursive = dev._watched(settings)
    changes: asyncio.Queue[set[str]] = asyncio.Queue()
    stop = asyncio.Event()
    watcher = asyncio.create_task(dev._watch(folder, changes, stop, recursive=recursive))
    try:
        await asyncio.sleep(0.5)  # the watch is set up
        seen = []
        for number in range(saves):
            _atomic_save(edited, f"VALUE = {number}\n")
            seen.append(await asyncio.wait_for(changes.get(), _SEEN_WITHIN_SECONDS))
        return seen
    finally:
        stop.set()
        await watcher


async def test_a_single_file_app_reloads_after_each_of_several_atomic_saves(
    project: Path,
) -> None:
    app = project / "app.py"
    app.write_text("VALUE = -1\n")

    seen = await _edits_seen(Settings(app="app:app"), app, saves=3)

    assert all(str(app) in batch for batch in seen), seen


async def test_a_package_app_reloads_after_each_of_several_atomic_saves(project: Path) -> None:
    package = project / "shop"
    (package / "orders").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "orders" / "__init__.py").write_text("")
    module = package / "orders" / "functions.py"
    module.write_text("VALUE = -1\n")

    seen = await _edits_seen(Settings(app="shop:app"), module, saves=3)

    assert all(str(module) in batch for batch in seen), seen


def test_a_single_file_app_is_watched_through_its_folder_not_below_it(project: Path) -> None:
    (project / "app.py").write_text("")
    assert dev._watched(Settings(app="app:app")) == (project, False)
    (project / "shop").mkdir()
    assert dev._watched(Settings(app="shop.api:app")) == (project / "shop", True)
