"""Matching a file's header names to a schema's column names, forgiving case and surrounding spaces."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.errors import ErrorCode, IngestError
from backend.formats.display import NAMES_SHOWN, display_names, first_names


@dataclass(frozen=True)
class ColumnMatch:
    """How a header row lines up with a schema.

    mapping: file header -> schema name; extra: headers the schema does not know (ignored, worth a warning);
    missing: required schema columns absent (the file is refused); missing_optional: optional ones absent.
    """

    mapping: dict[str, str]
    extra: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


def _key(name: str) -> str:
    return name.strip().casefold()


def match_columns(found: list[str], expected: list[str], required: list[str]) -> ColumnMatch:
    """Match headers to schema names (trimmed, case-insensitive); `required` is a subset of `expected`.

    Raises IngestError(malformed_file) if two headers match the same schema column: which one holds the data
    is a guess we refuse to make.
    """
    canonical = {_key(name): name for name in expected}
    mapping: dict[str, str] = {}
    claimed: dict[str, list[str]] = {}
    extra: list[str] = []
    for name in found:
        schema_name = canonical.get(_key(name))
        if schema_name is None:
            extra.append(name)
            continue
        claimed.setdefault(schema_name, []).append(name)
        mapping[name] = schema_name
    ambiguous = {schema_name: names for schema_name, names in claimed.items() if len(names) > 1}
    if ambiguous:
        described = "; ".join(f"{schema_name}: {display_names(names)}" for schema_name, names in ambiguous.items())
        raise IngestError(
            ErrorCode.malformed_file,
            f"Several header cells name the same column ({described}). Keep one of each and upload again.",
            {"duplicate_columns": {schema_name: first_names(names) for schema_name, names in ambiguous.items()}},
        )
    required_set = set(required)
    missing = [name for name in required if name not in claimed]
    missing_optional = [name for name in expected if name not in required_set and name not in claimed]
    return ColumnMatch(mapping=mapping, extra=extra, missing=missing, missing_optional=missing_optional)


def require_columns(match: ColumnMatch, found: list[str], *, keyed: bool = False) -> None:
    """Raise IngestError(missing_columns) naming the required columns `match` did not find.

    `keyed`: the file's columns are the keys of JSON records, not the cells of a header row. The message lists
    every missing column (the schema's, a bounded list) but only the first of the file's own names, with their
    count: the file itself holds them all.
    """
    if match.missing:
        if keyed:
            lacks = f"The JSON records lack required field(s): {', '.join(match.missing)}. Keys found"
        else:
            lacks = f"The header row lacks required column(s): {', '.join(match.missing)}. Found"
        count = f" ({len(found):,} in all)" if len(found) > NAMES_SHOWN else ""
        raise IngestError(
            ErrorCode.missing_columns,
            f"{lacks}{count}: {display_names(found) if found else 'none'}.",
            {"missing": match.missing, "found": first_names(found), "found_total": len(found)},
        )
