"""Which methods the API serves at a request's path: the `Allow` of a 405."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# The web page's catch-all route (backend.app), which answers every method at every path: not an API route.
PAGE_PATH = "/{path:path}"


def methods_serving(request: Request) -> set[str]:
    """The methods the API's routes (not the page's catch-all) serve at the request's path.

    Asked of the router as it routes (Route.matches with each method), so routers included at any depth count, and
    every route of a path is found, not only the first (Starlette's own 405 names the first route's methods). A path
    that a literal route names (/api/v1/datasources/infer) is that resource alone, though a parameterised route
    (/api/v1/datasources/{name}) would match it too.
    """
    serving: list[tuple[str, bool]] = []  # (method, whether the matching route's path is literal)
    routes = list(_leaves(request.app.router.routes))
    for method in METHODS:
        scope = {**request.scope, "method": method}
        for route in routes:
            path = getattr(route, "path", None)
            if isinstance(route, Mount) or path == PAGE_PATH:
                continue
            if route.matches(scope)[0] is Match.FULL:
                serving.append((method, "{" not in str(path)))
                break
    literal = {method for method, is_literal in serving if is_literal}
    return literal or {method for method, _ in serving}


def _leaves(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes themselves: FastAPI keeps an included router as one entry (its `original_router` holds the routes,
    each with its whole path)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaves(inner.routes)
        else:
            yield route
