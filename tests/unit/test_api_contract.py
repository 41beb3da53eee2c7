"""The OpenAPI document types the job vocabulary as enums holding exactly backend/vocabulary.py's values, and the
committed copy (docs/openapi.json, from which the front end's client is generated) is what the app serves."""

from __future__ import annotations

import json
from typing import Any, get_args

from backend.api.schemas import PriorityName
from backend.cli import OPENAPI_DOCUMENT, openapi_text
from backend.vocabulary import JobState, Mode, OnInvalid, Priority


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(openapi_text())
    return document


def test_priority_names_are_the_vocabulary_highest_first() -> None:
    assert list(get_args(PriorityName)) == [p.name for p in sorted(Priority, reverse=True)]


def test_job_state_and_options_are_enums_in_the_document() -> None:
    schemas = _document()["components"]["schemas"]
    assert schemas["JobState"]["enum"] == [s.value for s in JobState]
    assert schemas["OnInvalid"]["enum"] == [o.value for o in OnInvalid]
    assert schemas["Mode"]["enum"] == [m.value for m in Mode]
    for model in ("JobSummary", "JobDetail", "UploadAccepted", "JobEventOut"):
        assert schemas[model]["properties"]["state"] == {"$ref": "#/components/schemas/JobState"}, model
    assert schemas["JobSummary"]["properties"]["priority"]["enum"] == ["HIGH", "MEDIUM", "LOW"]


def test_the_committed_document_is_what_the_app_serves() -> None:
    assert OPENAPI_DOCUMENT.read_text() == openapi_text(), "run `druid-ingest openapi` and commit docs/openapi.json"
