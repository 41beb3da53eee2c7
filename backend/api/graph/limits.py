"""Limits a GraphQL query must keep, checked before it runs, each refused with an error naming it: depth, aliases,
tokens (strawberry's extensions) and cost, here: the number of objects the query could resolve, each field counted
once per object it is resolved on, lists counted at their page size (`first`, or its default) or, unpaged, at an
estimate of their length. So `jobs(first: 100) { edges { node { errors(first: 100) ... } } }` is refused before a
single row is read, while the page's 50 jobs with their events and first 10 errors are well within it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from backend.api.graph.errors import BAD_USER_INPUT

MAX_DEPTH = 10
MAX_ALIASES = 20
MAX_TOKENS = 3000
MAX_COST = 20_000
MAX_PAGE = 100
# Paged lists: their default page size when `first` is not given.
PAGED = {"jobs": 50, "errors": 10}
# Unpaged lists: about how long they are.
ESTIMATED = {"datasources": 20, "versions": 20, "events": 15, "chunks": 100, "changes": 10, "diff": 10,
             "grants": 20, "shardTypes": 2}


def query_cost(document: Any, variables: Mapping[str, Any] | None) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return sum(_cost(d.selection_set, 1, fragments, variables or {}, frozenset())
               for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _fields(selections: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode],
            seen: frozenset[str]) -> Iterator[FieldNode]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # a cycle is the validator's to refuse, not to loop on
                yield from _fields(fragments[name].selection_set, fragments, seen | {name})


def _cost(selections: SelectionSetNode, multiplier: int, fragments: Mapping[str, FragmentDefinitionNode],
          variables: Mapping[str, Any], seen: frozenset[str]) -> int:
    total = 0
    for field in _fields(selections, fragments, seen):
        total += multiplier
        if field.selection_set is not None:
            total += _cost(field.selection_set, multiplier * _length(field, variables), fragments, variables, seen)
    return total


def _length(field: FieldNode, variables: Mapping[str, Any]) -> int:
    name = field.name.value
    if name in PAGED:
        for argument in field.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, IntValueNode):
                    return max(1, int(value.value))
                if isinstance(value, VariableNode):
                    given = variables.get(value.name.value)
                    return max(1, given) if isinstance(given, int) else MAX_PAGE
        return PAGED[name]
    return ESTIMATED.get(name, 1)


class CostLimiter(SchemaExtension):
    """Refuses a query whose cost is over MAX_COST, before validation and execution."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            cost = query_cost(context.graphql_document, context.variables)
            if cost > MAX_COST:
                context.pre_execution_errors = [GraphQLError(
                    f"Query cost {cost:,} is over the limit of {MAX_COST:,}: it could resolve that many objects. "
                    "Ask for smaller pages (`first`) or fewer nested lists.",
                    extensions={"code": BAD_USER_INPUT, "limit": "cost"})]
        yield
