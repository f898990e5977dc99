"""The OpenID provider's HTML pages: sign-in (by password, or by a code emailed to the
address), second factor, consent, and messages.

Server-rendered, no script at all, every value escaped (``html.escape``), and a strict
Content-Security-Policy on top of the API's other headers: nothing loads but the inline
style, no frame may hold the page (threat: clickjacking a consent), no ``<base>``.
Each form posts the original authorization request (its query string, checked again on
arrival) and a CSRF token (see :mod:`baas.oidc_routes.browser`). Never cached.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

__all__ = ["consent_page", "email_code_page", "message_page", "mfa_page", "sign_in_page"]

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}"
    "label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}"
    "button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.error{color:#b00020}"
)
_SCOPE_WORDS = {
    "openid": "know who you are (your account id)",
    "email": "see your email address",
    "profile": "see your user name",
    "offline_access": "stay signed in when you are away",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=_HEADERS)


def _hidden(fields: dict[str, str]) -> str:
    return "".join(
        f'<input type=hidden name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )


def _error(message: str | None) -> str:
    return f"<p class=error role=alert id=error>{escape(message)}</p>" if message else ""


def sign_in_page(
    *,
    query: str,
    csrf: str,
    client_name: str,
    email_code: bool = False,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Email and password, to sign in to baas on behalf of ``client_name``; with
    ``email_code`` (sign-in by email is on) a second form mails a code instead."""
    hidden = _hidden({"request": query, "csrf": csrf})
    by_code = (
        "<p>Or, without a password:</p>"
        '<form method=post action="/oauth/authorize/email">'
        f"{hidden}"
        "<label for=code-email>Email</label>"
        "<input id=code-email name=email type=email autocomplete=username required>"
        "<button type=submit id=email-me>Email me a code</button></form>"
        if email_code
        else ""
    )
    body = (
        f"<p>to continue to <strong>{escape(client_name)}</strong></p>{_error(error)}"
        '<form method=post action="/oauth/authorize/signin">'
        f"{hidden}"
        "<label for=email>Email</label>"
        "<input id=email name=email type=email autocomplete=username required>"
        "<label for=password>Password</label>"
        "<input id=password name=password type=password autocomplete=current-password required>"
        f"<button type=submit id=sign-in>Sign in</button></form>{by_code}"
    )
    return _page("Sign in", body, status)


def email_code_page(
    *, query: str, csrf: str, email: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The code mailed to ``email`` (the same page whether or not it has an account),
    and a button that mails a new one."""
    hidden = _hidden({"request": query, "csrf": csrf, "email": email})
    body = (
        f"<p>If <strong>{escape(email)}</strong> has an account, a sign-in code is on its "
        f"way there. Enter it here.</p>{_error(error)}"
        '<form method=post action="/oauth/authorize/email/verify">'
        f"{hidden}"
        "<label for=code>Code</label>"
        "<input id=code name=code autocomplete=one-time-code inputmode=numeric required>"
        "<button type=submit id=verify-code>Sign in</button></form>"
        '<form method=post action="/oauth/authorize/email">'
        f"{hidden}<button type=submit id=resend>Email me a new code</button></form>"
    )
    return _page("Check your email", body, status)


def mfa_page(
    *, query: str, csrf: str, mfa_token: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    body = (
        f"<p>Enter the code from your authenticator app, or a recovery code.</p>{_error(error)}"
        '<form method=post action="/oauth/authorize/mfa">'
        f"{_hidden({'request': query, 'csrf': csrf, 'mfa_token': mfa_token})}"
        "<label for=code>Code</label>"
        "<input id=code name=code autocomplete=one-time-code inputmode=numeric required>"
        "<button type=submit id=verify>Verify</button></form>"
    )
    return _page("Two-step verification", body, status)


def consent_page(
    *, query: str, csrf: str, client_name: str, scopes: frozenset[str], email: str | None
) -> HTMLResponse:
    """What ``client_name`` asks for, with Allow and Deny."""
    items = "".join(
        f"<li>{escape(words)}</li>" for scope, words in _SCOPE_WORDS.items() if scope in scopes
    )
    who = f" as {escape(email)}" if email else ""
    body = (
        f"<p><strong>{escape(client_name)}</strong> wants to{who}:</p><ul>{items}</ul>"
        '<form method=post action="/oauth/authorize/consent">'
        f"{_hidden({'request': query, 'csrf': csrf})}"
        "<button type=submit name=decision value=allow id=allow>Allow</button>"
        "<button type=submit name=decision value=deny id=deny>Deny</button></form>"
    )
    return _page("Allow access?", body)


def message_page(title: str, message: str, status: int = 200) -> HTMLResponse:
    """A page that only says something (a refused request, a finished logout)."""
    return _page(title, f"<p id=message>{escape(message)}</p>", status)
