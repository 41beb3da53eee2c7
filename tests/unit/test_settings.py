"""Settings refuse the shipped default credentials in production, naming what to change."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from backend.cli import main
from backend.settings import Settings, get_settings

OWN = {
    "database_url": "postgresql+psycopg://ingest:s3cret-of-ours@db:5432/ingest",
    "s3_access_key": "our-key",
    "s3_secret_key": "our-secret",
    "secret_key": "a-session-signing-secret-of-our-very-own",
}


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("INGEST_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_development_starts_with_the_defaults(clean_environ: pytest.MonkeyPatch) -> None:
    assert Settings().env == "development"


def test_production_refuses_every_default_credential_by_name(clean_environ: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production")
    message = str(refused.value)
    assert "INGEST_ENV=production refuses the shipped default credentials: set INGEST_DATABASE_URL (its password), " \
           "INGEST_S3_ACCESS_KEY, INGEST_S3_SECRET_KEY, INGEST_SECRET_KEY (32+ characters) to values of your own" \
           in message
    assert "druid-ingest-secret" not in message  # the error names settings, never a secret's value


def test_production_refuses_one_default_left(clean_environ: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"set INGEST_S3_SECRET_KEY to values of your own") as refused:
        Settings(env="production", **{**OWN, "s3_secret_key": Settings().s3_secret_key})
    assert "s3cret-of-ours" not in str(refused.value) and "our-key" not in str(refused.value)


def test_production_refuses_a_short_signing_secret(clean_environ: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"set INGEST_SECRET_KEY \(32\+ characters\) to values") as refused:
        Settings(env="production", **{**OWN, "secret_key": "too-short-a-secret"})
    assert "too-short-a-secret" not in str(refused.value)


def test_a_malformed_database_url_is_named(clean_environ: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match=r"INGEST_DATABASE_URL is not a database URL"):
        Settings(env="production", **{**OWN, "database_url": "not a url"})


def test_production_starts_with_credentials_of_its_own(clean_environ: pytest.MonkeyPatch) -> None:
    assert Settings(env="production", **OWN).env == "production"


def test_the_cli_says_what_to_change_and_exits_2(
    clean_environ: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environ.setenv("INGEST_ENV", "production")
    get_settings.cache_clear()
    try:
        assert main(["worker"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "configuration refused" in err and "INGEST_DATABASE_URL (its password)" in err
