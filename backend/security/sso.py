"""Single sign-on: bearer JWTs from one OIDC issuer, checked against the issuer's published keys (JWKS, fetched
through its discovery document unless a JWKS URL is given, and cached), its name, our audience and expiry."""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

# Asymmetric algorithms only: accepting HS256 here would let anyone holding the public key sign tokens.
_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384", "PS512", "EdDSA"]
_LEEWAY_S = 30


@dataclass(frozen=True)
class SsoIdentity:
    subject: str
    username: str
    claims: dict[str, Any]


class SsoVerifier:
    def __init__(self, issuer: str, audience: str, jwks_url: str | None, username_claim: str,
                 cache_s: float = 300.0, timeout_s: float = 5.0) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks_url = jwks_url
        self._username_claim = username_claim
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                url = self._jwks_url or self._discover_jwks_url()
                self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=int(self._cache_s),
                                               timeout=int(self._timeout_s))
            return self._client

    def _discover_jwks_url(self) -> str:
        discovery = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        with urllib.request.urlopen(discovery, timeout=self._timeout_s) as answer:  # noqa: S310 - configured URL
            document = json.loads(answer.read(1_000_000))
        return str(document["jwks_uri"])

    def verify(self, token: str) -> SsoIdentity | None:
        """The identity in a valid token of the issuer; None when the token is not one (bad signature, expired,
        another issuer or audience, unknown key). Failing to reach the issuer is also None: refused, not a 500."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in _ALGORITHMS:
                return None
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=_ALGORITHMS, issuer=self.issuer, audience=self.audience,
                                leeway=_LEEWAY_S, options={"require": ["exp", "iss", "aud", "sub"]})
        except (jwt.PyJWTError, OSError, ValueError, KeyError):
            return None
        username = claims.get(self._username_claim) or claims["sub"]
        return SsoIdentity(str(claims["sub"]), str(username), claims)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")
