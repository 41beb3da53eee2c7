"""The storage janitor removes what a killed process left in S3, and nothing a job holds."""

from __future__ import annotations

import subprocess
import sys
import uuid

import requests
from mypy_boto3_s3 import S3Client

from backend.settings import REPO_ROOT, Settings
from tests.polling import poll_until

from .conftest import Service, sales_csv


def test_janitor_aborts_incomplete_uploads_and_deletes_orphans_only(
    service: Service, s3: S3Client, settings: Settings, unique_tag: str
) -> None:
    bucket = settings.s3_bucket
    # An API killed mid-upload: a multipart upload with a part, never completed, and no job.
    partial_key = f"raw/{uuid.uuid4()}/partial.csv"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=partial_key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=partial_key, UploadId=upload_id, PartNumber=1, Body=b"a,b\n1,2\n")
    # Stored, then the API died before the job row committed: an object no job holds.
    orphan_key = f"raw/{uuid.uuid4()}/orphan.csv"
    s3.put_object(Bucket=bucket, Key=orphan_key, Body=b"a,b\n1,2\n")
    # A job's upload, which must stay.
    job_id = service.accepted(sales_csv(unique_tag, 5), "kept.csv")
    prefixes = [partial_key.rsplit("/", 1)[0] + "/", orphan_key.rsplit("/", 1)[0] + "/", f"raw/{job_id}/"]

    def sweep() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "backend.cli", "janitor", "--min-age-s", "0", "--delete-orphans",
             *(arg for prefix in prefixes for arg in ("--prefix", prefix))],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: another process was sweeping
        return done.stdout

    printed = poll_until(sweep, 30, "a sweep that removes both leftovers",
                         accept=lambda out: partial_key in out and orphan_key in out)
    assert "aborted 1 incomplete upload(s), deleted 1 orphaned raw object(s)" in printed
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix=prefixes[0]).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefixes[1]).get("KeyCount") == 0
    assert s3.list_objects_v2(Bucket=bucket, Prefix=prefixes[2]).get("KeyCount") == 1
    assert service.wait(job_id)["state"] in {"succeeded", "rejected"}

    metrics = requests.get(f"{service.url}/metrics", timeout=30).text
    removed = {line.split("}")[0].split('"')[1]: float(line.rsplit(" ", 1)[1])
               for line in metrics.splitlines() if line.startswith("druid_ingest_storage_removed_total{")}
    assert removed["incomplete_upload"] >= 1 and removed["orphaned_raw_object"] >= 1, removed
