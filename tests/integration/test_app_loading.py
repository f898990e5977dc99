"""Loading an app from the command line: what a user sees when something is off.

Real ``baas`` subprocesses in a project folder of the test's own, as a user runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import free_port

BAAS = Path(sys.executable).parent / "baas"

# A project laid out like Temporal's samples: its own top-level workflows.py.
_SAMPLES_LAYOUT = {
    "app.py": """
from baas import App
from workflows import GreetingWorkflow

app = App("greetings")
app.workflow(GreetingWorkflow)
""",
    "workflows.py": """
from temporalio import workflow


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"Hello, {name}!"
""",
}

# A workflow calling a function the App does not register.
_UNREGISTERED = {
    "notes/__init__.py": """
from baas import App
from notes.functions import mail_note, save_note
from notes.workflows import NoteWorkflow

app = App("notes")
app.function(save_note)
app.workflow(NoteWorkflow)
""",
    "notes/functions.py": """
from dataclasses import dataclass

from baas import Context, function


@dataclass(frozen=True)
class Note:
    text: str


@function(timeout=5)
async def save_note(ctx: Context, inp: Note) -> Note:
    return inp


@function(timeout=5)
async def mail_note(ctx: Context, inp: Note) -> Note:
    return inp
""",
    "notes/workflows.py": """
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baas import call
    from notes.functions import Note, mail_note, save_note


@workflow.defn
class NoteWorkflow:
    @workflow.run
    async def run(self, inp: Note) -> Note:
        saved = await call(save_note, inp)
        await call(mail_note, inp)
        return saved
""",
}


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip())
    return root


def _env(project: Path, app: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        BAAS_APP=app,
        BAAS_DATA_DIR=str(project / ".baas"),
        BAAS_PORT=str(free_port()),
        BAAS_TEMPORAL_PORT=str(free_port()),
        BAAS_TEMPORAL_UI_PORT=str(free_port()),
    )
    return env


def _run(project: Path, app: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BAAS), *args],
        cwd=project,
        env=_env(project, app),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_SHADOWED = (
    "baas: BAAS_APP: ./workflows.py shadows baas's package 'workflows' (Python would "
    "import one for the other); keep your modules in a package of your own, e.g. "
    "myapp/workflows.py (`baas new myapp` lays one out), or rename the file"
)


def test_a_project_with_its_own_workflows_py_gets_one_line_naming_file_and_package(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, _SAMPLES_LAYOUT)

    for command in ("serve", "worker", "dev"):
        ran = _run(project, "app:app", command)
        assert ran.returncode == 1, (command, ran.stderr)
        assert ran.stderr.splitlines() == [_SHADOWED], command
    # baas dev said so before starting anything: Temporal never ran.
    assert not (project / ".baas" / "temporal.log").exists()


def test_dev_names_a_missing_app_module_before_starting_temporal(tmp_path: Path) -> None:
    ran = _run(tmp_path, "nosuch:app", "dev")

    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [
        (
            f"baas: BAAS_APP: no module 'nosuch' in {tmp_path} (neither nosuch.py nor nosuch/) "
            "nor installed; run the command from your project's folder, or fix BAAS_APP"
        )
    ]
    assert not (tmp_path / ".baas" / "temporal.log").exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "app = 3\n",
            "baas: BAAS_APP: 'broken:app' is not a baas App: 'app' in {file} is of type int",
        ),
        (
            "from baas import App\nimport nosuchmodule\napp = App('x')\n",
            "baas: BAAS_APP: cannot import module 'broken': No module named 'nosuchmodule'",
        ),
    ],
    ids=["not-an-app", "import-error"],
)
def test_dev_names_an_app_that_does_not_load_before_starting_temporal(
    tmp_path: Path, source: str, message: str
) -> None:
    # Only importing finds these (a file's text does not say what `app` is).
    (tmp_path / "broken.py").write_text(source)

    ran = _run(tmp_path, "broken:app", "dev")

    assert ran.returncode == 1
    assert ran.stderr.splitlines()[0] == message.format(file=tmp_path / "broken.py")
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / ".baas" / "temporal.log").exists()


def test_a_workflow_calling_an_unregistered_function_is_named_by_check_and_at_load(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, _UNREGISTERED)
    expected = (
        "notes/workflows.py:13: workflow NoteWorkflow calls function 'mail_note', which "
        "the App does not register: add app.function(mail_note) beside its other functions"
    )

    check = _run(project, "notes:app", "check", "notes:app")
    assert check.returncode == 1, check.stderr
    assert expected in check.stdout.splitlines()

    serve = _run(project, "notes:app", "serve")
    assert serve.returncode == 1
    assert serve.stderr.splitlines() == [f"baas: {expected}"]
