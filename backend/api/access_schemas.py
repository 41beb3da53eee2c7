"""Request and response bodies of sign-in, users, API keys, grants and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from backend.api.params import NO_CONTROL_CHARACTERS, RFC3339_ONLY
from backend.security.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from backend.vocabulary import Role

_STRICT = ConfigDict(extra="forbid")


class LoginIn(BaseModel):
    model_config = _STRICT
    username: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL_CHARACTERS)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    username: str
    display_name: str
    via: str = Field(description="password | session | key | sso")
    is_admin: bool = Field(description="Admin powers in effect (an API key without the admin scope has none)")
    grants: dict[str, Role] = Field(description="Role per datasource, after the API key's scopes")
    scopes: list[str] | None = Field(description="The API key's scopes; null when not signed in with a key")
    csrf_token: str | None = Field(description="Send as X-CSRF-Token with state-changing requests (cookie sessions)")


class UserIn(BaseModel):
    model_config = _STRICT
    username: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                          description="Lower-case letters, digits, '.', '_' and '-'; starts with a letter or digit")
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="None: signs in by SSO only")
    display_name: str = Field(default="", max_length=200, pattern=NO_CONTROL_CHARACTERS)
    is_admin: StrictBool = False


class UserPatch(BaseModel):
    model_config = _STRICT
    display_name: str | None = Field(default=None, max_length=200, pattern=NO_CONTROL_CHARACTERS)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="A new password (a reset)")
    active: StrictBool | None = None
    is_admin: StrictBool | None = None


class UserOut(BaseModel):
    username: str
    display_name: str
    is_admin: bool
    active: bool
    grants: dict[str, Role]
    created_at: datetime
    last_login_at: datetime | None


class UserList(BaseModel):
    items: list[UserOut]


class GrantIn(BaseModel):
    model_config = _STRICT
    role: Role


class GrantOut(BaseModel):
    datasource: str
    username: str
    role: Role


class KeyIn(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200, pattern=NO_CONTROL_CHARACTERS)
    scopes: list[str] = Field(min_length=1, max_length=50, description=(
        "read, upload or manage (every datasource you may reach), read:<datasource> (and upload:, manage:), "
        "admin, metrics"))
    expires_at: Annotated[datetime | None, RFC3339_ONLY] = Field(default=None, description="None: until revoked")


class KeyOut(BaseModel):
    key_id: uuid.UUID
    prefix: str
    name: str
    owner: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="The key itself: shown this once, never again")


class KeyList(BaseModel):
    items: list[KeyOut]


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    via: str | None
    action: str
    target: str | None
    outcome: str
    status_code: int | None
    client_address: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditList(BaseModel):
    total: int
    items: list[AuditEventOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next (older) page")


class GrantList(BaseModel):
    items: list[GrantOut]
