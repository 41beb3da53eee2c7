"""The secrets layer (backend.security): password hashes, API keys, the page's session tokens, and single sign-on
tokens checked against a real JWKS endpoint served here with a key generated for the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.security.api_keys import digest_matches, key_digest, key_prefix, new_key
from backend.security.passwords import hash_password, password_problem, verify_password
from backend.security.session_tokens import read_session, sign_session
from backend.security.sso import SsoVerifier, looks_like_jwt

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


class _Issuer:
    """An OIDC issuer on a local port: its discovery document and JWKS, with a key made for the test."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwks = {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}
        self.requests: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                documents: dict[str, Any] = {
                    "/.well-known/openid-configuration": {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"},
                    "/jwks": jwks,
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": "druid-ingest", "sub": "u-123", "preferred_username": "ada",
                  "iat": now, "exp": now + 300, **overrides}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture()
def issuer() -> Iterator[_Issuer]:
    running = _Issuer()
    yield running
    running.server.shutdown()


def _verifier(issuer: _Issuer) -> SsoVerifier:
    return SsoVerifier(issuer.url, "druid-ingest", None, "preferred_username", timeout_s=2)


def test_a_token_of_the_issuer_is_accepted_through_its_discovered_keys(issuer: _Issuer) -> None:
    verifier = _verifier(issuer)
    identity = verifier.verify(issuer.token(druid_ingest_roles=["sales:read"]))
    assert identity is not None
    assert (identity.subject, identity.username) == ("u-123", "ada")
    assert identity.claims["druid_ingest_roles"] == ["sales:read"]
    assert verifier.verify(issuer.token()) is not None
    # Keys are cached: the discovery document and the JWKS were fetched once for both tokens.
    assert issuer.requests == ["/.well-known/openid-configuration", "/jwks"]


def test_tokens_that_are_not_the_issuers_are_refused(issuer: _Issuer) -> None:
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
