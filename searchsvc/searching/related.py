"""More like this: the words that best tell an article apart from the collection, chosen with
the Bo1 query-expansion model (Amati's divergence from randomness, as Whoosh's Expander and
Terrier use it), to search for articles about the same thing."""

from __future__ import annotations

from collections import Counter

from whoosh.classify import Bo1Model

from ..analysis import Analysis
from ..collection import Collection

RELATED_TERMS = 12


def distinctive_terms(collection: Collection, analysis: Analysis, title: str, body: str,
                      number: int = RELATED_TERMS) -> list[tuple[bytes, float]]:
    """The `number` body terms of an article (headline counted twice) with the highest Bo1
    weight, normalised so the best weighs about 1."""
    counts = Counter(analysis.terms(f"{title}\n{title}\n{body}"))
    model = Bo1Model(collection.size, collection.field_length("body"))
    total = sum(counts.values())
    scored = []
    for term, count in counts.items():
        text = term.encode("utf-8")
        frequency = collection.statistics("body", text)[0]
        if frequency:
            scored.append((model.score(count, frequency, total), term))
    if not scored:
        return []
    norm = model.normalizer(max(score for score, _ in scored), total) or 1.0
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [(term.encode("utf-8"), score / norm) for score, term in scored[:number]]
