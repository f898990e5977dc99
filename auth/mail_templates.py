"""The texts of the account mails, as templates an app can override.

Each mail is a template of a few files named after it: ``<name>.txt`` (required) starts
with a ``Subject:`` line, then a blank line, then the plain-text body; ``<name>.html``
(optional) is the HTML body of the same mail. Placeholders are ``${name}``
(:class:`string.Template`); values are HTML-escaped in the HTML part.

The defaults ship in ``auth/data/mail/``. An app overrides any of them with a folder of
its own (``BAAS_MAIL_TEMPLATES``), like Supabase's email templates: a template found
there replaces the default *as a whole* (a ``.txt`` without an ``.html`` sends a text-only
mail, never the default HTML beside the app's text). The folder is checked when the
server starts — an unknown file name, an ``.html`` without its ``.txt``, a missing
``Subject:`` line or a placeholder the mail does not have is a one-line error then,
never a broken mail later.

=====================  =============================  ====================================
template               placeholders                   sent
=====================  =============================  ====================================
verification_code      code, minutes, email           after a sign-up, resend or upgrade
reset_code             code, minutes, email           after forgot-password
account_exists         email                          a sign-up for a verified address
password_changed       email                          after a password change (notice)
password_reset         email                          after a password reset (notice)
email_changed          old_email, new_email           to the old address (notice)
identity_linked        email, provider                after linking a provider (notice)
identity_unlinked      email, provider                after unlinking a provider (notice)
sign_in_code           code, minutes, email           sign-in by email (no link URL set)
sign_in_link           code, minutes, email, link     sign-in by email (BAAS_AUTH_LINK_URL)
reauthentication_code  code, minutes, email           before a security change, no password
email_change_code      code, minutes, email           to the new address of an email change
invitation             email, code, days              an admin's invitation (no link URL)
invitation_link        email, code, days, link        an admin's invitation (with the URL)
account_deleted        email                          after deleting one's account (notice)
=====================  =============================  ====================================
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from string import Template
from typing import Literal

__all__ = ["Mail", "MailTemplateError", "MailTemplates", "TemplateName"]

TemplateName = Literal[
    "verification_code",
    "reset_code",
    "account_exists",
    "password_changed",
    "password_reset",
    "email_changed",
    "identity_linked",
    "identity_unlinked",
    "sign_in_code",
    "sign_in_link",
    "reauthentication_code",
    "email_change_code",
    "invitation",
    "invitation_link",
    "account_deleted",
]

PLACEHOLDERS: dict[TemplateName, frozenset[str]] = {
    "verification_code": frozenset({"code", "minutes", "email"}),
    "reset_code": frozenset({"code", "minutes", "email"}),
    "account_exists": frozenset({"email"}),
    "password_changed": frozenset({"email"}),
    "password_reset": frozenset({"email"}),
    "email_changed": frozenset({"old_email", "new_email"}),
    "identity_linked": frozenset({"email", "provider"}),
    "identity_unlinked": frozenset({"email", "provider"}),
    "sign_in_code": frozenset({"code", "minutes", "email"}),
    "sign_in_link": frozenset({"code", "minutes", "email", "link"}),
    "reauthentication_code": frozenset({"code", "minutes", "email"}),
    "email_change_code": frozenset({"code", "minutes", "email"}),
    "invitation": frozenset({"email", "code", "days"}),
    "invitation_link": frozenset({"email", "code", "days", "link"}),
    "account_deleted": frozenset({"email"}),
}
_SUBJECT = "Subject:"


@dataclass(frozen=True, slots=True)
class Mail:
    """One account mail to one recipient: plain text, and the same as HTML if given
    (delivered by :mod:`auth.mail`).

    ``idempotency_key`` (a function's ``ctx.idempotency_key``, stable across retries)
    makes a resend recognisably the same mail: its Message-ID is derived from the key,
    so receivers and providers that drop duplicates by Message-ID drop it, and the dev
    outbox keeps one file per key.
    """

    to: str
    subject: str
    body: str
    html: str | None = None
    idempotency_key: str | None = None

    @property
    def key_digest(self) -> str | None:
        """A header-safe digest of the idempotency key (None without one)."""
        if self.idempotency_key is None:
            return None
        # Threat: header injection; the key is hashed, never written into a header.
        return hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:40]


class MailTemplateError(ValueError):
    """A template folder or file cannot be used (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class _Template:
    subject: Template
    text: Template
    html: Template | None


class MailTemplates:
    """Renders each account mail from its template."""

    def __init__(self, templates: dict[TemplateName, _Template]) -> None:
        self._templates = templates

    @classmethod
    def load(cls, override: Path | None = None) -> MailTemplates:
        """The defaults, with the templates of the ``override`` folder in their place."""
        defaults = resources.files("auth").joinpath("data/mail")
        templates = {name: _read(defaults, name) for name in PLACEHOLDERS}
        if override is not None:
            templates |= _overrides(override)
        return cls(templates)

    def render(self, name: TemplateName, to: str, **values: str) -> Mail:
        """The mail ``name`` to ``to``, with ``values`` for its placeholders."""
        template = self._templates[name]
        escaped = {key: html.escape(value) for key, value in values.items()}
        return Mail(
            to=to,
            subject=template.subject.substitute(values),
            body=template.text.substitute(values),
            html=template.html.substitute(escaped) if template.html else None,
        )


def _overrides(folder: Path) -> dict[TemplateName, _Template]:
    if not folder.is_dir():
        raise MailTemplateError(f"{folder} is not a folder")
    found: dict[TemplateName, _Template] = {}
    for path in sorted(folder.iterdir()):
        stem, suffix = path.stem, path.suffix
        if path.name.startswith(".") or suffix not in {".txt", ".html"}:
            continue  # editor backups, READMEs: not templates
        name = _template_name(stem)
        if name is None:
            known = ", ".join(sorted(PLACEHOLDERS))
            raise MailTemplateError(f"{path.name}: not a mail template (known: {known})")
        if suffix == ".html" and not (folder / f"{stem}.txt").is_file():
            raise MailTemplateError(f"{path.name}: needs {stem}.txt beside it (subject and text)")
        if suffix == ".txt":
            found[name] = _read(folder, name)
    return found


def _template_name(stem: str) -> TemplateName | None:
    return next((name for name in PLACEHOLDERS if name == stem), None)


def _read(folder: Traversable | Path, name: TemplateName) -> _Template:
    text_file = folder.joinpath(f"{name}.txt")
    html_file = folder.joinpath(f"{name}.html")
    subject, text = _split_subject(f"{name}.txt", text_file.read_text(encoding="utf-8"))
    markup = html_file.read_text(encoding="utf-8") if html_file.is_file() else None
    parts = {"subject": subject, "text": text} | ({"html": markup} if markup else {})
    templates = {part: Template(source) for part, source in parts.items()}
    for part, template in templates.items():
        file = f"{name}.html" if part == "html" else f"{name}.txt"
        if not template.is_valid():
            raise MailTemplateError(f"{file}: a $ that is no ${{placeholder}} (write $$ for $)")
        unknown = set(template.get_identifiers()) - PLACEHOLDERS[name]
        if unknown:
            allowed = ", ".join(sorted(PLACEHOLDERS[name]))
            raise MailTemplateError(
                f"{file}: unknown placeholder ${{{sorted(unknown)[0]}}} (this mail has {allowed})"
            )
    return _Template(templates["subject"], templates["text"], templates.get("html"))


def _split_subject(file: str, source: str) -> tuple[str, str]:
    first, _, rest = source.partition("\n")
    if not first.startswith(_SUBJECT) or not first[len(_SUBJECT) :].strip():
        raise MailTemplateError(f"{file}: the first line must be 'Subject: …'")
    return first[len(_SUBJECT) :].strip(), rest.lstrip("\n")
