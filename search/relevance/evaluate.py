"""Measuring search relevance on the demo catalog with the judged queries of `queries.toml`.

Each query runs through the API's own search (`search.service.search_products`: the same rewriting, settings and
ranking), ten hits, no facets. Per query:
- nDCG@10: the hits' graded gains (2^grade - 1, discounted by log2 of the rank + 1) over the best possible order
  of every judged product in the index. A "no answer" query scores 1 when it returns no hit, else 0.
- P@3: the share of the first three hits with grade >= 2, over min(3, products with grade >= 2); "no answer": as
  nDCG.
- zero result: the query returned no hit (right for "no answer" queries, a miss for the others).
The means per class and overall are what `market search eval` prints and what the test suite holds floors on.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meilisearch_python_sdk import AsyncClient

from search.query import parse_query
from search.service import search_products

QUERIES_PATH = Path(__file__).parent / "queries.toml"
K = 10
RELEVANT = 2
NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class Judged:
    """One judged query."""

    q: str
    kind: str
    grades: dict[str, int]


@dataclass
class Outcome:
    """How one query did."""

    query: Judged
    ndcg: float
    p3: float
    hits: list[tuple[str, int]] = field(default_factory=list)
    """The first hits' names with their grades."""
    total_hits: int = 0


def load_queries(path: Path = QUERIES_PATH) -> list[Judged]:
    """The judged queries of a file (see its header for the format)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Judged(item["q"], item["class"], dict(item.get("grades") or {})) for item in data["query"]]


def _matches(condition: str, product: dict[str, Any]) -> bool:
    name = str(product.get("name", "")).lower()
    if condition.startswith("ocop:"):
        return product.get("ocop_stars") == int(condition[5:])
    if condition.startswith("cert:"):
        return condition[5:] in (product.get("certifications") or ())
    if condition.startswith("+"):
        return condition[1:].lower() in name
    return name.startswith(condition.lower())


def grade(judged: Judged, product: dict[str, Any]) -> int:
    """The highest grade among the keys the product matches (0 when none)."""
    return max(
        (
            value
            for key, value in judged.grades.items()
            if all(_matches(part.strip(), product) for part in key.split(" & "))
        ),
        default=0,
    )


def ndcg(gains: list[int], ideal: list[int], k: int = K) -> float:
    """nDCG@k of graded hits against the ideal grades (any order)."""

    def dcg(values: list[int]) -> float:
        return float(sum((2**value - 1) / math.log2(rank + 2) for rank, value in enumerate(values[:k])))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(gains) / best if best else 0.0


def precision_at_3(gains: list[int], ideal: list[int]) -> float:
    """Share of the first three hits with grade >= 2, out of what the catalog could give."""
    possible = min(3, sum(1 for value in ideal if value >= RELEVANT))
    if not possible:
        return 1.0 if not any(value >= RELEVANT for value in gains[:3]) else 0.0
    return min(1.0, sum(1 for value in gains[:3] if value >= RELEVANT) / possible)


async def catalog(meili: AsyncClient, uid: str) -> list[dict[str, Any]]:
    """Every indexed product's name, stars and certifications (the demo catalog: a few hundred)."""
    products: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await meili.index(uid).get_documents(
            offset=offset, limit=1000, fields=["id", "name", "ocop_stars", "certifications"]
        )
        products.extend(page.results)
        offset += len(page.results)
        if not page.results or offset >= page.total:
            return products


async def evaluate(meili: AsyncClient, uid: str, queries: list[Judged]) -> list[Outcome]:
    """Run every query through the API's search and score it."""
    products = await catalog(meili, uid)
    outcomes = []
    for judged in queries:
        result = await search_products(meili, uid, parse_query(q=judged.q, page_size=K, facets=["none"]))
        documents = {product["id"]: product for product in products}
        gains = [grade(judged, documents.get(hit.id, {"name": hit.name})) for hit in result.hits]
        ideal = [value for value in (grade(judged, product) for product in products) if value]
        if judged.kind == NO_ANSWER:
            score = 1.0 if not result.hits else 0.0
            outcome = Outcome(judged, score, score)
        else:
            outcome = Outcome(judged, ndcg(gains, ideal), precision_at_3(gains, ideal))
        outcome.hits = [(hit.name, value) for hit, value in zip(result.hits, gains, strict=True)]
        outcome.total_hits = result.total_hits
        outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True)
class Summary:
    """Means of one class of queries (or of all: kind "all")."""

    kind: str
    queries: int
    ndcg: float
    p3: float
    zero_result_rate: float


def summarize(outcomes: list[Outcome]) -> list[Summary]:
    """One summary per class, in first-seen order, then "all"."""
    kinds = list(dict.fromkeys(outcome.query.kind for outcome in outcomes))
    summaries = []
    for kind in [*kinds, "all"]:
        chosen = [outcome for outcome in outcomes if kind in ("all", outcome.query.kind)]
        count = len(chosen)
        summaries.append(
            Summary(
                kind,
                count,
                round(sum(outcome.ndcg for outcome in chosen) / count, 4),
                round(sum(outcome.p3 for outcome in chosen) / count, 4),
                round(sum(1 for outcome in chosen if not outcome.total_hits) / count, 4),
            )
        )
    return summaries
