"""Access tokens: issuing, verifying, and the table of attacks every verifier must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc.jwk import ECKey, OKPKey
from joserfc.jws import JWSRegistry

from auth.errors import InvalidTokenError
from auth.revocation import RevocationList
from auth.signing_keys import InMemorySigningKeyRepository, KeyRing
from auth.tokens import AccessTokenClaims, TokenConfig, TokenIssuer, TokenVerifier
from tests.unit.auth.auth_fakes import FakeClock

DROP = object()  # marks a member to leave out


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: object) -> str:
    return b64(json.dumps(value).encode())


class Forge:
    """Builds tokens by hand, signed with any key, so each attack differs by one thing."""

    def __init__(self, keyring: KeyRing, config: TokenConfig, clock: FakeClock) -> None:
        self.signing_key, self.private = keyring.signing_key()
        self.config = config
        self.now = int(clock())

    def header(self, **changes: object) -> dict[str, object]:
        base: dict[str, object] = {"alg": "ES256", "kid": self.signing_key.kid, "typ": "at+jwt"}
        return _apply(base, changes)

    def claims(self, **changes: object) -> dict[str, object]:
        base: dict[str, object] = {
            "iss": self.config.issuer,
            "aud": self.config.audience,
            "sub": "user-1",
            "exp": self.now + 900,
            "iat": self.now,
            "nbf": self.now,
            "jti": "token-1",
            "token_use": "access",
            "groups": ["staff"],
        }
        return _apply(base, changes)

    def sign(
        self,
        header: dict[str, object] | None = None,
        claims: dict[str, object] | None = None,
        *,
        payload: bytes | None = None,
        key: ECKey | OKPKey | None = None,
        alg: str = "ES256",
    ) -> str:
        """Sign like a real issuer would, but with whatever header, payload and key."""
        body = payload if payload is not None else json.dumps(claims or self.claims()).encode()
        signing_input = f"{b64json(header or self.header())}.{b64(body)}"
        algorithm = JWSRegistry.algorithms[alg]
        signature = algorithm.sign(signing_input.encode(), key or self.private)
        return f"{signing_input}.{b64(signature)}"

    def hmac_with(self, secret: bytes) -> str:
        """HS256 using ``secret``, with the real kid: the key-confusion attack."""
        signing_input = f"{b64json(self.header(alg='HS256'))}.{b64json(self.claims())}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"


def _apply(base: dict[str, object], changes: dict[str, object]) -> dict[str, object]:
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not DROP}


@pytest.fixture
def forge(keyring: KeyRing, token_config: TokenConfig, clock: FakeClock) -> Forge:
    return Forge(keyring, token_config, clock)


def _public_pem(forge: Forge) -> bytes:
    public: dict[str, str | list[str]] = {**forge.signing_key.public_jwk()}
    return ECKey.import_key(public).as_pem(private=False)


def _tampered_payload(forge: Forge) -> str:
    header, _, signature = forge.sign().split(".")
    return f"{header}.{b64json(forge.claims(sub='admin'))}.{signature}"


def _tampered_signature(forge: Forge) -> str:
    head, _, signature = forge.sign().rpartition(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{head}.{signature[:10]}{flipped}{signature[11:]}"


ATTACKER_EC = ECKey.generate_key("P-256", private=True)
ATTACKER_OKP = OKPKey.generate_key("Ed25519", private=True)
Attack = Callable[[Forge], object]

# Each row is one way a token can be wrong; each must raise InvalidTokenError and only that.
ATTACKS: list[Any] = [
    # --- algorithm confusion (RFC 8725 §2.1, §3.1) ---
    pytest.param(
        lambda f: f"{b64json(f.header(alg='none'))}.{b64json(f.claims())}.",
        id="alg-none-empty-signature",
    ),
    pytest.param(
        lambda f: f"{b64json(f.header(alg='none'))}.{b64json(f.claims())}.AAAA",
        id="alg-none-with-signature",
    ),
    pytest.param(
        lambda f: f"{b64json(f.header(alg='None'))}.{b64json(f.claims())}.",
        id="alg-None-capitalised",
    ),
    pytest.param(lambda f: f.hmac_with(_public_pem(f)), id="hs256-public-key-pem-as-secret"),
    pytest.param(
        lambda f: f.hmac_with(json.dumps(f.signing_key.public_jwk()).encode()),
        id="hs256-public-jwk-as-secret",
    ),
    pytest.param(
        lambda f: f.sign(f.header(alg="Ed25519"), key=ATTACKER_OKP, alg="Ed25519"),
        id="alg-swapped-to-ed25519",
    ),
    pytest.param(lambda f: f.sign(f.header(alg=DROP)), id="alg-missing"),
    # --- key selection (RFC 7515 §4.1.4, RFC 8725 §3.10) ---
    pytest.param(lambda f: f.sign(f.header(kid="no-such-key")), id="unknown-kid"),
    pytest.param(lambda f: f.sign(f.header(kid=DROP)), id="missing-kid"),
    pytest.param(lambda f: f.sign(f.header(kid=7)), id="kid-not-a-string"),
    pytest.param(lambda f: f.sign(key=ATTACKER_EC), id="real-kid-attacker-key"),
    pytest.param(
        lambda f: f.sign(f.header(jwk=ATTACKER_EC.as_dict(private=False)), key=ATTACKER_EC),
        id="embedded-jwk-header",
    ),
    pytest.param(lambda f: f.sign(f.header(jku="https://evil.test/jwks.json")), id="jku-header"),
    pytest.param(lambda f: f.sign(f.header(crit=["b64"], b64=False)), id="crit-b64-header"),
    # --- token type (RFC 9068 §4, RFC 8725 §3.11) ---
    pytest.param(lambda f: f.sign(f.header(typ="JWT")), id="typ-jwt"),
    pytest.param(lambda f: f.sign(f.header(typ=DROP)), id="typ-missing"),
    pytest.param(lambda f: f.sign(claims=f.claims(token_use="id")), id="token-use-id"),
    # --- time claims (RFC 7519 §4.1.4-4.1.6) ---
    pytest.param(lambda f: f.sign(claims=f.claims(exp=f.now - 31)), id="expired-beyond-leeway"),
    pytest.param(lambda f: f.sign(claims=f.claims(nbf=f.now + 3600)), id="not-yet-valid"),
    pytest.param(lambda f: f.sign(claims=f.claims(iat=f.now + 3600)), id="issued-in-future"),
    pytest.param(lambda f: f.sign(claims=f.claims(exp="9999999999")), id="exp-as-string"),
    pytest.param(lambda f: f.sign(claims=f.claims(exp=True)), id="exp-as-bool"),
    pytest.param(
        lambda f: f.sign(payload=json.dumps(f.claims(exp=float("nan"))).encode()), id="exp-nan"
    ),
    pytest.param(
        lambda f: f.sign(payload=json.dumps(f.claims(exp=float("inf"))).encode()), id="exp-infinity"
    ),
    pytest.param(lambda f: f.sign(claims=f.claims(exp=10**400)), id="exp-huge-integer"),
    pytest.param(
        lambda f: f.sign(payload=json.dumps(f.claims(exp="X")).replace('"X"', "1e400").encode()),
        id="exp-overflowing-float",
    ),
    # --- audience and issuer (RFC 7519 §4.1.1, §4.1.3) ---
    pytest.param(lambda f: f.sign(claims=f.claims(aud="other-api")), id="wrong-audience"),
    pytest.param(lambda f: f.sign(claims=f.claims(aud=["other-api"])), id="wrong-audience-list"),
    pytest.param(lambda f: f.sign(claims=f.claims(iss="https://evil.test")), id="wrong-issuer"),
    # --- claims present and well-typed ---
    *[
        pytest.param(
            lambda f, name=name: f.sign(claims=f.claims(**{name: DROP})), id=f"missing-{name}"
        )
        for name in ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "token_use", "groups")
    ],
    pytest.param(lambda f: f.sign(claims=f.claims(sub="")), id="empty-subject"),
    pytest.param(lambda f: f.sign(claims=f.claims(sub=42)), id="subject-not-a-string"),
    pytest.param(lambda f: f.sign(claims=f.claims(groups="admin")), id="groups-as-string"),
    pytest.param(lambda f: f.sign(claims=f.claims(groups=["a", 1])), id="groups-not-strings"),
    pytest.param(lambda f: f.sign(claims=f.claims(sid=7)), id="session-id-not-a-string"),
    pytest.param(lambda f: f.sign(claims=f.claims(sid="../x")), id="session-id-malformed"),
    pytest.param(
        lambda f: f.sign(payload=b'{"sub":"admin",' + json.dumps(f.claims())[1:].encode()),
        id="duplicate-claim-names",
    ),
    # --- tampering ---
    pytest.param(_tampered_payload, id="tampered-payload"),
    pytest.param(_tampered_signature, id="tampered-signature"),
    pytest.param(lambda f: f.sign().rpartition(".")[0] + ".", id="signature-stripped"),
    # --- malformed input ---
    pytest.param(lambda f: "", id="empty"),
    pytest.param(lambda f: "not-a-token", id="one-segment"),
    pytest.param(lambda f: "a.b", id="two-segments"),
    pytest.param(lambda f: f.sign() + ".e30", id="four-segments"),
    pytest.param(lambda f: "!!!!.e30.AAAA", id="bad-base64-alphabet"),
    pytest.param(lambda f: "eyJhbGciOiJFUzI1NiJ9=.e30.AAAA", id="base64-padding"),
    pytest.param(lambda f: "a.e30.AAAA", id="base64-bad-length"),
    pytest.param(lambda f: f"{b64(b'not json')}.e30.AAAA", id="header-not-json"),
    pytest.param(lambda f: f"{b64json([1, 2])}.e30.AAAA", id="header-json-array"),
    pytest.param(lambda f: f"{b64(b'[' * 5000)}.e30.AAAA", id="header-deeply-nested"),
    pytest.param(
        lambda f: f"{b64(json.dumps(f.header()).encode('utf-16'))}.e30.AAAA", id="header-utf16"
    ),
    pytest.param(lambda f: f"{b64(bytes([0xFF, 0xFE]))}.e30.AAAA", id="header-not-utf8"),
    pytest.param(lambda f: f.sign(payload=b"not json"), id="payload-not-json"),
    pytest.param(lambda f: f.sign(payload=b'["a", "b"]'), id="payload-json-array"),
    pytest.param(lambda f: f.sign(claims=f.claims(pad="x" * 9000)), id="huge-token"),
    pytest.param(lambda f: f.sign() + "é", id="non-ascii"),
    pytest.param(lambda f: " " + f.sign(), id="leading-space"),
    pytest.param(lambda f: None, id="none"),
    pytest.param(lambda f: 42, id="integer"),
    pytest.param(lambda f: f.sign().encode(), id="bytes"),
]


def test_control_token_from_forge_is_valid(forge: Forge, verifier: TokenVerifier) -> None:
    """Guards the table: a forged token with nothing changed must verify."""
    assert verifier.verify(forge.sign()).subject == "user-1"


@pytest.mark.parametrize("attack", ATTACKS)
def test_verifier_refuses(attack: Attack, forge: Forge, verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidTokenError) as raised:
        verifier.verify(attack(forge))
    assert raised.value.code == "invalid_token"


@settings(
    max_examples=300,
    deadline=None,
    # The verifier is read-only, so sharing one across examples is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_\-.]{0,300}", fullmatch=True))
def test_verifier_raises_only_invalid_token_on_any_string(
    text: str, verifier: TokenVerifier
) -> None:
    with pytest.raises(InvalidTokenError):
        verifier.verify(text)


def test_issued_token_verifies_with_its_claims(
    issuer: TokenIssuer, verifier: TokenVerifier, clock: FakeClock
) -> None:
    issued = issuer.issue_access_token("user-1", ["staff", "admin"], client_id="web")
    claims = verifier.verify(issued.token)
    assert claims == issued.claims
    assert claims.groups == ("staff", "admin")
    assert claims.expires_at - claims.issued_at == 15 * 60 == issued.expires_in
    assert claims.client_id == "web"


def test_issued_header_is_rfc9068_and_pins_kid(issuer: TokenIssuer, keyring: KeyRing) -> None:
    token = issuer.issue_access_token("user-1").token
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": keyring.active_key.kid, "typ": "at+jwt"}


def test_groups_must_not_be_a_single_string(issuer: TokenIssuer) -> None:
    with pytest.raises(TypeError):
        issuer.issue_access_token("user-1", "admin")


def test_each_token_has_its_own_jti(issuer: TokenIssuer) -> None:
    first, second = (issuer.issue_access_token("user-1").claims for _ in range(2))
    assert first.token_id != second.token_id


@pytest.mark.parametrize(
    ("elapsed", "valid"),
    [
        pytest.param(15 * 60 - 1, True, id="just-before-exp"),
        pytest.param(15 * 60 + 29, True, id="within-30s-leeway"),
        pytest.param(15 * 60 + 30, False, id="leeway-used-up"),
    ],
)
def test_expiry_honours_leeway(
    elapsed: int, valid: bool, issuer: TokenIssuer, verifier: TokenVerifier, clock: FakeClock
) -> None:
    token = issuer.issue_access_token("user-1").token
    clock.advance(elapsed)
    if valid:
        verifier.verify(token)
    else:
        with pytest.raises(InvalidTokenError):
            verifier.verify(token)


def test_configured_lifetime_is_used(keyring: KeyRing, clock: FakeClock) -> None:
    config = TokenConfig(issuer="i", audience="a", access_token_lifetime=60)
    issued = TokenIssuer(keyring, config, clock=clock).issue_access_token("user-1")
    assert issued.expires_in == 60


def test_small_clock_skew_in_nbf_is_tolerated(forge: Forge, verifier: TokenVerifier) -> None:
    token = forge.sign(claims=forge.claims(nbf=forge.now + 20, iat=forge.now + 20))
    assert verifier.verify(token).subject == "user-1"


def test_audience_list_containing_ours_is_accepted(forge: Forge, verifier: TokenVerifier) -> None:
    token = forge.sign(claims=forge.claims(aud=["other", "baas-api"]))
    assert verifier.verify(token).audience == "baas-api"


class TestRevocation:
    """Per-user not-before times and per-session revocations refuse tokens early."""

    def _verifier(
        self, keyring: KeyRing, config: TokenConfig, clock: FakeClock
    ) -> tuple[TokenVerifier, RevocationList]:
        revocations = RevocationList(retention=930, clock=clock, wall_clock=clock)
        revocations.mark_current(clock())
        verifier = TokenVerifier(keyring, config, clock=clock, is_revoked=revocations.is_revoked)
        return verifier, revocations

    def test_token_issued_before_sign_out_is_refused(
        self, issuer: TokenIssuer, keyring: KeyRing, token_config: TokenConfig, clock: FakeClock
    ) -> None:
        token = issuer.issue_access_token("user-1").token
        clock.advance(10)
        verifier, revocations = self._verifier(keyring, token_config, clock)
        revocations.revoke_user("user-1", clock())
        with pytest.raises(InvalidTokenError):
            verifier.verify(token)

    def test_token_issued_after_sign_out_is_accepted(
        self, issuer: TokenIssuer, keyring: KeyRing, token_config: TokenConfig, clock: FakeClock
    ) -> None:
        verifier, revocations = self._verifier(keyring, token_config, clock)
        revocations.revoke_user("user-1", clock() - 10)
        assert verifier.verify(issuer.issue_access_token("user-1").token).subject == "user-1"

    def test_other_users_are_unaffected(
        self, issuer: TokenIssuer, keyring: KeyRing, token_config: TokenConfig, clock: FakeClock
    ) -> None:
        token = issuer.issue_access_token("user-2").token
        clock.advance(10)
        verifier, revocations = self._verifier(keyring, token_config, clock)
        revocations.revoke_user("user-1", clock())
        assert verifier.verify(token).subject == "user-2"

    def test_ending_a_session_refuses_its_tokens_only(
        self, issuer: TokenIssuer, keyring: KeyRing, token_config: TokenConfig, clock: FakeClock
    ) -> None:
        ended, other = "a" * 32, "b" * 32
        of_ended = issuer.issue_access_token("user-1", session_id=ended).token
        of_other = issuer.issue_access_token("user-1", session_id=other).token
        verifier, revocations = self._verifier(keyring, token_config, clock)
        assert verifier.verify(of_ended).session_id == ended
        revocations.revoke_session("user-1", ended)
        with pytest.raises(InvalidTokenError):
            verifier.verify(of_ended)
        assert verifier.verify(of_other).session_id == other

    def test_lookup_failure_propagates_instead_of_looking_like_a_bad_token(
        self, issuer: TokenIssuer, keyring: KeyRing, token_config: TokenConfig, clock: FakeClock
    ) -> None:
        def broken(claims: AccessTokenClaims) -> bool:
            raise ConnectionError("store down")

        verifier = TokenVerifier(keyring, token_config, clock=clock, is_revoked=broken)
        with pytest.raises(ConnectionError):
            verifier.verify(issuer.issue_access_token("user-1").token)


async def test_ed25519_keys_sign_and_verify(token_config: TokenConfig, clock: FakeClock) -> None:
    ring = KeyRing(
        InMemorySigningKeyRepository(),
        retention=token_config.key_retention,
        algorithm="Ed25519",
        clock=clock,
    )
    await ring.load()
    token = TokenIssuer(ring, token_config, clock=clock).issue_access_token("user-1").token
    assert TokenVerifier(ring, token_config, clock=clock).verify(token).subject == "user-1"
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "Ed25519"


async def test_ed25519_token_is_refused_by_an_es256_ring(
    token_config: TokenConfig, clock: FakeClock, verifier: TokenVerifier
) -> None:
    ring = KeyRing(
        InMemorySigningKeyRepository(),
        retention=token_config.key_retention,
        algorithm="Ed25519",
        clock=clock,
    )
    await ring.load()
    token = TokenIssuer(ring, token_config, clock=clock).issue_access_token("user-1").token
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)
