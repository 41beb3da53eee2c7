"""docker.env and docker-compose.yml agree with backend/settings.py and with each other (no Docker needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from backend.settings import REPO_ROOT, Settings
from stack.settings import StackSettings

DOCKER_ENV = REPO_ROOT / "docker.env"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
PREFIX = "INGEST_"

DRUID_SERVICES = {"coordinator", "middlemanager", "historical", "broker", "router"}
SERVICES = {"postgres", "minio", "minio-init", "zookeeper", "api", "worker", "frontend"} | DRUID_SERVICES

# The only settings whose Docker value may differ from the local default, each because the network or the
# filesystem differs in a container. A new field that needs another value here must be added with its reason.
DIFFERS_IN_DOCKER = {
    "database_url",  # host `postgres`, port 5432
    "s3_endpoint_url",  # host `minio`
    "druid_overlord_url",  # host `coordinator`
    "druid_coordinator_url",  # host `coordinator`
    "druid_broker_url",  # host `broker`
    "api_host",  # listen on all interfaces of the container
    "var_dir",  # a path inside the container
}


def read_env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """KEY=value lines as a dict, plus the keys not directly preceded by a comment line."""
    values: dict[str, str] = {}
    undocumented: list[str] = []
    previous = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}:{number}: not KEY=value: {raw!r}"
            assert key not in values, f"{path.name}:{number}: {key} is set twice"
            values[key] = value
            if not previous.startswith("#"):
                undocumented.append(key)
        previous = line
    return values, undocumented


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return read_env_file(DOCKER_ENV)[0]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No INGEST_* variable of the machine running the tests leaks into Settings()."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


def ingest_settings(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name.startswith(PREFIX)}


def env_files(service: dict[str, Any]) -> list[str]:
    """A service's env_file entries as paths (compose accepts a string, a list, or a list of {path: ...})."""
    raw = service.get("env_file", [])
    entries = raw if isinstance(raw, list) else [raw]
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries]


# ---- docker.env


def test_docker_env_names_exactly_the_settings_fields(env: dict[str, str]) -> None:
    expected = {PREFIX + name.upper() for name in Settings.model_fields}
    present = set(ingest_settings(env))
    missing, unknown = sorted(expected - present), sorted(present - expected)
    assert not missing and not unknown, (
        f"docker.env must list every field of backend.settings.Settings as INGEST_<FIELD>, nothing else. "
        f"Missing: {missing}. Not a field: {unknown}."
    )


def test_every_docker_env_entry_has_a_comment() -> None:
    undocumented = read_env_file(DOCKER_ENV)[1]
    assert not undocumented, f"docker.env: put a one-line comment above each of {undocumented}"


def test_docker_env_values_are_read_literally(env: dict[str, str]) -> None:
    """Compose expands `$` and drops ` #...` in env files, and would strip quotes: keep values plain."""
    suspicious = {
        key: value
        for key, value in env.items()
        if "$" in value or " #" in value or value[:1] in {'"', "'"} or value != value.strip()
    }
    assert not suspicious, f"docker.env values compose would not pass on as written: {suspicious}"


def test_settings_accept_every_docker_value(env: dict[str, str], clean_environ: pytest.MonkeyPatch) -> None:
    for name, value in ingest_settings(env).items():
        clean_environ.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.s3_bucket == env["INGEST_S3_BUCKET"]


def test_docker_values_differ_from_local_defaults_only_where_the_network_does(
    env: dict[str, str], clean_environ: pytest.MonkeyPatch
) -> None:
    defaults = Settings(_env_file=None)
    for name, value in ingest_settings(env).items():
        clean_environ.setenv(name, value)
    docker = Settings(_env_file=None)
    differing = {name for name in Settings.model_fields if getattr(docker, name) != getattr(defaults, name)}
    unexpected = sorted(differing - DIFFERS_IN_DOCKER)
    assert not unexpected, (
        f"docker.env changes {unexpected} from the local defaults; keep the default, or add the field to "
        f"DIFFERS_IN_DOCKER with the reason the container network needs another value"
    )


def test_service_urls_point_at_compose_services(env: dict[str, str], compose: dict[str, Any]) -> None:
    services = set(compose["services"])
    urls = {
        "INGEST_DATABASE_URL": "postgres",
        "INGEST_S3_ENDPOINT_URL": "minio",
        "INGEST_DRUID_OVERLORD_URL": "coordinator",
        "INGEST_DRUID_BROKER_URL": "broker",
        "druid_s3_endpoint_url": "minio",
    }
    for key, service in urls.items():
        host = urlsplit(env[key]).hostname
        assert host == service and host in services, f"{key}={env[key]} should name the `{service}` service"


def test_postgres_credentials_match_the_database_url(env: dict[str, str]) -> None:
    url = urlsplit(env["INGEST_DATABASE_URL"])
    assert (url.username, url.password, url.path.lstrip("/")) == (
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        env["POSTGRES_DB"],
    )
    assert url.port == 5432  # the postgres image's port, which the `postgres` service keeps
    druid_db = env["druid_metadata_storage_connector_connectURI"].rsplit("/", 1)[1]
    assert druid_db != env["POSTGRES_DB"], "Druid's metadata must not share druid-ingest's database"


def test_druid_and_druid_ingest_use_the_same_s3_store(env: dict[str, str]) -> None:
    assert env["druid_s3_endpoint_url"] == env["INGEST_S3_ENDPOINT_URL"]
    assert env["druid_s3_endpoint_signingRegion"] == env["INGEST_S3_REGION"]
    assert env["druid_s3_accessKey"] == env["INGEST_S3_ACCESS_KEY"] == env["MINIO_ROOT_USER"]
    assert env["druid_s3_secretKey"] == env["INGEST_S3_SECRET_KEY"] == env["MINIO_ROOT_PASSWORD"]
    assert env["druid_s3_enablePathStyleAccess"] == "true"
    assert len(env["MINIO_ROOT_PASSWORD"]) >= 8, "MinIO refuses a root password shorter than 8 characters"
    assert "druid-s3-extensions" in env["druid_extensions_loadList"]


# ---- docker-compose.yml


def test_compose_has_the_topology(compose: dict[str, Any]) -> None:
    missing = sorted(SERVICES - set(compose["services"]))
    assert not missing, f"docker-compose.yml lacks the services {missing}"


def test_druid_image_is_the_settings_version(
    env: dict[str, str], compose: dict[str, Any], clean_environ: pytest.MonkeyPatch
) -> None:
    # The compose file runs the Druid version the local stack (and so every test) runs.
    expected = f"apache/druid:{StackSettings(_env_file=None).druid_version}"
    images = {name: compose["services"][name].get("image") for name in sorted(DRUID_SERVICES)}
    assert all(image == expected for image in images.values()), f"expected {expected} everywhere: {images}"


def test_coordinator_acts_as_overlord(compose: dict[str, Any]) -> None:
    environment = compose["services"]["coordinator"]["environment"]
    assert str(environment["druid_coordinator_asOverlord_enabled"]).lower() == "true"


def test_middlemanager_has_slots_for_index_parallel(compose: dict[str, Any]) -> None:
    capacity = int(compose["services"]["middlemanager"]["environment"]["druid_worker_capacity"])
    assert capacity >= 2, "index_parallel needs one slot for its supervisor task and one per sub-task"


@pytest.mark.parametrize("service", ["api", "worker", *sorted(DRUID_SERVICES)])
def test_service_loads_docker_env(compose: dict[str, Any], service: str) -> None:
    assert "docker.env" in env_files(compose["services"][service])


def test_api_migrates_then_serves(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    command = " ".join(api.get("entrypoint", [])) + " " + " ".join(api.get("command", []))
    assert command.index("migrate") < command.index("serve"), command


def test_worker_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker, "--scale worker=N needs neither"


def test_dependencies_exist_and_can_be_waited_for(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on should say which condition it waits for"
        for dependency, spec in depends_on.items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}: no healthcheck"


def test_compose_cli_accepts_the_file() -> None:
    """`docker compose config` when the compose plugin is installed (it is not on every machine)."""
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30).returncode != 0
    ):
        pytest.skip("the docker compose plugin is not installed")
    command = [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
