"""The local stack's settings: the service's own (its database URL, S3 bucket and credentials, Druid URLs, var/)
plus the knobs only the stack uses (ports, the Druid version, CPU priority of Druid), read from the same INGEST_*
environment variables. The service never reads these."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from backend.cpu_priority import BatchPriority, all_but_first
from backend.settings import Settings


class StackSettings(Settings):
    """Settings of `python stack/stackctl.py`: where the local PostgreSQL, S3, ZooKeeper and Druid listen."""

    # Its services' ports.
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

    @property
    def stack_druid_priority(self) -> BatchPriority:
        return BatchPriority(self.stack_druid_nice, self.stack_druid_sched_idle,
                             all_but_first(self.stack_druid_reserved_cpus))


@lru_cache(maxsize=1)
def get_stack_settings() -> StackSettings:
    return StackSettings()
