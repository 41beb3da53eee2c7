"""Every knob of druid-ingest, read once from the environment (documented in docker.env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.cpu_priority import BatchPriority, all_but_first

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All configuration. Environment variables are the field names upper-cased with the INGEST_ prefix."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

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
    druid_request_timeout_s: float = 10.0
    druid_poll_initial_s: float = 0.5
    druid_poll_max_s: float = 5.0
    druid_task_timeout_s: float = 1800.0
    druid_query_visible_timeout_s: float = 120.0
    # A task the Overlord keeps PENDING/WAITING longer than this is shut down and the job fails saying so.
    druid_pending_timeout_s: float = 600.0
    # Protecting a shared Overlord: at most this many jobs hold a Druid task at once, submissions spaced apart.
    druid_max_running_tasks: int = Field(default=4, ge=1)
    druid_min_submit_interval_s: float = Field(default=0.0, ge=0)
    # Transient faults (S3, PostgreSQL, Overlord unreachable or 5xx): retried with exponential backoff + jitter.
    transient_retry_attempts: int = Field(default=6, ge=1)
    transient_retry_base_s: float = 1.0
    transient_retry_max_s: float = 30.0

    # HTTP API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=2, ge=1)
    # Per API process: PostgreSQL connections of the async pool behind the polled status endpoint.
    api_status_connections: int = Field(default=4, ge=1)
    max_upload_bytes: int = 5 * 1024**3
    max_records_bytes: int = 256 * 1024**2

    # Worker.
    worker_lease_s: float = 30.0
    worker_heartbeat_s: float = 5.0
    worker_poll_s: float = 0.5
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

    # The local stack (stack/stackctl.py): where it keeps data, logs and PIDs, and its ports.
    var_dir: Path = REPO_ROOT / "var"
    postgres_port: int = 5433
    s3_port: int = 9000
    zookeeper_port: int = 2181
    druid_coordinator_port: int = 8081
    druid_broker_port: int = 8082
    druid_historical_port: int = 8083
    druid_indexer_port: int = 8091
    # Derby network server holding Druid's metadata; started by the coordinator.
    druid_metadata_port: int = 1527
    druid_version: str = "25.0.0"
    stack_ready_timeout_s: float = 240.0
    # CPU priority of the local stack's ZooKeeper and Druid processes (nice 0-19, and SCHED_IDLE): on one small
    # machine shared with the API, Druid stands in for a cluster of its own, so its batch work gets the CPU that
    # requests leave (with SCHED_IDLE, nice 19 rather than 10 took bench/status.py's p99 from ~20 ms to ~14 ms).
    # PostgreSQL and S3 keep the normal priority.
    stack_druid_nice: int = Field(default=19, ge=0, le=19)
    stack_druid_sched_idle: bool = True
    # CPUs kept free of ZooKeeper and Druid (the lowest-numbered ones) for the API, PostgreSQL, S3 and workers;
    # Druid runs on the rest. 0: anywhere. Ignored when no CPU would be left for Druid.
    stack_druid_reserved_cpus: int = Field(default=1, ge=0)

    log_level: str = "INFO"

    @property
    def worker_priority(self) -> BatchPriority:
        return BatchPriority(self.worker_nice, self.worker_sched_idle)

    @property
    def stack_druid_priority(self) -> BatchPriority:
        return BatchPriority(self.stack_druid_nice, self.stack_druid_sched_idle,
                             all_but_first(self.stack_druid_reserved_cpus))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
