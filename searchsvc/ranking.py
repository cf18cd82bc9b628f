"""How results are ordered by relevance beyond each word's score (searchsvc.weighting for the
model, searchsvc.evaluation for how a word's fields and forms are scored together): a bonus
for words typed side by side that articles use together and a bonus for a word's form as
typed (searchsvc.variants adds the forms of query words that the stemmer misses).

Holding more of the query's words weighs through the score alone, each word adding its own
(a rare word more than a common one). The hard tier this replaces (for queries of up to
three words, articles holding more of the words first) buried an article holding a rare
query word many times below articles holding only common ones, and it lost on the short
queries it was made for: on queries made of three words of each collection's queries (the
first three indexed; the three rarest), MAP fell on every collection of bench/relevance.py
(first three: TIME 0.322 -> 0.280, CISI 0.108 -> 0.097, CACM 0.231 -> 0.191, Cranfield
0.140 -> 0.122; three rarest: -0.024, -0.004, -0.017, -0.012; full queries: CACM -0.007,
the others unchanged). A softer weight, multiplying the score by the share of the words an
article holds (Lucene's old "coord"; by count or by idf, its square root to its square),
lost everywhere too (full queries, at its mildest: TIME 0.644 -> 0.616, CISI 0.248 -> 0.227,
CACM 0.372 -> 0.360, Cranfield 0.333 -> 0.324).

Figures below are MAP on bench/relevance.py's four collections, TIME, CISI, CACM and
Cranfield, with and without each mechanism, the others as served.
"""

from __future__ import annotations

import math

import numpy as np
from whoosh import query
from whoosh.support.charset import accent_map

from .analysis import split_words, whole_words
from .evaluation import contained, wanted_leaves
from .segments import TEXT_FIELDS
from .weighting import FIELD_WEIGHTS, informative_content, normalised

PROXIMITY_WEIGHT = 0.2
PROXIMITY_WINDOW = 8
PROXIMITY_DEPTH = 50
PROXIMITY_K1 = 1.2
PROXIMITY_B = 0.75
TYPED_WEIGHT = 0.25
TYPED_DEPTH = 20
"""How many of the best by score each bonus looks at. From 100 and 50, they changed MAP by
0.0005 or less on every collection of bench/relevance.py (TIME 0.6440 -> 0.6445, CISI
0.2480 -> 0.2475, CACM 0.3722 -> 0.3723, Cranfield 0.3328 -> 0.3327; nDCG@10 the same or
better) and halved the bonuses' cost: reading the stored articles was most of the typed
form's, finding the words' positions most of the proximity's."""


def relevance_scores(evaluator, parsed, text: str, docnums: np.ndarray, scores: np.ndarray,
                     best) -> tuple[np.ndarray, np.ndarray]:
    """The scores that order the matched articles (`docnums`, ascending, with their `scores`
    from the evaluation) by relevance, for the query `parsed` (searchsvc.searching.querying)
    typed as `text`: the PROXIMITY_DEPTH best get the bonus of words typed side by side that
    they hold near each other, then the TYPED_DEPTH best the bonus of the words' typed form.
    Both only raise the articles they look at, which stay above the others. `best(scores,
    count, among)` gives the positions of this index's articles among the `count` best of
    the whole collection (searchsvc.searching.stories.best), looking only at the positions
    `among` if given.

    Returns the scores and the positions of the PROXIMITY_DEPTH best: they hold every
    article ranked above any other, as the bonuses only raise them."""
    scores = scores.copy()
    chosen = np.sort(best(scores, PROXIMITY_DEPTH))
    scores[chosen] += proximity_bonus(evaluator, adjacent_pairs(parsed.words, text), docnums,
                                      docnums[chosen])
    typed = best(scores, TYPED_DEPTH, chosen)  # the bonus raised none of the others
    scores[typed] += typed_form_bonus(evaluator, parsed.words, docnums[typed])
    return scores, chosen


def adjacent_pairs(words, text: str) -> list[tuple[str, bytes, bytes]]:
    """("body", term, term of the next word) for the plain words (`words`: the query's
    searchsvc.searching.querying.Word) typed side by side in `text`, with no stop word,
    operator or field clause between them: `interest rates`, `soviet union`, `viet nam`, and
    `descriptive titles` in "problems and concerns in making up descriptive titles", but not
    `problems concerns`.

    Words that only follow each other once the stop words between them are dropped are
    mostly chance neighbours in a sentence: paired too, the bonus is mixed (TIME +0.006, CISI
    -0.002, CACM +0.004, Cranfield -0.002). With the words typed side by side it gains a
    little on the full queries (+0.002, +0.000, +0.003, +0.000) and on their first three
    words (+0.004, +0.000, +0.003, +0.000), and loses on TIME's three rarest (-0.008)."""
    typed = {word.text: word for word in words if word.kind is query.Term}
    spelled = [word.lower() for word in split_words(text)]
    pairs: list[tuple[str, bytes, bytes]] = []
    for first, second in zip(spelled, spelled[1:]):
        if first == second or first not in typed or second not in typed:
            continue
        for a in _body_terms(typed[first]):
            for b in _body_terms(typed[second]):
                if a != b and ("body", a, b) not in pairs:
                    pairs.append(("body", a, b))
    return pairs


def proximity_bonus(evaluator, pairs: list[tuple[str, bytes, bytes]], matched: np.ndarray,
                    docnums: np.ndarray) -> np.ndarray:
    """The bonus of each of `docnums` (ascending; the PROXIMITY_DEPTH best by score) for each
    pair of query words (`adjacent_pairs`) that an article holds within PROXIMITY_WINDOW
    words of each other: articles that use them together rank above those that mention each
    somewhere. The bonus is BM25 of the number of times the first word has the second near
    it, with the idf of the matched articles (`matched`, ascending document numbers) holding
    both words."""
    bonus = np.zeros(len(docnums))
    if not pairs:
        return bonus
    collection = evaluator.collection
    generation = evaluator.generation
    documents = max(collection.size, 1)
    held = []
    in_matched = np.zeros(generation.size, dtype=bool)
    in_matched[matched] = True
    for fieldname, first, second in pairs:
        # the matched of the rarer word, looked up in the other's postings
        fewer, more = sorted((evaluator.term_docs(fieldname, word) for word in (first, second)),
                             key=len)
        fewer = fewer[in_matched[fewer]]
        held.append(fewer[contained(fewer, more)])
    # in the whole collection: the best, and the matched articles holding both words of
    # each pair
    best, *holding_both = collection.combine(
        "sum", np.asarray([len(docnums), *(len(both) for both in held)])).tolist()
    if best < 2:
        return bonus
    for (fieldname, first, second), both, count_both in zip(pairs, held, holding_both):
        candidates = docnums[contained(docnums, both)]
        if not len(candidates):
            continue
        here, there = (generation.occurrences(fieldname, word, candidates)
                       for word in (first, second))
        # keys are document << 32 | position, so a window never reaches another document
        nearest = np.minimum(np.searchsorted(there, here - PROXIMITY_WINDOW), len(there) - 1)
        close = np.abs(there[nearest] - here) <= PROXIMITY_WINDOW
        docs, count = np.unique(here[close] >> 32, return_counts=True)
        if not len(docs):
            continue
        idf = math.log(1 + (documents - count_both + 0.5) / (count_both + 0.5))
        norm = (1 - PROXIMITY_B + PROXIMITY_B * np.maximum(
            generation.lengths[fieldname][docs], 1) / collection.average_length(fieldname))
        gain = PROXIMITY_WEIGHT * idf * count * (PROXIMITY_K1 + 1) / (count + PROXIMITY_K1 * norm)
        bonus[np.searchsorted(docnums, docs)] += gain
    return bonus


def typed_form_bonus(evaluator, words, docnums: np.ndarray) -> np.ndarray:
    """The bonus of each of `docnums` (the TYPED_DEPTH best) for holding the plain words of
    the query (`words`) in the form typed: `election` finds "elects" and "elected" through
    their stem, and the articles saying "election" should come first, other things equal.

    The index holds stems only, so the form is counted in the stored headline and text of
    the articles looked at, and scored as Elasticsearch setups score an unstemmed sub-field
    beside the stemmed one: as a term of its own, TYPED_WEIGHT times, held by the articles
    the vocabulary counts for the form, as often per article as the word. Every word gets
    it, those with one form as well (mostly names), or the words with several forms would
    gain on them (a bonus for those alone: TIME -0.014, CISI -0.005). The collections gain
    a little (TIME +0.000, CISI +0.002, CACM +0.012, Cranfield +0.002; on the first three
    words of each query, -0.003, -0.001, +0.006, +0.004; at a weight of 0.5, TIME and
    Cranfield lose; figures with the 50 best looked at), for 1 to 3 ms a search at a million
    articles (the 20 best), most of it reading the stored articles."""
    bonus = np.zeros(len(docnums))
    typed = {word.text: word for word in words if word.kind is query.Term and word.text}
    if not typed:
        return bonus
    generation, collection = evaluator.generation, evaluator.collection
    counts = {(form, field): np.zeros(len(docnums)) for form in typed for field in TEXT_FIELDS}
    for position, docnum in enumerate(docnums.tolist()):
        stored = evaluator.stored(docnum)
        for field in TEXT_FIELDS:
            for _, _, word in whole_words((getattr(stored, field) or "").lower(), typed):
                counts[word, field][position] += 1
    tfns = [sum(normalised(counts[form, field] * FIELD_WEIGHTS[field],
                           generation.lengths[field][docnums], collection.average_length(field))
                for field in TEXT_FIELDS) for form in typed]
    # the words' statistics and the articles looked at holding each form, in the collection
    statistics = evaluator.word_statistics(
        [{(leaf.fieldname, _bytes(leaf.text)): leaf.boost for leaf in wanted_leaves(word)
          if isinstance(leaf, query.Term) and leaf.fieldname in TEXT_FIELDS}
         for word in typed.values()],
        [int(np.count_nonzero(tfn)) for tfn in tfns])
    statistics, seen = statistics[:len(typed)], statistics[len(typed):]
    for (form, word), tfn, (frequency, holding), looked in zip(typed.items(), tfns,
                                                              statistics, seen):
        if not tfn.any():
            continue
        spelled = max(collection.vocabulary.frequency(form.translate(accent_map)), looked)
        bonus += TYPED_WEIGHT * word.boost * informative_content(
            tfn, documents=collection.size, frequency=frequency * spelled / max(holding, 1),
            doc_frequency=spelled)
    return bonus


def _bytes(text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _body_terms(word) -> list[bytes]:
    return [_bytes(leaf.text) for leaf in wanted_leaves(word)
            if isinstance(leaf, query.Term) and leaf.fieldname == "body"]
