"""Streaming upload: the API's peak RSS while a large file streams through it to S3, and the MB/s.

Starts its own API process (on a spare port) against the running local stack, uploads files of two sizes, and
samples the API's RSS from /proc while each upload runs: flat in file size is the target.
Usage: python bench/upload.py [--sizes-mb 256 1024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_service import bench_key  # noqa: E402 - needs REPO on the path

# The bench admin's key, sent with every request (access control stays on, as by default).
AUTHORIZATION: dict[str, str] = {}
PORT = 18_799
TARGET_PEAK_RSS_MB = 200
# "Flat in file size": the largest file's peak may exceed the smallest's by this much at most (sampling noise).
FLAT_TOLERANCE_MB = 10


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def body(size: int, boundary: str) -> Iterator[bytes]:
    # force=true: every run sends the same bytes, which the API would otherwise refuse as a duplicate.
    yield f'--{boundary}\r\nContent-Disposition: form-data; name="force"\r\n\r\ntrue\r\n'.encode()
    yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n').encode()
    chunk = b"TransactionID,Quantity\n" + b"x" * (1024 * 1024 - 23)
    sent = 0
    while sent < size:
        piece = chunk[: size - sent]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def upload(url: str, size: int) -> float:
    boundary = "benchboundary"
    started = time.perf_counter()
    response = requests.post(f"{url}/api/v1/uploads", data=body(size, boundary),
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **AUTHORIZATION},
                             timeout=600)
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text
    # Each upload is a job; the bench's bytes are not a sales file, so cancel it rather than leave work queued.
    requests.post(f"{url}/api/v1/jobs/{response.json()['job_id']}/cancel", headers=AUTHORIZATION, timeout=30)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[256, 1024])
    args = parser.parse_args()
    env = dict(os.environ, INGEST_API_PORT=str(PORT), INGEST_MAX_UPLOAD_BYTES=str(8 * 1024**3))
    AUTHORIZATION["Authorization"] = f"Bearer {bench_key()}"
    # One API process, so the RSS sampled is that of the process doing the streaming.
    api = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(PORT), "--workers", "1"],
                           env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        idle = rss_mb(api.pid)
        print(f"API RSS idle: {idle:.0f} MB")
        peaks: dict[int, float] = {}
        # Smallest first: a later, larger upload must not get credit for memory an earlier one left held.
        for size_mb in sorted(set(args.sizes_mb)):
            peak = [idle]
            done = threading.Event()

            def sample(peak: list[float] = peak, done: threading.Event = done) -> None:
                while not done.wait(0.05):
                    peak[0] = max(peak[0], rss_mb(api.pid))

            sampler = threading.Thread(target=sample)
            sampler.start()
            seconds = upload(url, size_mb * 1024 * 1024)
            done.set()
            sampler.join()
            peaks[size_mb] = peak[0]
            print(f"{size_mb:>6} MB: {size_mb / seconds:6.1f} MB/s, API peak RSS {peak[0]:.0f} MB")
        worst = max(peaks.values())
        verdict = "PASS" if worst < TARGET_PEAK_RSS_MB else "FAIL"
        print(f"{verdict}  API peak RSS < {TARGET_PEAK_RSS_MB} MB: {worst:.0f} MB")
        if len(peaks) < 2:
            print("flat in file size: not judged (give two sizes or more)")
            return
        growth = peaks[max(peaks)] - peaks[min(peaks)]
        print(f"{'PASS' if growth <= FLAT_TOLERANCE_MB else 'FAIL'}  flat in file size ({max(peaks)} MB file vs "
              f"{min(peaks)} MB file, within {FLAT_TOLERANCE_MB} MB): {growth:+.0f} MB")
    finally:
        api.terminate()
        api.wait(timeout=20)


if __name__ == "__main__":
    main()
