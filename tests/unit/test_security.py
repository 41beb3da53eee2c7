"""The secrets layer (backend.security): password hashes, API keys, the page's session tokens, and single sign-on
tokens checked against a real JWKS endpoint served here with a key generated for the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.security.api_keys import digest_matches, key_digest, key_prefix, new_key
from backend.security.passwords import hash_password, password_problem, verify_password
from backend.security.session_tokens import read_session, sign_session
from backend.security.sso import SsoVerifier, looks_like_jwt
from tests.oidc_issuer import Issuer

SECRET = "a-signing-secret-of-more-than-thirty-two-characters"  # noqa: S105 - a test value


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def test_a_password_verifies_only_against_its_own_hash() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "correct horse battery stapl")
    assert not verify_password(None, "correct horse battery staple")  # unknown user: a decoy is checked
    assert not verify_password("not a hash", "anything")


def test_password_rules_say_what_to_fix() -> None:
    assert password_problem("short") == "A password needs at least 12 characters."
    assert password_problem("x" * 2000) == "A password may have at most 1024 characters."
    assert password_problem("twelve chars") is None


def test_an_api_key_is_named_by_its_prefix_and_checked_by_its_digest() -> None:
    key = new_key()
    assert key.secret.startswith(f"dik_{key.prefix}_")
    assert key_prefix(key.secret) == key.prefix
    assert key.digest == key_digest(key.secret) and key.secret not in key.digest
    assert digest_matches(key.digest, key.secret)
    tampered = key.secret[:-1] + ("A" if key.secret[-1] != "A" else "B")
    assert not digest_matches(key.digest, tampered)
    assert key_prefix("dik_short_x") is None and key_prefix("Bearer something") is None
    assert new_key().secret != key.secret


def test_a_session_token_holds_its_session_until_it_expires() -> None:
    session_id, user_id = uuid.uuid4(), uuid.uuid4()
    token = sign_session(SECRET, session_id, user_id, 60)
    claims = read_session(SECRET, token)
    assert claims is not None and (claims.session_id, claims.user_id) == (session_id, user_id)
    assert claims.expires_at - claims.issued_at == 60
    assert read_session(SECRET + "x", token) is None  # another deployment's secret
    assert read_session(SECRET, sign_session(SECRET, session_id, user_id, -1)) is None  # expired
    assert read_session(SECRET, token[:-2] + "xx") is None  # tampered signature
    foreign = jwt.encode({"sub": str(user_id), "sid": str(session_id), "iat": 1, "exp": time.time() + 60,
                          "iss": "druid-ingest", "aud": "someone-else"}, SECRET, algorithm="HS256")
    assert read_session(SECRET, foreign) is None


@pytest.fixture()
def issuer() -> Iterator[Issuer]:
    running = Issuer()
    yield running
    running.stop()


def _verifier(issuer: Issuer) -> SsoVerifier:
    return SsoVerifier(issuer.url, "druid-ingest", None, "preferred_username", timeout_s=2)


def test_a_token_of_the_issuer_is_accepted_through_its_discovered_keys(issuer: Issuer) -> None:
    verifier = _verifier(issuer)
    identity = verifier.verify(issuer.token(druid_ingest_roles=["sales:read"]))
    assert identity is not None
    assert (identity.subject, identity.username) == ("u-123", "ada")
    assert identity.claims["druid_ingest_roles"] == ["sales:read"]
    assert verifier.verify(issuer.token()) is not None
    # Keys are cached: the discovery document and the JWKS were fetched once for both tokens.
    assert issuer.requests == ["/.well-known/openid-configuration", "/jwks"]


def test_tokens_that_are_not_the_issuers_are_refused(issuer: Issuer) -> None:
    verifier = _verifier(issuer)
    now = int(time.time())
    assert verifier.verify(issuer.token(exp=now - 120)) is None  # expired (beyond the 30 s leeway)
    assert verifier.verify(issuer.token(aud="another-service")) is None
    assert verifier.verify(issuer.token(iss="https://elsewhere.example")) is None
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"iss": issuer.url, "aud": "druid-ingest", "sub": "x", "exp": now + 60}, other_key,
                        algorithm="RS256", headers={"kid": issuer.kid})
    assert verifier.verify(forged) is None
    # The classic confusion: HS256 "signed" with the issuer's public key must never pass.
    public_pem = issuer.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    # (PyJWT refuses to make one, so it is made by hand.)
    signing_input = b".".join(_b64(json.dumps(part).encode()) for part in (
        {"alg": "HS256", "typ": "JWT", "kid": issuer.kid},
        {"iss": issuer.url, "aud": "druid-ingest", "sub": "x", "exp": now + 60}))
    confused = (signing_input + b"." + _b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())).decode()
    assert verifier.verify(confused) is None
    assert verifier.verify("eyJ.not.a-token") is None


def test_an_unreachable_issuer_refuses_rather_than_fails() -> None:
    verifier = SsoVerifier("http://127.0.0.1:9", "druid-ingest", None, "preferred_username", timeout_s=1)
    token = jwt.encode({"sub": "x"}, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                       algorithm="RS256")
    assert looks_like_jwt(token)
    assert verifier.verify(token) is None
