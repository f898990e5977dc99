"""Every shell and Python snippet of README.md and docs/*.md runs, as a reader would run it.

One test per markdown file: a fresh ``baas dev`` of the example app (its own folder,
data dir and ports, a real Temporal dev server) and then the file's snippets in order
(see tests/doc_snippets.py for what counts as one and how a snippet is marked
``not run``). The shell snippets of a file share one shell's state: a variable or
function one defines (``API=...``, ``TOKEN=$(...)``) and the folder it ``cd``-ed to
carry over to the next, as in the terminal of someone following the guide. They run
under ``set -euo pipefail`` with ``curl`` failing on an HTTP error status
(``--fail-with-body``) and on a GraphQL answer with ``errors``, so a wrong path, body,
query or token fails the test with the file, the line and the output. The docs' addresses (``127.0.0.1:8000``, Temporal's
``127.0.0.1:7233`` and ``8233``) are rewritten to the test server's ports; the folder
holds ``.env`` (the app, those ports, cheaper password hashing) and ``.venv`` (this checkout's), so ``baas``
commands and ``.baas/outbox`` are where the docs say.

Snippets marked ``not run`` are listed at the end of the session; Python ones are
still compiled, so a fragment cannot drift into a syntax error.
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from baas.ports import free_port
from tests.doc_snippets import NOT_RUN, ROOT, Snippet, doc_files, snippets

VENV_BIN = Path(sys.executable).parent
SNIPPET_TIMEOUT = 90.0

# Saves the shell's state (variables and functions the snippets defined, the folder)
# on exit, whether the snippet succeeded or not; loaded before the next snippet.
_SHELL_PRELUDE = r"""
__baseline=" $(compgen -v | tr '\n' ' ') "
__save_state() {
  local rc=$? v
  pwd > "$__STATE/cwd"
  {
    for v in $(compgen -v); do
      case "$__baseline" in *" $v "*) continue ;; esac
      case "$v" in __*|BASH_*|FUNCNAME|PIPESTATUS|rc|v) continue ;; esac
      declare -p "$v" 2>/dev/null || true
    done
    declare -f
  } > "$__STATE/state.sh"
  exit $rc
}
trap __save_state EXIT
source "$__STATE/state.sh"
cd "$(cat "$__STATE/cwd")"
curl() {  # an HTTP error status, or a GraphQL answer with errors, fails the snippet
  local out status=0
  out=$(command curl --fail-with-body --show-error --max-time 30 "$@") || status=$?
  printf '%s\n' "$out"
  if [[ $status == 0 && " $* " == */graphql[\ ?]* && $out =~ \"errors\"\ *: ]]; then
    echo "(curl: the GraphQL answer has errors)" >&2
    return 22
  fi
  return $status
}
set -euo pipefail
"""


@dataclass
class DevServer:
    """A running ``baas dev`` of the example app in a folder of its own."""

    folder: Path
    env: dict[str, str]
    ports: dict[str, int]
    log: Path

    def localize(self, code: str) -> str:
        """The docs' default addresses, pointed at this server's ports."""
        for default, name in (
            ("127.0.0.1:8000", "BAAS_PORT"),
            ("127.0.0.1:7233", "BAAS_TEMPORAL_PORT"),
            ("127.0.0.1:8233", "BAAS_TEMPORAL_UI_PORT"),
        ):
            code = code.replace(default, f"127.0.0.1:{self.ports[name]}")
        return code

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _snippet_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)  # the example app, as `make run` finds it
    env.pop("VIRTUAL_ENV", None)
    return env


@contextlib.contextmanager
def _dev_server(folder: Path) -> Iterator[DevServer]:
    ports = {
        name: free_port() for name in ("BAAS_PORT", "BAAS_TEMPORAL_PORT", "BAAS_TEMPORAL_UI_PORT")
    }
    folder.mkdir()
    settings = {
        "BAAS_APP": "examples.board:app",
        **{name: str(port) for name, port in ports.items()},
        # Cheaper password hashing: the guides sign in a dozen times.
        "BAAS_ARGON2_TIME_COST": "1",
        "BAAS_ARGON2_MEMORY_KIB": "8192",
    }
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    (folder / ".venv").symlink_to(VENV_BIN.parent)
    env = _snippet_env()
    log = folder.parent / f"{folder.name}-dev.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "baas"), "dev"], cwd=folder, env=env, stdout=out, stderr=out
        )
    server = DevServer(folder=folder, env=env, ports=ports, log=log)
    try:
        _wait_healthy(server, process)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _wait_healthy(server: DevServer, process: subprocess.Popen[bytes]) -> None:
    url = f"http://127.0.0.1:{server.ports['BAAS_PORT']}/healthz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"baas dev never became healthy:\n{server.log_tail()}")


def _run(snippet: Snippet, server: DevServer, state: Path) -> tuple[int, str]:
    code = server.localize(snippet.code)
    cwd = Path((state / "cwd").read_text().strip())
    script = state / f"snippet-{snippet.line}.sh"
    if snippet.language == "sh":
        script.write_text(_SHELL_PRELUDE + code)
    else:  # in the same shell, so that what the shell snippets exported reaches it
        program = state / f"snippet-{snippet.line}.py"
        program.write_text(code)
        script.write_text(f"{_SHELL_PRELUDE}python {program}\n")
    try:
        done = subprocess.run(
            ["bash", str(script)],
            cwd=cwd,
            env={**server.env, "__STATE": str(state)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=SNIPPET_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        output = timeout.output or ""
        return -1, f"{output}\n(still running after {SNIPPET_TIMEOUT:.0f} s)"
    return done.returncode, done.stdout


def _check_fragment(snippet: Snippet) -> None:
    if snippet.language == "python":
        try:
            # Excerpts may await at the top level, as in `python -m asyncio`.
            compile(snippet.code, snippet.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError as error:
            pytest.fail(f"{snippet.where} (not run) does not compile: {error}")


@pytest.mark.slow
@pytest.mark.parametrize("doc", doc_files(), ids=lambda path: path.name)
def test_doc_snippets_run(doc: Path, tmp_path: Path) -> None:
    found = snippets(doc)
    for snippet in found:
        if snippet.not_run is not None:
            NOT_RUN.append(snippet)
            _check_fragment(snippet)
    runnable = [snippet for snippet in found if snippet.not_run is None]
    if not runnable:
        return
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    assert not missing, f"the docs' snippets need {', '.join(missing)} on PATH"
    state = tmp_path / "shell"
    state.mkdir()
    (state / "state.sh").write_text("")
    with _dev_server(tmp_path / "project") as server:
        (state / "cwd").write_text(str(server.folder))
        for snippet in runnable:
            status, output = _run(snippet, server, state)
            if status != 0:
                pytest.fail(
                    f"{snippet.where}: the {snippet.language} snippet failed (exit {status})\n"
                    f"--- snippet\n{textwrap.indent(snippet.code, '  ')}"
                    f"--- output\n{textwrap.indent(output, '  ')}\n"
                    f"--- baas dev's log (last lines)\n{textwrap.indent(server.log_tail(), '  ')}",
                    pytrace=False,
                )
