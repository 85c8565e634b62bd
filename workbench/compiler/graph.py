"""The step graph: topological order that follows notebook order where the DAG allows, and
cycle detection (only `after:` edges can point backwards, data always flows forwards)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable


def topological_order(
    nodes: list[str], edges: Iterable[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """(order, nodes left in cycles). `nodes` is in notebook order, the tie-breaker."""
    position = {name: i for i, name in enumerate(nodes)}
    indegree = dict.fromkeys(nodes, 0)
    children: dict[str, set[str]] = {name: set() for name in nodes}
    for parent, child in set(edges):
        if child not in children[parent]:
            children[parent].add(child)
            indegree[child] += 1
    ready = [(position[n], n) for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for child in children[name]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (position[child], child))
    stuck = [n for n in nodes if n not in order]
    return order, stuck


def ancestors(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """node -> every node with a path to it."""
    parents: dict[str, set[str]] = {}
    for parent, child in edges:
        parents.setdefault(child, set()).add(parent)
        parents.setdefault(parent, set())
    memo: dict[str, set[str]] = {}

    def visit(node: str, trail: frozenset[str]) -> set[str]:
        if node in memo:
            return memo[node]
        found: set[str] = set()
        for parent in parents.get(node, ()):
            if parent in trail:
                continue
            found.add(parent)
            found |= visit(parent, trail | {node})
        memo[node] = found
        return found

    return {node: visit(node, frozenset()) for node in parents}
