"""Every route of the app declares the permission it needs, in one place (a `requires(...)` dependency): a route
added without one fails here. The declarations are what the access matrix (tests/integration/api/test_access.py)
derives its expected answers from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from backend.api.access.permissions import Need, Scope, declared_need
from backend.app import create_app


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, those of included routers too (FastAPI keeps an included router as one entry)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def declared_routes() -> dict[tuple[str, str], tuple[Need, str | None]]:
    """(method, path) -> (need, audit action) for every route of the app."""
    declared: dict[tuple[str, str], tuple[Need, str | None]] = {}
    for route in api_routes(create_app().routes):
        if not isinstance(route, APIRoute):
            continue
        needs = [(need, getattr(dep.call, "action", None)) for dep in route.dependant.dependencies
                 if (need := declared_need(dep.call)) is not None]
        assert len(needs) == 1, f"{sorted(route.methods)} {route.path} declares {len(needs)} permissions"
        for method in route.methods:
            declared[(method, route.path)] = needs[0]
    return declared


def test_every_route_declares_exactly_one_permission() -> None:
    declared = declared_routes()
    assert len(declared) > 30
    assert declared[("GET", "/health")][0].scope == Scope.public
    assert declared[("GET", "/api/v1/audit")][0].scope == Scope.admin
    assert declared[("POST", "/api/v1/jobs/{job_id}/cancel")] == (Need(Scope.job, declared[(
        "POST", "/api/v1/jobs/{job_id}/cancel")][0].role, "job_id"), "job.cancel")


def test_every_state_changing_route_names_its_audit_action() -> None:
    # Read-only POSTs (a dry run, an inference from a sample, a GraphQL query) change nothing and have no action.
    read_only = {("POST", "/api/v1/datasources/{name}/schemas/check"), ("POST", "/api/v1/datasources/infer"),
                 ("POST", "/graphql")}
    unnamed = sorted(key for key, (_, action) in declared_routes().items()
                     if key[0] in {"POST", "PUT", "PATCH", "DELETE"} and action is None and key not in read_only
                     and not key[1].startswith("/{"))
    assert unnamed == []


def test_route_parameters_named_by_declarations_exist() -> None:
    for (method, path), (need, _) in declared_routes().items():
        if need.param is not None:
            assert "{" + need.param in path, f"{method} {path} checks `{need.param}`, which it does not have"
