"""Mail notices and app mail templates over HTTP (issue 15, item 10): dev mails land in
``BAAS_DATA_DIR/outbox`` as multipart text + HTML, from the app's template folder where
it has one, and a broken folder stops the server at start with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.auth.auth_server import PASSWORD, auth_server, text_of
from tests.support import free_port

BAAS = Path(sys.executable).parent / "baas"
MAYA = "maya@example.com"
NEW_PASSWORD = "a brand new passphrase"


def _app_templates(folder: Path) -> Path:
    folder.mkdir()
    (folder / "verification_code.txt").write_text(
        "Subject: Welcome to Board\n\nYour Board code: ${code} (${minutes} min)\n"
    )
    (folder / "verification_code.html").write_text("<h1>Board</h1><p>Code <b>${code}</b></p>")
    (folder / "password_changed.txt").write_text(
        "Subject: Board password changed\n\nThe password of ${email} changed.\n"
    )
    return folder


def test_mails_come_from_the_apps_templates_and_notices_follow_changes(tmp_path: Path) -> None:
    templates = _app_templates(tmp_path / "mail")
    with auth_server(tmp_path / "data", BAAS_MAIL_TEMPLATES=str(templates)) as server:
        server.post("/auth/signup", {"email": MAYA, "password": PASSWORD})
        welcome = server.mail(MAYA, "Welcome to Board")
        assert "Your Board code:" in text_of(welcome)
        assert "<h1>Board</h1>" in text_of(welcome, "html")
        code = text_of(welcome).split("code: ")[1][:8]
        verified = server.post(
            "/auth/verify-email", {"email": MAYA, "code": code, "password": PASSWORD}
        )
        assert verified.status_code == 200

        tokens = server.signin(MAYA)
        changed = server.post(
            "/auth/password/change",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            token=str(tokens["access_token"]),
        )
        assert changed.status_code == 200
        notice = server.mail(MAYA, "Board password changed")
        assert text_of(notice) == f"The password of {MAYA} changed.\n"
        assert text_of(notice, "html") == ""  # the app gave text only

        assert server.post("/auth/password/forgot", {"email": MAYA}).status_code == 202
        code = server.code_for(MAYA, "reset")
        reset = server.post(
            "/auth/password/reset", {"email": MAYA, "code": code, "new_password": PASSWORD}
        )
        assert reset.status_code == 204
        default = server.mail(MAYA, "Your password was reset")
        assert "every session of the account was signed out" in text_of(default)
        assert "<p>" in text_of(default, "html")  # the default keeps its HTML


def test_a_broken_template_folder_stops_the_server_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "verification_code.txt").write_text("Subject: Hi\n\nYour code is ${cod}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    env.update(
        BAAS_DATA_DIR=str(tmp_path / "data"),
        BAAS_PORT=str(free_port()),
        BAAS_TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        BAAS_MAIL_TEMPLATES=str(folder),
    )
    result = subprocess.run(
        [str(BAAS), "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("baas: BAAS_MAIL_TEMPLATES: verification_code.txt: unknown placeholder")
