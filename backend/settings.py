"""Every knob of druid-ingest, read once from the environment (documented in docker.env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from backend.cpu_priority import BatchPriority

REPO_ROOT = Path(__file__).resolve().parent.parent
_DEFAULT_SECRET_KEY = "development-only-secret-change-me-in-production"  # noqa: S105 - refused in production
_MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    """All configuration. Environment variables are the field names upper-cased with the INGEST_ prefix."""

    # hide_input_in_errors: a refused setting is named, its value (maybe a secret) never printed.
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", hide_input_in_errors=True)

    # `production` refuses to start with the shipped default credentials (below), naming the setting to change.
    env: Literal["development", "production"] = "development"

    # PostgreSQL: the job store.
    database_url: str = "postgresql+psycopg://druid_ingest:druid_ingest@127.0.0.1:5433/druid_ingest"

    # S3-compatible object store: raw uploads, staged rows, error reports.
    s3_endpoint_url: str = "http://127.0.0.1:9000"
    s3_region: str = "us-east-1"
    s3_access_key: str = "druid-ingest"
    s3_secret_key: str = "druid-ingest-secret"  # noqa: S105 - local default; the stack's S3 accepts any key
    s3_bucket: str = "druid-ingest"
    # Part size of streaming multipart uploads (S3's minimum is 5 MiB).
    s3_multipart_chunk_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024)
    # When botocore checks a download against the object's stored checksum: "when_supported" (botocore's
    # default: always) or "when_required" (only when a request asks). moto, like several S3-compatible stores,
    # presents the checksum of an object uploaded in parts as a whole-object one, so with "when_supported" every
    # download of a report larger than one part broke at its last byte. Against AWS S3 "when_supported" works.
    s3_response_checksum_validation: Literal["when_supported", "when_required"] = "when_required"

    # Apache Druid.
    druid_overlord_url: str = "http://127.0.0.1:8081"
    druid_broker_url: str = "http://127.0.0.1:8082"
    # The Coordinator (automatic compaction's config); here and in docker-compose it also serves the Overlord.
    druid_coordinator_url: str = "http://127.0.0.1:8081"
    druid_request_timeout_s: float = 10.0
    druid_poll_initial_s: float = 0.5
    druid_poll_max_s: float = 5.0
    druid_task_timeout_s: float = 1800.0
    druid_query_visible_timeout_s: float = 120.0
    # A task the Overlord keeps PENDING/WAITING longer than this is shut down and the job fails saying so.
    druid_pending_timeout_s: float = 600.0
    # A Druid task lost with its indexer ("Canceled as unknown task") is submitted again by itself, as a new
    # attempt of the job, up to this many attempts in all.
    druid_lost_task_attempts: int = Field(default=3, ge=1)
    # Protecting a shared Overlord: at most this many jobs hold a Druid task at once, submissions spaced apart.
    druid_max_running_tasks: int = Field(default=4, ge=1)
    druid_min_submit_interval_s: float = Field(default=0.0, ge=0)
    # Coalescing (backend.pipeline.coalesce): staged append jobs of one datasource, schema version and staged
    # format share one index_parallel task. A group is submitted once its oldest member has waited the window, or
    # once it holds max_rows rows or max_jobs jobs, whichever comes first. Off: one task per job.
    druid_coalesce: bool = True
    druid_coalesce_window_s: float = Field(default=2.0, ge=0, le=3600)
    druid_coalesce_max_rows: int = Field(default=1_000_000, ge=1)
    druid_coalesce_max_jobs: int = Field(default=5_000, ge=1, le=10_000)
    # Transient faults (S3, PostgreSQL, Overlord unreachable or 5xx): retried with exponential backoff + jitter.
    transient_retry_attempts: int = Field(default=6, ge=1)
    transient_retry_base_s: float = 1.0
    transient_retry_max_s: float = 30.0

    # HTTP API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=2, ge=1)
    # Per API process: PostgreSQL connections of the async pool behind the polled status endpoint and the records
    # posts kept inline (with 4, single-record posts at 500/s queued for a connection: p99 over 200 ms).
    api_status_connections: int = Field(default=8, ge=1)
    max_upload_bytes: int = 5 * 1024**3
    max_records_bytes: int = 256 * 1024**2
    # A records body up to this size is kept in PostgreSQL with its job (one transaction, accepted in
    # milliseconds); a larger one streams to S3 like a file.
    records_inline_max_bytes: int = Field(default=64 * 1024, ge=0, le=16 * 1024**2)
    # A sample sent to POST /api/v1/datasources/infer (kept on local disk while it is read, then deleted).
    max_infer_bytes: int = 256 * 1024**2
    max_infer_rows: int = Field(default=100_000, ge=1)

    # Access control (backend.api.access). secret_key signs the web page's session tokens: production refuses
    # the default and anything shorter than 32 characters.
    auth_required: bool = True
    secret_key: str = _DEFAULT_SECRET_KEY
    session_token_s: float = Field(default=900.0, ge=60, le=86_400)  # a cookie token's life, renewed while in use
    session_max_s: float = Field(default=12 * 3600.0, ge=300, le=30 * 86_400)  # a sign-in's life however active
    metrics_public: bool = False
    # GraphiQL at GET /graphql, for exploring the read API in a browser (off in production by default).
    graphiql: bool = False
    # Failed sign-ins: `login_max_failures` within `login_window_s` for one username (five times as many for one
    # address) lock it out for `login_lockout_s` (429); every failure before that is slowed a little more.
    login_max_failures: int = Field(default=10, ge=1, le=1000)
    login_window_s: float = Field(default=900.0, ge=1)
    login_lockout_s: float = Field(default=900.0, ge=1)
    # Single sign-on (optional): bearer JWTs of this OIDC issuer, for this audience; the keys come from the
    # issuer's discovery document unless oidc_jwks_url is set. oidc_roles_claim holds a list such as
    # ["admin"] or ["upload:sales", "read:events"] (role:datasource, as API key scopes); oidc_username_claim names
    # the user (the subject when the claim is absent).
    oidc_issuer: str = ""  # empty: single sign-on off
    oidc_audience: str = "druid-ingest"
    oidc_jwks_url: str = ""  # empty: from the issuer's discovery document
    oidc_roles_claim: str = "druid_ingest_roles"
    oidc_username_claim: str = "preferred_username"
    # Containers: an admin created on first start when none exists (the password is never logged).
    bootstrap_admin_username: str = ""
    bootstrap_admin_password: str = ""

    # Worker.
    worker_lease_s: float = 30.0
    worker_heartbeat_s: float = 5.0
    worker_poll_s: float = 0.5
    # Jobs one worker runs at once. Their CPU-bound steps (reading, validating, staging) run in a pool of
    # worker_cpu_processes processes (0, the default: as many as the cores this process may use); waiting on Druid
    # holds none.
    worker_concurrency: int = Field(default=5, ge=1, le=64)
    worker_cpu_processes: int = Field(default=0, ge=0, le=64)  # 0: the cores
    # CPU priority of worker processes (nice, 0-19): validation is batch work and yields to the API on a shared host.
    worker_nice: int = Field(default=10, ge=0, le=19)
    # Run workers under SCHED_IDLE as well: any request-serving process that wakes up takes the CPU from them at
    # once (backend.cpu_priority).
    worker_sched_idle: bool = True
    validation_batch_rows: int = 250_000
    error_sample_limit: int = 10_000
    max_spreadsheet_cells: int = 50_000_000
    max_spreadsheet_inflated_bytes: int = 2 * 1024**3
    max_spreadsheet_ratio: int = 200
    # The storage janitor (backend.pipeline.janitor): workers sweep this often, removing incomplete multipart
    # uploads and raw objects no job holds once they are this old (older than any upload still in progress).
    janitor_interval_s: float = Field(default=600.0, gt=0)
    janitor_min_age_s: float = Field(default=6 * 3600.0, ge=3600)
    # Delete raw uploads no job of THIS database holds. Only safe when the bucket belongs to this database alone
    # (a bucket shared by several deployments, or by the tests' databases, holds uploads of jobs it cannot see).
    janitor_delete_orphans: bool = False

    # Where the service keeps its working files (validation scratch space), logs and PIDs of `druid-ingest app`.
    var_dir: Path = REPO_ROOT / "var"

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_default_credentials_in_production(self) -> Self:
        if self.env == "production":
            shipped = default_credentials_in_use(self)
            if shipped:
                raise ValueError(
                    "INGEST_ENV=production refuses the shipped default credentials: set "
                    + ", ".join(shipped) + " to values of your own"
                )
        return self

    @property
    def worker_priority(self) -> BatchPriority:
        return BatchPriority(self.worker_nice, self.worker_sched_idle)


_DEFAULT_DATABASE_PASSWORD = "druid_ingest"  # noqa: S105 - the local stack's; refused in production


def default_credentials_in_use(settings: Settings) -> list[str]:
    """The INGEST_* settings that still hold a credential this repository ships (fine on a laptop only)."""
    shipped = []
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        raise ValueError(
            "INGEST_DATABASE_URL is not a database URL (postgresql+psycopg://user:password@host:port/db)"
        ) from None
    if password == _DEFAULT_DATABASE_PASSWORD:
        shipped.append("INGEST_DATABASE_URL (its password)")
    defaults = Settings.model_fields
    for name in ("s3_access_key", "s3_secret_key"):
        if getattr(settings, name) == defaults[name].default:
            shipped.append(f"INGEST_{name.upper()}")
    if settings.secret_key == _DEFAULT_SECRET_KEY or len(settings.secret_key) < _MIN_SECRET_KEY_LENGTH:
        shipped.append(f"INGEST_SECRET_KEY ({_MIN_SECRET_KEY_LENGTH}+ characters)")
    return shipped


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
