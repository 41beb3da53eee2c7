"""Readiness probes: each answers "is it ready now?" quickly and never raises."""

from __future__ import annotations

import socket
from typing import Any

import requests

# Short: a probe is asked again and again until a deadline, so one slow answer must not eat the deadline.
PROBE_TIMEOUT_S = 2.0


def http_json(url: str) -> Any | None:
    """The JSON body of a 200 answer to GET url, or None on any error."""
    try:
        response = requests.get(url, timeout=PROBE_TIMEOUT_S)
        return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def http_ok(url: str) -> bool:
    """Whether GET url answers 200."""
    try:
        return requests.get(url, timeout=PROBE_TIMEOUT_S).status_code == 200
    except requests.RequestException:
        return False


def druid_self_discovered(base_url: str) -> bool:
    """Druid's own readiness: the node sees itself announced in ZooKeeper."""
    body = http_json(f"{base_url}/status/selfDiscovered/status")
    return isinstance(body, dict) and body.get("selfDiscovered") is True


def zookeeper_ok(host: str, port: int) -> bool:
    """ZooKeeper's four-letter `ruok` answered with `imok`."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as sock:
            sock.sendall(b"ruok")
            return sock.recv(16) == b"imok"
    except OSError:
        return False


def port_in_use(host: str, port: int) -> bool:
    """Whether something already accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False
