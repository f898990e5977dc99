"""Account mail templates: today's texts by default, an app's folder in their place,
and every mistake in that folder caught when it is loaded (at start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.mail_templates import PLACEHOLDERS, MailTemplateError, MailTemplates, TemplateName

DEFAULTS = MailTemplates.load()


def test_the_defaults_are_the_texts_baas_always_sent() -> None:
    mail = DEFAULTS.render(
        "verification_code", "maya@example.com", code="12345678", minutes="10", email="m"
    )
    assert mail.to == "maya@example.com"
    assert mail.subject == "Your verification code"
    assert mail.body == (
        "Your verification code is 12345678\n\n"
        "It expires in 10 minutes and works once.\n"
        "If you did not sign up, ignore this message.\n"
    )
    assert mail.html is not None
    assert "<strong>12345678</strong>" in mail.html


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_every_default_renders_with_its_placeholders(name: TemplateName) -> None:
    values = {placeholder: f"<{placeholder}>" for placeholder in PLACEHOLDERS[name]}
    mail = DEFAULTS.render(name, "maya@example.com", **values)
    assert mail.subject
    assert mail.html is not None
    assert "$" not in mail.subject + mail.body + mail.html
    used = [p for p in PLACEHOLDERS[name] if f"<{p}>" in mail.body]
    for placeholder in used:
        assert f"&lt;{placeholder}&gt;" in mail.html  # escaped in HTML, not in text


def test_an_apps_template_replaces_the_default_as_a_whole(tmp_path: Path) -> None:
    (tmp_path / "password_changed.txt").write_text(
        "Subject: Board: new password for ${email}\n\nHi! Your Board password changed.\n"
    )
    (tmp_path / "reset_code.txt").write_text("Subject: Board reset\n\nCode: ${code}\n")
    (tmp_path / "reset_code.html").write_text("<h1>Board</h1><p>Code: <b>${code}</b></p>")
    (tmp_path / "README.md").write_text("not a template, ignored")
    templates = MailTemplates.load(tmp_path)
    changed = templates.render("password_changed", "a@example.com", email="a@example.com")
    assert changed.subject == "Board: new password for a@example.com"
    assert changed.body == "Hi! Your Board password changed.\n"
    assert changed.html is None  # the app gave text only: no default HTML beside it
    reset = templates.render("reset_code", "a@example.com", code="1", minutes="10", email="a")
    assert reset.html == "<h1>Board</h1><p>Code: <b>1</b></p>"
    untouched = templates.render("account_exists", "a@example.com", email="a@example.com")
    assert untouched.subject == "You already have an account"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"verfication_code.txt": "Subject: x\n\nx"}, "not a mail template", id="typo"),
        pytest.param(
            {"password_reset.html": "<p>x</p>"}, "needs password_reset.txt", id="html-alone"
        ),
        pytest.param({"password_reset.txt": "Hello\n\nx"}, "Subject", id="no-subject"),
        pytest.param({"password_reset.txt": "Subject:\n\nx"}, "Subject", id="empty-subject"),
        pytest.param(
            {"account_exists.txt": "Subject: x\n\nYour code: ${code}"},
            "unknown placeholder ${code}",
            id="placeholder-of-another-mail",
        ),
        pytest.param(
            {"account_exists.txt": "Subject: x\n\nPay $5"}, "write $$ for $", id="bare-dollar"
        ),
    ],
)
def test_mistakes_are_caught_when_the_folder_is_loaded(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(MailTemplateError, match=message.replace("$", r"\$")):
        MailTemplates.load(tmp_path)


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailTemplateError, match="not a folder"):
        MailTemplates.load(tmp_path / "nope")
