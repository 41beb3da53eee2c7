"""POST /graphql (the read API; permission: signed in, and each object as REST allows it) and GraphiQL at GET
/graphql when INGEST_GRAPHIQL=true."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from graphql import GraphQLError
from pydantic import BaseModel, ConfigDict, Field
from strawberry.http.ides import get_graphql_ide_html

from backend.api.access.permissions import PUBLIC, SIGNED_IN, requires
from backend.api.access.principal import Principal
from backend.api.deps import SettingsDep
from backend.api.graph.context import GraphContext
from backend.api.graph.errors import INTERNAL_SERVER_ERROR, from_ingest_error
from backend.api.graph.schema import schema
from backend.api.schemas import ErrorBody
from backend.errors import ErrorCode, IngestError

router = APIRouter(tags=["graphql"])
log = logging.getLogger("backend.graphql")

MAX_QUERY_CHARACTERS = 20_000


class GraphQLRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARACTERS,
                       description="A GraphQL document (queries only; its SDL is docs/schema.graphql)")
    variables: dict[str, Any] | None = None
    operationName: str | None = Field(default=None, max_length=200)  # GraphQL over HTTP names it so
    extensions: dict[str, Any] | None = None


class GraphQLResponse(BaseModel):
    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None


def _shown(error: GraphQLError) -> dict[str, Any]:
    """Errors the API says on purpose (limits, refused arguments) as they are; anything else is a bug of ours and
    is logged, its text (which may quote internals) replaced."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return dict(error.formatted)
    if isinstance(original, IngestError):
        return dict(from_ingest_error(original).formatted) | {"path": error.path}
    log.error("GraphQL resolver failed", exc_info=original, extra={"path": error.path})
    return {**error.formatted, "message": "Internal error while resolving this field.",
            "extensions": {"code": INTERNAL_SERVER_ERROR}}


@router.post("/graphql", response_model=GraphQLResponse,
             summary="The GraphQL read API: datasources, jobs (with their events and first errors) and me in one query",
             description="Queries only. The schema is committed as docs/schema.graphql. Limits: depth, aliases, "
                         "tokens, cost and page size, each refused with a GraphQL error naming it.")
async def graphql(body: GraphQLRequest, caller: Principal | None = requires(SIGNED_IN)) -> JSONResponse:
    result = await schema.execute(body.query, variable_values=body.variables, operation_name=body.operationName,
                                  context_value=GraphContext(principal=caller))
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_shown(error) for error in result.errors]
    return JSONResponse(answer)


@router.get("/graphql", responses={200: {"content": {"text/html": {}}, "description": "GraphiQL"},
                                   404: {"model": ErrorBody}},
            summary="GraphiQL, a page for exploring the GraphQL API (404 unless INGEST_GRAPHIQL=true)")
async def graphiql(settings: SettingsDep, caller: Principal | None = requires(PUBLIC)) -> HTMLResponse:
    if not settings.graphiql:
        raise IngestError(ErrorCode.not_found, "GraphiQL is off here (INGEST_GRAPHIQL=false); POST /graphql works.")
    return HTMLResponse(get_graphql_ide_html("graphiql"))
