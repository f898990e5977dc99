"""auth: managed identity — passwords, tokens, signing keys, refresh-token families,
access rules and sign-in throttling.

The core modules are pure or talk to persistence through small Protocols
(``SigningKeyRepository``, ``AttemptStore``). On top of them, the account flows
(``accounts``, ``sessions``, ``admin``, ``social``) keep their state in system tables of
the document store (``system_tables``, ``users``, ``refresh_store``, ``stored_*``,
``revocation``); ``baas.auth_wiring`` assembles them and ``baas.auth_routes`` serves
them over HTTP. This package never imports a web framework or temporalio.

Import from the modules (``from auth.rules import allow``): the package itself stays
empty so that light users (settings parsing in ``baas dev``'s first second) do not pay
for the JOSE and HTTP-client imports of the token and social-login modules.
"""
