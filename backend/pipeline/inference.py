"""Propose a schema definition from a sample of a file, as Druid's data loader does: types, required, rules.

The sample is read the way an upload is (`open_tabular`, same limits, blank rows skipped) and typed with the
validator's own conversion (`convert_batch`), so the proposal accepts the very rows it was inferred from:

- type: `long` if every present value converts as a long, else `double`, else `timestamp`, else `string`. Typed
  cells are taken at their word where a conversion would stretch them: a date cell or Parquet timestamp is only
  a timestamp (never its epoch number as a long), a Parquet float is a double even when its values are whole (an
  Excel number is tried as a long first: Excel stores every number as a float), a boolean is text. Epoch numbers
  are longs: the validator reads timestamps only as ISO-8601 text (see `_TEXT_FORMATS`) or date cells.
- required: no value missing in the sample, missing as the validator counts it (a null, and for a non-string
  column also blank text). A column with no value at all is an optional string, with a warning.
- formats (timestamps): the forms the values are written in, each one of the kinds the validator reads (see
  `_TEXT_FORMATS`), or the kind of typed cell; one entry when the column is consistent.
- rules: only the kinds the type allows, and only where every sampled value passes (see `_suggested_rules`).
- names: a header the service refuses (`__time`, `errors`, an empty one, ...) or one that repeats another up to
  case and surrounding spaces (which uploads do not tell apart) gets a new name, with a warning: the file's
  header must carry that name for uploads to match.

Nothing is stored; at most `max_rows` rows (plus one reader batch in passing) are held in memory.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import polars as pl

from backend.errors import ErrorCode, IngestError
from backend.formats.display import NAME_CHARS, display_names, display_text
from backend.formats.file_format import FileFormat
from backend.formats.reader import ROW_COLUMN, ReadLimits, TabularFile, open_tabular
from backend.pipeline.iso_text import iso_utc_text
from backend.schema.codec import rule_to_json
from backend.schema.declaration import (
    MAX_COLUMNS,
    MAX_NAME_CHARS,
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    Granularity,
    column_name_problem,
)
from backend.validation.conversion import TIMESTAMP_DTYPE, convert_batch

SAMPLE_ROWS_SHOWN = 20
"""How many of the sample's rows the answer shows, typed."""

EXAMPLES_SHOWN = 3
"""How many distinct values a column's stats show."""

ONE_OF_MAX_VALUES = 20
"""A text column is suggested `one_of` when it has at most this many distinct values..."""

ONE_OF_MIN_AVERAGE_REPEATS = 5
"""...and each is seen this many times on average (distinct x 5 <= count): 15 different names in 20 rows are
free text, not a list of categories, and would refuse the next file's new names."""

PATTERN_MAX_CHARS = 32
"""A `pattern` is suggested only for codes this short, all of the same length and character shape."""

_SPREADSHEETS = frozenset({FileFormat.xlsx, FileFormat.xls})
# The time column of the throw-away schema a column is converted under; sample columns are named "c0", "c1", ...
_PLACEHOLDER_TIME = "t"
_CONTROL = re.compile("[\x00-\x1f\x7f]+")
_UNNAMED = re.compile(r"__UNNAMED__(\d+)")  # fastexcel's name for a column whose header cell is empty
_LEADING_ZERO = r"^[+-]?0[0-9]"
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# The timestamp text the validator's conversion accepts (backend.validation.conversion), in three kinds that
# no value belongs to two of; each kind is one or more strptime patterns ("T" or a space between date and time,
# an optional fraction of a second).
_TEXT_FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ISO-8601 date-time with offset (Z or +hh:mm)", ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")),
    ("ISO-8601 date-time without offset (taken as UTC)", ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f")),
    ("ISO-8601 date (taken as midnight UTC)", ("%Y-%m-%d",)),
)


def infer_schema(
    path: Path, fmt: FileFormat, limits: ReadLimits, *, time_column: str | None = None, max_rows: int = 10_000
) -> dict[str, Any]:
    """A proposed schema definition for the file at `path` (of format `fmt`), from its first `max_rows` rows.

    Answers JSON-ready data: `definition` (a declaration's JSON form, with `time_column` and `granularity`),
    `columns` (per file column: proposed name, type, timestamp formats, suggested rules, stats), `time_column`,
    `rows_read`, `truncated`, `sample_rows` and `warnings`. Raises the readers' IngestError for a file that
    cannot be read, and IngestError(invalid_field) if `time_column` is not a column holding timestamps.
    """
    if max_rows < 1:
        raise ValueError("max_rows must be >= 1")
    with open_tabular(path, fmt, limits) as table:
        planned, warnings = _plan_names(table.columns, keyed=table.keyed)
        sample, truncated = _read_sample(table, {c.source_name: c.key for c in planned if c.key}, max_rows)
    now = datetime.now(UTC)
    profiles = {c.key: _profile(sample.get_column(c.key), fmt, now, c.name) for c in planned if c.key}
    chosen = _time_column(planned, profiles, time_column)
    proposals = [_proposal(c, profiles.get(c.key) if c.key else None) for c in planned]
    for column in planned:
        profile = profiles.get(column.key) if column.key else None
        if profile is not None:
            warnings.extend({"column": column.name, "message": message} for message in profile.warnings)
    if chosen is None:
        warnings.append({"column": None, "message": _NO_TIME_COLUMN})
    else:
        warnings.extend(_time_column_warnings(chosen, profiles))
    if truncated:
        warnings.append({"column": None, "message": f"Only the first {max_rows:,} rows were read; the proposal "
                                                      "rests on them, and later rows may not fit its rules."})
    time_name = chosen.name if chosen else None
    included = _within_column_limit(proposals, time_name, warnings)
    granularity = Granularity()
    return {
        "definition": {
            "time_column": time_name,
            "columns": [
                # Druid needs a time in every row: the time column is required whatever the sample says.
                {"name": p["name"], "type": p["type"], "required": p["required"] or p["name"] == time_name,
                 "rules": p["suggested_rules"]}
                for p in included
            ],
            "row_checks": [],
            "granularity": {"segment": granularity.segment.value, "query": granularity.query.value},
        },
        "columns": proposals,
        "time_column": time_name,
        "rows_read": sample.height,
        "truncated": truncated,
        "sample_rows": _sample_rows(planned, profiles, min(sample.height, SAMPLE_ROWS_SHOWN)),
        "warnings": warnings,
    }


_NO_TIME_COLUMN = (
    "No column holds timestamps the service reads (ISO-8601 dates or date-times such as 2025-01-31T13:45:00Z, or "
    "date cells), and a datasource needs one: add such a column to the file."
)


# -- names ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    """A column of the file: its header, the name proposed for it, and its key in the sample (None: unread)."""

    position: int  # 1-based, in the header
    source_name: str
    name: str
    key: str | None


def _fold(name: str) -> str:
    """How uploads compare a header with a schema name (backend.formats.columns): trimmed, case-insensitive."""
    return name.strip().casefold()


def _plan_names(columns: list[str], *, keyed: bool) -> tuple[list[_Planned], list[dict[str, Any]]]:
    """Proposed names for the file's columns, and a warning for each one renamed.

    A header the service accepts keeps its name (trimmed: uploads match it anyway); the rest are renamed only
    once all of those are known, so a new name never takes one the file already uses.
    """
    word = "key" if keyed else "header"
    kept: list[str | None] = []
    taken: set[str] = set()
    seen: set[str] = set()
    for source in columns:
        trimmed = source.strip()
        fine = source not in seen and column_name_problem(trimmed) is None and _fold(trimmed) not in taken
        kept.append(trimmed if fine else None)
        if fine:
            taken.add(_fold(trimmed))
        seen.add(source)
    planned: list[_Planned] = []
    warnings: list[dict[str, Any]] = []
    first_of: dict[str, str] = {}
    readable: set[str] = set()
    for position, (source, name) in enumerate(zip(columns, kept, strict=True), start=1):
        # Only the first of two identical headers can be read, and `__row` is the readers' own row number.
        key = f"c{position - 1}" if source not in readable and source != ROW_COLUMN else None
        if key is not None:
            readable.add(source)
        if name is None:
            name = _free_name(_fixed_name(source, position), taken)
            taken.add(_fold(name))
            reason = _rename_reason(source, first_of.get(_fold(source)), word)
            unread = "" if key else " Its values could not be read, so it is proposed as an optional string."
            warnings.append({
                "column": source,
                "message": f"{reason} It is proposed as {display_text(name, NAME_CHARS)!r}: rename the {word} in "
                           f"the file to that name for uploads to match.{unread}",
            })
        first_of.setdefault(_fold(source), source)
        planned.append(_Planned(position, source, name, key))
    return planned, warnings


def _rename_reason(source: str, earlier: str | None, word: str) -> str:
    shown = display_text(source, NAME_CHARS)
    if earlier == source:
        return f"The {word} {shown!r} appears more than once; only the first column of that name can be read."
    if earlier is not None:
        return (f"The {word} {shown!r} differs from {display_text(earlier, NAME_CHARS)!r} only in case or "
                "surrounding spaces, which uploads do not tell apart.")
    if _UNNAMED.fullmatch(source):
        return "A column's header cell is empty: Druid needs a name for every column."
    return f"The column name {shown!r} {column_name_problem(source.strip())}."


def _fixed_name(source: str, position: int) -> str:
    """`source` made acceptable: control characters replaced, Druid's leading `__` dropped, cut to length."""
    unnamed = _UNNAMED.fullmatch(source)
    if unnamed:
        return f"column_{int(unnamed.group(1)) + 1}"
    text = _CONTROL.sub("_", source).strip()
    if text.startswith("__"):
        text = text.lstrip("_")
    return text[:MAX_NAME_CHARS].strip() or f"column_{position}"


def _free_name(base: str, taken: set[str]) -> str:
    """`base`, else `base_1`, `base_2`, ...: the first the service accepts and no other column uses."""
    for number in count():
        suffix = f"_{number}" if number else ""
        candidate = base[: MAX_NAME_CHARS - len(suffix)] + suffix
        if column_name_problem(candidate) is None and _fold(candidate) not in taken:
            return candidate
    raise AssertionError("unreachable")


# -- the sample ----------------------------------------------------------------------------------------------


def _read_sample(table: TabularFile, wanted: dict[str, str], max_rows: int) -> tuple[pl.DataFrame, bool]:
    """The first `max_rows` rows of the `wanted` columns, renamed; and whether the file has more."""
    if not wanted:
        return pl.DataFrame(), False
    frames: list[pl.DataFrame] = []
    rows = 0
    batches: Iterator[pl.DataFrame] = table.batches(wanted)
    try:
        for batch in batches:
            # One row past max_rows says whether the file has more; the rest of the batch is dropped at once.
            frames.append(batch.head(max_rows + 1 - rows).drop(ROW_COLUMN))
            rows += frames[-1].height
            if rows > max_rows:
                break
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # stops the reader's streaming query
    return pl.concat(frames).head(max_rows), rows > max_rows


# -- one column ----------------------------------------------------------------------------------------------


@dataclass
class _Profile:
    type: ColumnType
    values: pl.Series  # converted as the validator converts to `type`
    formats: list[str]
    rules: list[ColumnRule]
    stats: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _profile(raw: pl.Series, fmt: FileFormat, now: datetime, name: str) -> _Profile:
    present = _present(raw)
    if present.len() == 0:
        values = _converted(raw, ColumnType.string)
        assert values is not None  # text is text
        return _Profile(ColumnType.string, values, [], [], _stats(values),
                        ["The column has no values in the sample, so it is proposed as an optional string."])
    column_type, values = _typed(raw, fmt)
    rules = _suggested_rules(values, column_type, now, name=name)
    profile = _Profile(column_type, values, [], rules, _stats(values))
    if column_type is ColumnType.timestamp:
        profile.formats = _timestamp_formats(present, fmt)
    if column_type is ColumnType.long and raw.dtype == pl.String:
        zeros = present.filter(present.str.strip_chars().str.contains(_LEADING_ZERO))
        if zeros.len():
            profile.warnings.append(
                f"Values such as {display_text(zeros[0], NAME_CHARS)!r} have leading zeros, which a long column "
                "drops: declare the column a string if they are codes rather than numbers."
            )
    return profile


def _typed(raw: pl.Series, fmt: FileFormat) -> tuple[ColumnType, pl.Series]:
    """The first type every present value of `raw` converts to, and the values converted."""
    for column_type in (*_candidate_types(raw.dtype, fmt), ColumnType.string):
        values = _converted(raw, column_type)
        if values is not None:
            return column_type, values
    raise AssertionError("every value converts to string")


def _present(raw: pl.Series) -> pl.Series:
    """The values that are there: not null, and for text not blank (the validator reads blank as missing)."""
    values = raw.drop_nulls()
    if values.dtype == pl.String:
        return values.filter(values.str.strip_chars().str.len_bytes() > 0)
    if values.dtype == pl.Null:
        return values.clear()
    return values


def _candidate_types(dtype: pl.DataType, fmt: FileFormat) -> tuple[ColumnType, ...]:
    """The types worth trying, in order, for values of `dtype`; string is the fallback of all."""
    if dtype == pl.String:
        return (ColumnType.long, ColumnType.double, ColumnType.timestamp)
    if dtype.is_integer():
        return (ColumnType.long, ColumnType.double)  # double: an unsigned value past the int64 range
    if dtype.is_float():
        return (ColumnType.long, ColumnType.double) if fmt in _SPREADSHEETS else (ColumnType.double,)
    if dtype.is_decimal():
        return (ColumnType.double,)
    if isinstance(dtype, pl.Datetime | pl.Date):
        return (ColumnType.timestamp,)
    return ()  # booleans, categories, times of day: text


def _converted(raw: pl.Series, column_type: ColumnType) -> pl.Series | None:
    """`raw` converted to `column_type` by the validator's conversion, or None if a present value does not."""
    name = raw.name
    schema = DatasourceSchema(
        name="inference",
        druid_datasource="inference",
        timestamp_column=_PLACEHOLDER_TIME,
        columns=(ColumnSpec(_PLACEHOLDER_TIME, ColumnType.timestamp), ColumnSpec(name, column_type, required=False)),
    )
    batch = raw.to_frame().with_columns(pl.lit(None, TIMESTAMP_DTYPE).alias(_PLACEHOLDER_TIME))
    converted = convert_batch(batch, schema)
    return None if name in converted.type_errors else converted.frame.get_column(name)


def _first_non_timestamp(values: pl.Series) -> str | None:
    """A present value of `values` that the validator does not read as a timestamp, shown; None if all are."""
    name = values.name
    schema = DatasourceSchema(
        name="inference",
        druid_datasource="inference",
        timestamp_column=name,
        columns=(ColumnSpec(name, ColumnType.timestamp),),
    )
    failed = convert_batch(values.to_frame(), schema).type_errors.get(name)
    if failed is None or failed.len() == 0:
        return None
    return display_text(str(values[int(failed[0])]), NAME_CHARS)


def _stats(values: pl.Series) -> dict[str, Any]:
    present = values.drop_nulls()
    ends = _json_values(present.sort().gather([0, present.len() - 1])) if present.len() else [None, None]
    return {
        "count": present.len(),
        "nulls": values.null_count(),
        "distinct": present.n_unique(),
        "min": ends[0],
        "max": ends[1],
        "examples": _json_values(present.unique(maintain_order=True).head(EXAMPLES_SHOWN)),
    }


def _json_values(values: pl.Series) -> list[Any]:
    """Values as JSON holds them: numbers, text, timestamps as ISO-8601 UTC text (the form rows are staged in)."""
    if isinstance(values.dtype, pl.Datetime):
        return iso_utc_text(values).to_list()
    return values.to_list()


def _timestamp_formats(present: pl.Series, fmt: FileFormat) -> list[str]:
    """The formats the column's values are written in (see _TEXT_FORMATS), or the kind of typed cell they are."""
    dtype = present.dtype
    if isinstance(dtype, pl.Datetime):
        if fmt in _SPREADSHEETS:
            return ["Excel date cell"]
        zone = "with time zone" if dtype.time_zone else "without time zone (taken as UTC)"
        return [f"Parquet timestamp {zone}"]
    if dtype == pl.Date:
        return ["Excel date cell" if fmt in _SPREADSHEETS else "Parquet date (taken as midnight UTC)"]
    text = present.str.strip_chars()
    found: list[str] = []
    for label, patterns in _TEXT_FORMATS:
        parsed = [text.str.to_datetime(p, time_unit="us", strict=False, cache=False).is_not_null() for p in patterns]
        if pl.select(pl.any_horizontal(parsed)).to_series().any():
            found.append(label)
    return found


_IDENTIFIER = re.compile(r"(^|[^a-z])(id|key|number|no)$|[a-z](Id|ID|Key|Number|No)$", re.IGNORECASE)


def _names_an_identifier(name: str) -> bool:
    """`order_id`, `OrderId`, `id`, `invoice_number`, `row_key`: a name that says each value is one of a kind."""
    return _IDENTIFIER.search(name.strip()) is not None


def _suggested_rules(values: pl.Series, column_type: ColumnType, now: datetime, *, name: str) -> list[ColumnRule]:
    """The rules every sampled value passes that say something about the column; only kinds `column_type` allows.

    string: not_blank (no value missing or blank); one_of for a few values seen often (see ONE_OF_MAX_VALUES);
    pattern for short fixed-shape codes that are not all digits, when one_of is not suggested. string: unique when
    no value repeats (two values at least); long: the same, when the column's name says it is an identifier
    (`order_id`, `OrderId`, `invoice_number`). long and double: min 0 when no value is negative.
    timestamp: not_in_future when no value is after now.
    """
    present = values.drop_nulls()
    total, distinct = present.len(), present.n_unique()
    rules: list[ColumnRule] = []
    if column_type is ColumnType.string:
        blank = int((present.str.strip_chars().str.len_bytes() == 0).sum())
        if values.null_count() == 0 and blank == 0:
            rules.append(ColumnRule.not_blank())
        if total >= 2 and distinct == total:
            rules.append(ColumnRule.unique())
        one_of = blank == 0 and distinct <= ONE_OF_MAX_VALUES and distinct * ONE_OF_MIN_AVERAGE_REPEATS <= total
        if one_of:
            rules.append(ColumnRule.one_of(*sorted(present.unique().to_list())))
        elif blank == 0 and total >= 2:
            pattern = _shape_pattern(present)
            if pattern is not None:
                rules.append(pattern)
    elif column_type is ColumnType.long:
        # A sample of random measurements often holds no repeat; only an identifier's name says it must never.
        if total >= 2 and distinct == total and _names_an_identifier(name):
            rules.append(ColumnRule.unique())
        if bool((present >= 0).all()):
            rules.append(ColumnRule.at_least(0))
    elif column_type is ColumnType.double:
        if bool((present >= 0).all()):
            rules.append(ColumnRule.at_least(0))
    elif bool((present <= now).all()):
        rules.append(ColumnRule.not_in_future())
    return rules


# -- pattern -------------------------------------------------------------------------------------------------

_CLASSES = (
    (string.ascii_uppercase, "[A-Z]", "upper-case letter"),
    (string.ascii_lowercase, "[a-z]", "lower-case letter"),
    (string.digits, "[0-9]", "digit"),
)
# Printable ASCII punctuation and the space stand for themselves; these are escaped (all escapable in Rust's
# regex, which runs the validator's patterns). Any other character means no pattern is suggested.
_LITERALS = frozenset(string.punctuation + " ")
_ESCAPED = frozenset("\\.+*?()|[]{}^$#&-~")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _shape(value: str) -> tuple[tuple[str, int], ...] | None:
    """`value` as runs of (character class or literal character, length); None if it holds another character."""
    runs: list[tuple[str, int]] = []
    for char in value:
        piece = next((regex for chars, regex, _ in _CLASSES if char in chars), None)
        if piece is None:
            if char not in _LITERALS:
                return None
            piece = f"\\{char}" if char in _ESCAPED else char
        if runs and runs[-1][0] == piece:
            runs[-1] = (piece, runs[-1][1] + 1)
        else:
            runs.append((piece, 1))
    return tuple(runs)


PATTERN_MAX_RUNS = 4


def _shape_pattern(present: pl.Series) -> ColumnRule | None:
    """A pattern rule if every value has the same short shape of letters and digits ("[A-Z]{2}-[0-9]{4}")."""
    lengths = present.str.len_chars()
    if lengths.n_unique() != 1 or not 0 < int(lengths[0]) <= PATTERN_MAX_CHARS:
        return None
    shapes = {_shape(value) for value in present.unique().to_list()}
    if len(shapes) != 1:
        return None
    runs = shapes.pop()
    # A code has a few runs ("AB-1234": three); more (hex ids, "d1f60a6e-u000123") is an accident of the sample.
    if runs is None or len(runs) > PATTERN_MAX_RUNS or all(piece == "[0-9]" for piece, _ in runs):
        return None
    regex = "".join(piece if length == 1 else f"{piece}{{{length}}}" for piece, length in runs)
    # The validator anchors a pattern the same way; a shape that somehow does not match is not suggested.
    if not bool(present.str.contains(f"^(?:{regex})$").all()):
        return None
    return ColumnRule.matches(regex, ", then ".join(_said(piece, length) for piece, length in runs))


def _said(piece: str, length: int) -> str:
    for _, regex, noun in _CLASSES:
        if piece == regex:
            number = _NUMBER_WORDS[length] if length < len(_NUMBER_WORDS) else str(length)
            return f"{number} {noun}{'s' if length > 1 else ''}"
    return repr(piece.removeprefix("\\") * length)


# -- the time column -----------------------------------------------------------------------------------------


def _looks_like_time(name: str) -> bool:
    words = [word.lower() for word in _NAME_WORDS.findall(name)]
    return any("time" in word or "date" in word for word in words) or "ts" in words


def _time_column(
    planned: list[_Planned], profiles: dict[str, _Profile], requested: str | None
) -> _Planned | None:
    """The requested column (checked), else the first timestamp column named like a time, else the first one."""
    if requested is not None:
        return _requested_time_column(planned, profiles, requested)
    timestamps = [c for c in planned if c.key and profiles[c.key].type is ColumnType.timestamp]
    return next((c for c in timestamps if _looks_like_time(c.name)), timestamps[0] if timestamps else None)


def _requested_time_column(planned: list[_Planned], profiles: dict[str, _Profile], requested: str) -> _Planned:
    column = (
        next((c for c in planned if c.name == requested), None)
        or next((c for c in planned if c.source_name == requested), None)
        or next((c for c in planned if _fold(c.name) == _fold(requested)), None)
    )
    shown = display_text(requested, NAME_CHARS)
    if column is None:
        raise IngestError(
            ErrorCode.invalid_field,
            f"time_column {shown!r} is not a column of the file; its columns are "
            f"{display_names([c.source_name for c in planned])}.",
            {"field": "time_column"},
        )
    if column.key is None:
        raise IngestError(
            ErrorCode.invalid_field,
            f"time_column {shown!r} cannot be read (see the warnings); rename it in the file first.",
            {"field": "time_column"},
        )
    profile = profiles[column.key]
    if profile.type is not ColumnType.timestamp:
        if profile.stats["count"] == 0:
            why = "it has no values in the sample"
        else:
            example = _first_non_timestamp(profile.values) if profile.type is ColumnType.string else None
            example = example or display_text(str(profile.stats["examples"][0]), NAME_CHARS)
            why = (f"its values are not timestamps the service reads (ISO-8601 dates or date-times, or date cells), "
                   f"e.g. {example!r}")
        raise IngestError(
            ErrorCode.invalid_field,
            f"time_column {shown!r} cannot be the time column: {why}.",
            {"field": "time_column"},
        )
    return column


def _time_column_warnings(chosen: _Planned, profiles: dict[str, _Profile]) -> list[dict[str, Any]]:
    assert chosen.key is not None
    missing = profiles[chosen.key].stats["nulls"]
    if not missing:
        return []
    return [{
        "column": chosen.name,
        "message": f"{missing:,} row(s) of the sample have no value in the time column; Druid needs one in "
                   "every row, so the time column is required and such rows will be refused.",
    }]


# -- the answer ----------------------------------------------------------------------------------------------


def _proposal(column: _Planned, profile: _Profile | None) -> dict[str, Any]:
    if profile is None:
        return {"name": column.name, "source_name": column.source_name, "type": ColumnType.string.value,
                "formats": [], "required": False, "suggested_rules": [], "stats": None}
    return {
        "name": column.name,
        "source_name": column.source_name,
        "type": profile.type.value,
        "formats": profile.formats,
        "required": profile.stats["nulls"] == 0 and profile.stats["count"] > 0,
        "suggested_rules": [rule_to_json(rule) for rule in profile.rules],
        "stats": profile.stats,
    }


def _within_column_limit(
    proposals: list[dict[str, Any]], time_name: str | None, warnings: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The proposals a declaration can hold: the first MAX_COLUMNS, the time column among them."""
    if len(proposals) <= MAX_COLUMNS:
        return proposals
    included = proposals[:MAX_COLUMNS]
    if time_name is not None and all(p["name"] != time_name for p in included):
        included = [*proposals[: MAX_COLUMNS - 1], *(p for p in proposals if p["name"] == time_name)]
    warnings.append({
        "column": None,
        "message": f"The file has {len(proposals):,} columns and a datasource at most {MAX_COLUMNS:,}: the "
                   "definition holds the first of them (and the time column); uploads ignore the others.",
    })
    return included


def _sample_rows(planned: list[_Planned], profiles: dict[str, _Profile], rows: int) -> list[dict[str, Any]]:
    columns = {
        c.name: _json_values(profiles[c.key].values.head(rows)) if c.key else [None] * rows for c in planned
    }
    return [{name: values[index] for name, values in columns.items()} for index in range(rows)]
