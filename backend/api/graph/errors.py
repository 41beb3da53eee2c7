"""GraphQL errors labelled the way clients (and fuzzers) tell them apart: `BAD_USER_INPUT` for a query the API
refuses on purpose (a page too large, a window that ends before it starts, a cursor it never gave), so a client
knows to change the query; anything else the server's."""

from __future__ import annotations

from graphql import GraphQLError

from backend.errors import DATA_ERROR_CODES, ErrorCode, IngestError

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# IngestError codes that mean "the question was wrong", not "the server could not answer".
_ASKED_WRONG = frozenset({ErrorCode.invalid_field, ErrorCode.not_found, ErrorCode.unknown_datasource,
                          ErrorCode.conflict}) | DATA_ERROR_CODES


def bad_input(message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT, **extensions})


def from_ingest_error(error: IngestError) -> GraphQLError:
    code = BAD_USER_INPUT if error.code in _ASKED_WRONG else error.code.value.upper()
    return GraphQLError(error.message, extensions={"code": code})
