"""A passkey authenticator in Python, for the API tests that need a passkey but no page.

It does what a browser and a platform authenticator do together (WebAuthn Level 3
§6.3.2 authenticatorMakeCredential, §6.3.3 authenticatorGetAssertion, with "none"
attestation): an ES256 key pair per credential, the client data for the page's origin,
the authenticator data with the relying party's hash, user presence and verification,
and a signature counter that moves forward. The server verifies its answers exactly as
it verifies a browser's; the browser itself is tested in test_passkeys_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.auth.auth_server import AuthServer

__all__ = ["PASSKEY_ENV", "SoftAuthenticator"]

RP_ID = "localhost"
ORIGIN = "http://localhost:8443"  # the app's page; nothing needs to listen there
PASSKEY_ENV = {"BAAS_AUTH_PASSKEY_RP_ID": RP_ID, "BAAS_AUTH_PASSKEY_ORIGINS": ORIGIN}
_PRESENT_AND_VERIFIED = 0x01 | 0x04
_ATTESTED = 0x40


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _credential(credential_id: bytes, client_data: bytes, **response: bytes) -> dict[str, Any]:
    """A ``PublicKeyCredential`` in its JSON form (``toJSON()``), binary in base64url."""
    fields = {"clientDataJSON": client_data, **response}
    return {
        "id": _b64(credential_id),
        "rawId": _b64(credential_id),
        "type": "public-key",
        "response": {name: _b64(value) for name, value in fields.items()},
    }


@dataclass
class SoftAuthenticator:
    """One user's authenticator: the keys it made, by credential id, and its counter."""

    keys: dict[bytes, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    count: int = 0

    def register(self, server: AuthServer, access: str, proof: dict[str, Any]) -> str:
        """Register a new passkey for the signed-in user; its id."""
        started = server.post("/auth/passkeys/register/options", proof, token=access)
        assert started.status_code == 200, started.text
        options = started.json()["options"]
        credential_id, key = os.urandom(16), ec.generate_private_key(ec.SECP256R1())
        self.keys[credential_id] = key
        numbers = key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32), -3: numbers.y.to_bytes(32)}
        attested = bytes(16) + struct.pack(">H", len(credential_id)) + credential_id
        auth_data = self._auth_data(_ATTESTED) + attested + cbor2.dumps(cose)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        credential = _credential(credential_id, client_data, attestationObject=attestation)
        body = {"flow": started.json()["flow"], "credential": credential, "name": "Soft key"}
        registered = server.post("/auth/passkeys/register", body, token=access)
        assert registered.status_code == 201, registered.text
        return str(registered.json()["passkey"]["id"])

    def step_up(self, server: AuthServer, access: str) -> dict[str, Any]:
        """A step-up assertion of the signed-in user (``{"flow", "credential"}``), to
        send as ``"passkey"`` with a security change."""
        started = server.post("/auth/passkeys/authenticate/options", {}, token=access)
        assert started.status_code == 200, started.text
        options = started.json()["options"]
        credential_id = base64.urlsafe_b64decode(options["allowCredentials"][0]["id"] + "==")
        self.count += 1
        auth_data = self._auth_data(0)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.keys[credential_id].sign(signed, ec.ECDSA(hashes.SHA256()))
        credential = _credential(
            credential_id, client_data, authenticatorData=auth_data, signature=signature
        )
        return {"flow": started.json()["flow"], "credential": credential}

    def _auth_data(self, flags: int) -> bytes:
        rp_hash = hashlib.sha256(RP_ID.encode()).digest()
        return rp_hash + bytes([_PRESENT_AND_VERIFIED | flags]) + struct.pack(">I", self.count)

    @staticmethod
    def _client_data(kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": ORIGIN}).encode()
