"""Primitives from claims (SPEC §8.1): a pure function of the multiset of claims.

Claims are grouped by key. Within a key, claims with the same statement pool their confidence;
the statement with the highest summed confidence wins, a tie going to the first in the order
(statement, document id, chunk index, span). For the winner:

- `support`: how many claims state it;
- `weight` = agreement x strength, rounded to 4 digits, in [0, 1):
  agreement = its summed confidence / the key's summed confidence (conflict lowers it),
  strength = 1 - ½^(its summed confidence) (one claim at 0.9 → 0.46, three → 0.85);
- `fact`: the least of its claims' facts (they normally agree);
- `sources`: the sorted ids of every document with a claim on the key (deleting any of them
  re-derives it).

Sums use `math.fsum` (exactly rounded, so independent of order) and the output is sorted by
(component, -weight, key): the same claims in any order give the same primitives, and the
primitives of A + B without B's claims are exactly those of A.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from fased.faces.model import COMPONENTS, Claim, Primitive

WEIGHT_DIGITS = 4


def _order(claim: Claim) -> tuple[str, str, int, tuple[int, int]]:
    return (claim.statement, claim.document_id, claim.chunk_index, claim.span)


def _confidence(claims: Iterable[Claim]) -> float:
    return math.fsum(claim.confidence for claim in claims)


def weight(won: float, total: float) -> float:
    """Agreement x strength (see the module's docstring), rounded."""
    if won <= 0 or total <= 0:
        return 0.0
    return round((won / total) * (1.0 - math.pow(0.5, won)), WEIGHT_DIGITS)


def _primitive(key: str, claims: list[Claim]) -> Primitive:
    by_statement: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_statement[claim.statement].append(claim)
    statement, winners = min(
        by_statement.items(),
        key=lambda item: (-_confidence(item[1]), min(_order(c) for c in item[1])),
    )
    first = min(winners, key=_order)
    return Primitive(
        key=key,
        component=first.component,
        statement=statement,
        weight=weight(_confidence(winners), _confidence(claims)),
        support=len(winners),
        fact=min((c.fact for c in winners if c.fact is not None), default=None),
        sources=tuple(sorted({c.document_id for c in claims})),
    )


def derive(claims: Iterable[Claim]) -> list[Primitive]:
    """One primitive per key, sorted by (component order, -weight, key)."""
    by_key: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_key[claim.key].append(claim)
    primitives = [_primitive(key, group) for key, group in by_key.items()]
    return sorted(primitives, key=lambda p: (COMPONENTS.index(p.component), -p.weight, p.key))
