"""The stack's S3: moto's standalone server on loopback, with the project's bucket."""

from __future__ import annotations

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_s3 import S3Client

from stack import LOOPBACK
from stack.settings import StackSettings


def client(settings: StackSettings) -> S3Client:
    """A client for the stack's S3: path-style (the endpoint is host:port), short timeouts, few retries."""
    config = Config(
        s3={"addressing_style": "path"},
        connect_timeout=2,
        read_timeout=10,
        retries={"max_attempts": 2},
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        config=config,
    )


def command(settings: StackSettings) -> list[str]:
    # moto is pinned to 5.1.22 in the dev extras: 5.2.x breaks Druid's `prefixes` listing (stack/README.md).
    return [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(settings.s3_port)]


def server_answers(settings: StackSettings) -> bool:
    try:
        client(settings).list_buckets()
    except (BotoCoreError, ClientError):
        return False
    return True


def bucket_exists(settings: StackSettings) -> bool:
    try:
        client(settings).head_bucket(Bucket=settings.s3_bucket)
    except (BotoCoreError, ClientError):
        return False
    return True


def ensure_bucket(settings: StackSettings) -> None:
    """Create the bucket: moto keeps everything in memory, so a fresh server has none."""
    if bucket_exists(settings):
        return
    s3 = client(settings)
    if settings.s3_region == "us-east-1":  # the one region S3 refuses an explicit LocationConstraint for
        s3.create_bucket(Bucket=settings.s3_bucket)
    else:
        s3.create_bucket(
            Bucket=settings.s3_bucket,
            CreateBucketConfiguration={"LocationConstraint": settings.s3_region},  # type: ignore[typeddict-item]
        )
