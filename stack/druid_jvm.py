"""The Druid JVMs and ZooKeeper: rendered configuration, command lines, readiness."""

from __future__ import annotations

import shutil
from pathlib import Path
from string import Template

import requests

from stack import LOOPBACK, probes
from stack.settings import StackSettings

TEMPLATES = Path(__file__).resolve().parent / "druid" / "conf"
LIB_STAMP = ".druid-version"  # written by stack/install.sh once the jars for that version are complete

BASE_JVM_FLAGS = (
    "-server",
    "-XX:+ExitOnOutOfMemoryError",
    # Serial GC: two cores shared by five JVMs; parallel GC threads would only fight each other.
    "-XX:+UseSerialGC",
    "-Duser.timezone=UTC",
    "-Dfile.encoding=UTF-8",
    "-Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager",
)
# Druid 25 reaches into JDK internals (direct buffers, cleaners); JDK 17 refuses that unless opened.
JDK17_FLAGS = (
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
)


def druid_dir(settings: StackSettings) -> Path:
    return settings.var_dir / "druid"


def lib_dir(settings: StackSettings) -> Path:
    return druid_dir(settings) / "lib"


def conf_dir(settings: StackSettings) -> Path:
    return druid_dir(settings) / "conf"


def lib_installed(settings: StackSettings) -> bool:
    """Whether stack/install.sh finished copying the jars of settings.druid_version."""
    stamp = lib_dir(settings) / LIB_STAMP
    return stamp.is_file() and stamp.read_text().strip() == settings.druid_version


def base_url(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


def _template_values(settings: StackSettings) -> dict[str, str]:
    values = {
        "host": LOOPBACK,
        "var_dir": str(settings.var_dir),
        "s3_endpoint_url": settings.s3_endpoint_url,
        "s3_region": settings.s3_region,
        "s3_access_key": settings.s3_access_key,
        "s3_secret_key": settings.s3_secret_key,
    }
    ports = (
        "zookeeper_port",
        "druid_coordinator_port",
        "druid_broker_port",
        "druid_historical_port",
        "druid_indexer_port",
        "druid_metadata_port",
    )
    values.update({name: str(getattr(settings, name)) for name in ports})
    return values


def render_conf(settings: StackSettings) -> None:
    """Render stack/druid/conf/** into var/druid/conf/**, filling ports, paths and S3 access from settings."""
    values = _template_values(settings)
    for template in TEMPLATES.rglob("*"):
        if template.is_file():
            target = conf_dir(settings) / template.relative_to(TEMPLATES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(Template(template.read_text()).substitute(values))


def prepare(settings: StackSettings) -> None:
    """Configuration and the directories the JVMs write to."""
    render_conf(settings)
    (settings.var_dir / "tmp").mkdir(parents=True, exist_ok=True)
    (druid_dir(settings) / "metadata").mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "zookeeper").mkdir(parents=True, exist_ok=True)


def _java(settings: StackSettings, *, heap: str, direct: str | None, classpath: list[Path]) -> list[str]:
    java = shutil.which("java") or "java"
    memory = [f"-Xms{heap}", f"-Xmx{heap}"] + ([f"-XX:MaxDirectMemorySize={direct}"] if direct else [])
    return [
        java,
        *memory,
        *BASE_JVM_FLAGS,
        f"-Djava.io.tmpdir={settings.var_dir / 'tmp'}",
        f"-Dlog4j.configurationFile={conf_dir(settings) / '_common' / 'log4j2.xml'}",
        "-cp",
        ":".join(str(entry) for entry in classpath),
    ]


def zookeeper_command(settings: StackSettings) -> list[str]:
    """ZooKeeper from the zookeeper jar that Druid's own dependencies bring."""
    classpath = [conf_dir(settings) / "_common", lib_dir(settings) / "*"]
    return [
        *_java(settings, heap="128m", direct=None, classpath=classpath),
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        str(conf_dir(settings) / "zookeeper" / "zoo.cfg"),
    ]


def druid_command(settings: StackSettings, service: str, heap: str, direct: str | None) -> list[str]:
    """One Druid server process; its own conf directory comes first so it overrides _common."""
    classpath = [conf_dir(settings) / service, conf_dir(settings) / "_common", lib_dir(settings) / "*"]
    return [
        *_java(settings, heap=heap, direct=direct, classpath=classpath),
        *JDK17_FLAGS,
        "org.apache.druid.cli.Main",
        "server",
        service,
    ]


def zookeeper_ready(settings: StackSettings) -> bool:
    return probes.zookeeper_ok(LOOPBACK, settings.zookeeper_port)


def coordinator_ready(settings: StackSettings) -> bool:
    """Announced, and its overlord half is the leader, so it accepts tasks."""
    url = base_url(settings.druid_coordinator_port)
    if not probes.druid_self_discovered(url):
        return False
    leader = probes.http_json(f"{url}/druid/indexer/v1/isLeader")
    return isinstance(leader, dict) and leader.get("leader") is True


def indexer_ready(settings: StackSettings) -> bool:
    """Announced, and the overlord lists it as a worker, so tasks can be assigned."""
    if not probes.druid_self_discovered(base_url(settings.druid_indexer_port)):
        return False
    workers = probes.http_json(f"{base_url(settings.druid_coordinator_port)}/druid/indexer/v1/workers")
    return isinstance(workers, list) and len(workers) > 0


def historical_ready(settings: StackSettings) -> bool:
    url = base_url(settings.druid_historical_port)
    return probes.druid_self_discovered(url) and probes.http_ok(f"{url}/druid/historical/v1/readiness")


def broker_ready(settings: StackSettings) -> bool:
    url = base_url(settings.druid_broker_port)
    return probes.druid_self_discovered(url) and probes.http_ok(f"{url}/druid/broker/v1/readiness")


def set_default_load_rule(settings: StackSettings) -> None:
    """One replica per segment: the stack has one historical; the default of 2 logs a warning every period."""
    rule = [{"type": "loadForever", "tieredReplicants": {"_default_tier": 1}}]
    url = f"{base_url(settings.druid_coordinator_port)}/druid/coordinator/v1/rules/_default"
    requests.post(url, json=rule, timeout=probes.PROBE_TIMEOUT_S * 5).raise_for_status()
