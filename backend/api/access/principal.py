"""The caller of a request, with what they may do: admin, or a role per datasource, narrowed by an API key's scopes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.vocabulary import Actor, Role, Via

# Scopes an API key may carry: a role on every datasource its owner may reach (`read`, `upload`, `manage`), a role
# on one (`upload:sales`), `admin` (the owner's admin powers, if any) and `metrics` (GET /metrics).
ADMIN_SCOPE = "admin"
METRICS_SCOPE = "metrics"
ROLE_SCOPES = frozenset(role.value for role in Role)


def scope_problem(scope: str) -> str | None:
    """Why a scope is not one a key may carry, or None."""
    if scope in ROLE_SCOPES or scope in (ADMIN_SCOPE, METRICS_SCOPE):
        return None
    role, _, datasource = scope.partition(":")
    if role in ROLE_SCOPES and datasource:
        return None
    return (f"`{scope[:80]}` is not a scope: use read, upload, manage (every datasource you may reach), "
            "read:<datasource> (and upload:, manage:), admin or metrics")


@dataclass(frozen=True)
class Principal:
    username: str
    via: Via
    user_id: uuid.UUID | None = None  # None: an SSO identity with no user row
    is_admin: bool = False
    grants: Mapping[str, Role] = field(default_factory=dict)
    scopes: frozenset[str] | None = None  # an API key's; None: not narrowed
    key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    @property
    def acts_as_admin(self) -> bool:
        return self.is_admin and (self.scopes is None or ADMIN_SCOPE in self.scopes)

    def role_on(self, datasource: str) -> Role | None:
        """The caller's role on the datasource after the key's scopes, or None."""
        owned = Role.manage if self.is_admin else self.grants.get(datasource)
        if owned is None or self.scopes is None:
            return owned
        if ADMIN_SCOPE in self.scopes and self.is_admin:
            return owned
        allowed = [Role(role) for role, _, named in (scope.partition(":") for scope in self.scopes)
                   if role in ROLE_SCOPES and named in ("", datasource)]
        if not allowed:
            return None
        cap = max(allowed, key=lambda role: role.rank)
        return owned if cap.includes(owned) else cap

    def may(self, role: Role, datasource: str) -> bool:
        held = self.role_on(datasource)
        return held is not None and held.includes(role)

    def may_anywhere(self, role: Role) -> bool:
        """Whether some datasource allows the caller `role` (an upload is refused early when none does)."""
        if self.is_admin and (self.scopes is None or ADMIN_SCOPE in self.scopes
                              or any(scope in ROLE_SCOPES and Role(scope).includes(role) for scope in self.scopes)):
            return True
        named = set(self.grants) | {scope.partition(":")[2] for scope in self.scopes or () if ":" in scope}
        return any(self.may(role, datasource) for datasource in named)

    def readable(self) -> frozenset[str] | None:
        """The datasources the caller may read; None means every one (an admin whose key, if any, is not narrowed
        to named datasources)."""
        if self.is_admin and (self.scopes is None or ADMIN_SCOPE in self.scopes or self.scopes & ROLE_SCOPES):
            return None
        if self.is_admin:
            candidates = {scope.partition(":")[2] for scope in self.scopes or () if ":" in scope}
        else:
            candidates = set(self.grants)
        return frozenset(name for name in candidates if self.may(Role.read, name))

    def actor(self, client_address: str | None, request_id: str | None) -> Actor:
        return Actor(self.username, self.via, client_address, request_id)
