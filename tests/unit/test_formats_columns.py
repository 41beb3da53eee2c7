"""match_columns / require_columns: header names against schema names."""

from __future__ import annotations

import pytest

from backend.errors import ErrorCode, IngestError
from backend.formats import ColumnMatch, match_columns, require_columns

EXPECTED = ["TransactionID", "Quantity", "UnitPrice", "Notes"]
REQUIRED = ["TransactionID", "Quantity", "UnitPrice"]


def test_matches_ignoring_case_and_surrounding_spaces() -> None:
    found = [" transactionid ", "QUANTITY", "UnitPrice", "Comment"]
    assert match_columns(found, EXPECTED, REQUIRED) == ColumnMatch(
        mapping={" transactionid ": "TransactionID", "QUANTITY": "Quantity", "UnitPrice": "UnitPrice"},
        extra=["Comment"],
        missing=[],
        missing_optional=["Notes"],
    )


def test_reports_missing_required_and_extra_columns() -> None:
    match = match_columns(["transactionID", "Price", "notes"], EXPECTED, REQUIRED)
    assert match.mapping == {"transactionID": "TransactionID", "notes": "Notes"}
    assert match.extra == ["Price"]
    assert match.missing == ["Quantity", "UnitPrice"]
    assert match.missing_optional == []


def test_inner_spaces_still_matter() -> None:
    match = match_columns(["Unit Price"], EXPECTED, REQUIRED)
    assert match.extra == ["Unit Price"]
    assert "UnitPrice" in match.missing


def test_two_headers_for_one_column_are_refused() -> None:
    with pytest.raises(IngestError) as raised:
        match_columns(["Quantity", " quantity"], EXPECTED, REQUIRED)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details == {"duplicate_columns": {"Quantity": ["Quantity", " quantity"]}}


def test_require_columns_names_what_is_missing() -> None:
    found = ["TransactionID"]
    match = match_columns(found, EXPECTED, REQUIRED)
    with pytest.raises(IngestError) as raised:
        require_columns(match, found)
    assert raised.value.code is ErrorCode.missing_columns
    assert "Quantity, UnitPrice" in raised.value.message
    assert raised.value.details == {"missing": ["Quantity", "UnitPrice"], "found": ["TransactionID"], "found_total": 1}


def test_require_columns_passes_when_complete() -> None:
    found = ["TransactionID", "Quantity", "UnitPrice"]
    require_columns(match_columns(found, EXPECTED, REQUIRED), found)
