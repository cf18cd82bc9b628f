"""The variants of query words that the stemmer misses, found in the collection and weighed
by how often they occur with the word (co-occurrence stemming)."""

from __future__ import annotations

import numpy as np
from whoosh import query

from .evaluation import contained, wanted_leaves

VARIANT_SUFFIX_CHARS = 2
VARIANT_MIN_CHARS = 4
VARIANT_MIN_DICE = 0.2


def with_variants(parsed: query.Query, variants_of, text_fields) -> query.Query:
    """`parsed` with each word also looking for the indexed words that differ from it only in
    their last VARIANT_SUFFIX_CHARS letters, weighted by how much the two occur in the same
    articles (Dice: twice the articles holding both over the sum of each one's articles):
    the stemmer leaves `syria`/`syrian`, `japan`/`japanese` and `economic`/`economy` apart,
    which mostly meet; variants that share less than VARIANT_MIN_DICE (`take` for
    `takeover`, `electr` for `election`) are left out (co-occurrence stemming, after Xu &
    Croft, "Corpus-based stemming using cooccurrence of word variants", 1998).

    A variant is scored within its word (searchsvc.evaluation.AcrossFields): its occurrences
    count as the word's, times the Dice, under the word's one saturation. MAP with them:
    TIME +0.011, CISI -0.000, CACM +0.001, Cranfield +0.003; on the first three words of each
    query, +0.004, +0.001, +0.000, +0.000; with the collections indexed as a language with
    no stemmer, where they are all the stemming there is, +0.019, +0.002, +0.009, +0.005.

    `variants_of(fieldname, term)` gives a term's (variant, Dice) pairs (`word_variants`
    finds them for every term of a query at once)."""
    taken = {(leaf.fieldname, _bytes(leaf.text)) for leaf in wanted_leaves(parsed)
             if isinstance(leaf, query.Term) and leaf.fieldname in text_fields}

    def expand(q: query.Query) -> query.Query:
        if isinstance(q, query.AndNot):
            return query.AndNot(expand(q.a), q.b)
        if isinstance(q, query.Not):
            return q
        if not isinstance(q, query.Term) or q.fieldname not in text_fields:
            return q if q.is_leaf() else q.apply(expand)
        variants = []
        for variant, dice in variants_of(q.fieldname, _bytes(q.text)):
            if (q.fieldname, variant) not in taken:
                taken.add((q.fieldname, variant))
                variants.append(query.Term(q.fieldname, variant, boost=q.boost * dice))
        return query.Or([q, *variants]) if variants else q

    return expand(parsed)


def word_variants(evaluator, words: list[tuple[str, bytes]],
                  local=None) -> dict[tuple[str, bytes], list[tuple[bytes, float]]]:
    """(variant, Dice) of the variants that `with_variants` adds to each index term of
    `words` ((field, term) pairs), for all of them at once: the articles holding a word and
    each variant are counted in the whole collection in one step. `local(field, term)`, if
    given, stands for `variant_parts` (remembered by the caller)."""
    local = local or (lambda field, word: variant_parts(evaluator, field, word))
    parts = {(field, word): local(field, word) for field, word in dict.fromkeys(words)}
    held = [both for found in parts.values() for _, _, both in found]
    if not held:
        return {key: [] for key in parts}
    shared = iter(evaluator.collection.combine("sum", np.asarray(held, dtype=np.int64)).tolist())
    variants = {}
    for (field, word), found in parts.items():
        count = evaluator.collection.doc_frequency(field, word)
        variants[field, word] = [(variant, dice) for variant, other, _ in found
                                 if (dice := 2 * next(shared) / max(count + other, 1))
                                 >= VARIANT_MIN_DICE]
    return variants


def variant_parts(evaluator, fieldname: str, word: bytes) -> list[tuple[bytes, int, int]]:
    """(variant, the articles of the collection holding it, the articles of this index
    holding it and the word) of the variants of an index term that could share enough
    articles with it."""
    collection = evaluator.collection
    count = collection.doc_frequency(fieldname, word)
    if not count:
        return []
    found = []
    holding = None
    for variant in _variants(collection, fieldname, word):
        other = collection.doc_frequency(fieldname, variant)
        if 2 * min(count, other) < VARIANT_MIN_DICE * (count + other):  # too few could share
            continue
        if holding is None:
            holding = evaluator.term_docs(fieldname, word)
        both = int(np.count_nonzero(contained(holding, evaluator.term_docs(fieldname, variant))))
        found.append((variant, other, both))
    return found


def _variants(collection, fieldname: str, word: bytes) -> list[bytes]:
    """The indexed words that are `word` with up to VARIANT_SUFFIX_CHARS letters added or
    taken off its end, the shorter of the two at least VARIANT_MIN_CHARS letters long."""
    found = []
    if len(word) >= VARIANT_MIN_CHARS:
        found += [text for text in collection.terms_from(fieldname, word, 1000)
                  if text != word and len(text) - len(word) <= VARIANT_SUFFIX_CHARS]
    for cut in range(1, VARIANT_SUFFIX_CHARS + 1):
        shorter = word[:-cut]
        if len(shorter) >= VARIANT_MIN_CHARS and collection.has_term(fieldname, shorter):
            found.append(shorter)
    return sorted(found)


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")
