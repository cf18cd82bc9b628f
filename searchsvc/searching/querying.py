"""From the text people type to a query over index terms.

Whoosh's parser reads the syntax (words, "phrases", AND/OR/NOT, field:clauses, prefixes*,
slips~) into a tree whose words are lowercased as typed. Then, in order:
- the tree is checked against the bounds (clauses, fuzzy words, prefix lengths);
- field clauses (`source:`, `language:`, `date:`, `title:`) narrow the results, as Google's
  `site:` and `intitle:` do, unless the user joined them to the words with OR;
- `x NOT y` excludes from its group rather than adding every article without y;
- words with a slip (`footbal~`) become the indexed words within that many edits;
- every word becomes the index terms it has in each language present in the index (its
  stem and accent folding, or nothing where it is a stop word), each typed word kept
  together as a `Word` so that ranking can tell which articles hold which words.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from whoosh import qparser, query
from whoosh.support.charset import accent_map

from ..analysis import analysis_for
from ..errors import QueryError
from ..evaluation import MAX_PATTERN_CANDIDATES, AcrossFields, pattern_terms
from ..generation import Generation
from ..schema import TEXT_FIELDS, query_schema

MIN_PREFIX_CHARS = 2
MAX_EXPANSIONS = 1000
MAX_CLAUSES = 100
MAX_FUZZY_EDITS = 2
MAX_FUZZY_TERMS = 5
FIELD_CLAUSES = ("source", "language", "date", "id")


class ImplicitOr(query.Or):
    """Clauses written side by side, with no operator between them."""


class _ImplicitOrGroup(qparser.OrGroup):
    qclass = ImplicitOr


class Word(AcrossFields):
    """One typed word (or phrase, prefix, ...) looked up in every text field and language:
    `text` is what was typed, `kind` the query type it was typed as."""

    def __init__(self, subqueries, text: str, kind: type, boost: float = 1.0):
        super().__init__(subqueries, boost=boost)
        self.text = text
        self.kind = kind

    def apply(self, fn):
        return Word([fn(q) for q in self.subqueries], self.text, self.kind, boost=self.boost)

    def normalize(self):
        return self


@dataclass(frozen=True)
class ParsedQuery:
    """A query over index terms, and the words it was typed with."""

    query: query.Query
    words: list[Word]
    """The words and phrases searched for anywhere (not excluded, not in a field clause),
    in the order typed, each once."""
    plain: bool
    """True for a plain keyword query: only words, side by side (no operators, phrases,
    field clauses or patterns)."""


def make_parser() -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), query_schema(), group=_ImplicitOrGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def parse(parser: qparser.QueryParser, text: str, generation: Generation,
          within=None) -> ParsedQuery:
    """The query `text` over `generation`'s index terms. `within(word, edits, prefix)` lists
    the vocabulary words near a word with a slip (remembered by the caller)."""
    try:
        parsed = _repeats_counted(parser.parse(text, normalize=False)).normalize()
    except Exception as exc:  # the parser raises assorted types on odd input
        raise QueryError(f"the query cannot be understood: {exc}") from None
    _check_clauses(parsed)
    parsed = _exclusions(_narrowed(_grouped(parsed)))
    parsed = _expand_fuzzy(parsed, within or (lambda word, edits, prefix: generation.vocabulary
                                              .within(word, edits, prefix, MAX_EXPANSIONS + 1)))
    localized = _localized(parsed, generation.analyses)
    _check_expansions(localized, generation)
    words = _words(localized)
    return ParsedQuery(localized, words, _plain(localized, words))


def _repeats_counted(q: query.Query) -> query.Query:
    """A word (or clause) typed n times beside itself weighs n times, as a query term's
    frequency does in Terrier's models, SQLite FTS5 and bm25s; Whoosh's normalize() (and
    tantivy) keep it once. A sentence query repeats what it is about ("... descriptive
    titles? ... approximate titles? ... relevance of the content of articles to their
    titles"): MAP CISI 0.220 -> 0.248, CACM 0.352 -> 0.372, TIME 0.640 -> 0.644, Cranfield
    0.336 -> 0.333 (bench/relevance.py)."""
    if q.is_leaf():
        return q
    q = q.apply(_repeats_counted)
    if not isinstance(q, (query.Or, query.And)):
        return q
    counts: dict[query.Query, int] = {}
    for child in q.subqueries:
        counts[child] = counts.get(child, 0) + 1
    if len(counts) == len(q.subqueries):
        return q
    return type(q)([child.with_boost(child.boost * count) if count > 1 else child
                    for child, count in counts.items()], boost=q.boost)


def _grouped(q: query.Query) -> query.Query:
    """The tree with each typed word's per-field alternatives (what MultifieldParser makes of
    a word: `title:w OR body:w`) marked as one `Word`."""
    if q.is_leaf():
        return q
    if type(q) is query.Or and _one_typed_word(q):
        first = q.subqueries[0]
        text = " ".join(first.words) if isinstance(first, query.Phrase) else first.text
        return Word(q.subqueries, text, type(first), boost=q.boost)
    return q.apply(_grouped)


def _one_typed_word(q: query.Or) -> bool:
    leaves = q.subqueries
    if len(leaves) < 2 or not all(leaf.is_leaf() for leaf in leaves):
        return False
    first = leaves[0]
    if not isinstance(first, query.Phrase) and getattr(first, "text", None) is None:
        return False
    same = (lambda a, b: a.words == b.words) if isinstance(first, query.Phrase) else \
        (lambda a, b: getattr(a, "text", None) == getattr(b, "text", None))
    return (all(type(leaf) is type(first) and same(leaf, first) for leaf in leaves)
            and {leaf.fieldname for leaf in leaves} == set(TEXT_FIELDS))


def _narrowed(q: query.Query) -> query.Query:
    """Field clauses side by side with words must hold as well: `"interest rates"
    source:Reuters` means Reuters articles with that phrase, not either. Clauses joined by
    an explicit OR keep their meaning."""
    if q.is_leaf():
        return q
    q = q.apply(_narrowed)
    if type(q) is not ImplicitOr:
        return q
    clauses = [child for child in q.subqueries if _is_field_clause(child)]
    if not clauses:
        return q
    rest = [child for child in q.subqueries if not _is_field_clause(child)]
    if not rest:
        return query.And(clauses, boost=q.boost)
    words = rest[0] if len(rest) == 1 and not isinstance(rest[0], query.Not) \
        else ImplicitOr(rest)
    return query.And([words, *clauses], boost=q.boost)


def _is_field_clause(q: query.Query) -> bool:
    """A clause on one field the user named (`source:x`, `title:x`, a date range)."""
    if isinstance(q, (Word, query.Not)):
        return False
    if q.is_leaf():
        return getattr(q, "fieldname", None) in (*FIELD_CLAUSES, *TEXT_FIELDS)
    return all(_is_field_clause(child) for child in q.children())


def _exclusions(parsed: query.Query) -> query.Query:
    """`volcano NOT lava` means volcano articles without lava. Under OR grouping Whoosh reads
    it as `volcano OR (NOT lava)`, every article without lava; make each NOT exclude from
    its OR group instead."""
    if parsed.is_leaf() or isinstance(parsed, Word):
        return parsed
    parsed = parsed.apply(_exclusions)
    if not isinstance(parsed, query.Or):
        return parsed
    excluded = [child.query for child in parsed.subqueries if isinstance(child, query.Not)]
    if not excluded:
        return parsed
    wanted = [child for child in parsed.subqueries if not isinstance(child, query.Not)]
    if not wanted:
        raise QueryError("NOT only excludes: add words to search for, as in `volcano NOT lava`")
    return query.AndNot(type(parsed)(wanted, boost=parsed.boost), query.Or(excluded))


def _expand_fuzzy(parsed: query.Query, within) -> query.Query:
    """Fuzzy words (`footbal~`) become the indexed words within that many edits."""
    if isinstance(parsed, query.FuzzyTerm):
        if parsed.maxdist > MAX_FUZZY_EDITS:
            raise QueryError(f"{parsed.text!r}~{parsed.maxdist} allows too many differences; "
                             f"the limit is ~{MAX_FUZZY_EDITS}")
        word = parsed.text.lower().translate(accent_map)
        words = within(word, parsed.maxdist, min(parsed.prefixlength, len(word)))
        if len(words) > MAX_EXPANSIONS:
            raise QueryError(f"{parsed.text!r}~ matches more than {MAX_EXPANSIONS} words; "
                             "make it more specific")
        terms = [query.Term(parsed.fieldname, found, boost=parsed.boost) for found in words]
        return query.Or(terms) if terms else query.NullQuery
    if parsed.is_leaf():
        return parsed
    return parsed.apply(lambda child: _expand_fuzzy(child, within))


def _localized(q: query.Query, languages: list[str]) -> query.Query:
    """Words of the text fields as the index terms each language present gives them."""
    if isinstance(q, query.Term) and q.fieldname in TEXT_FIELDS:
        terms = sorted({term for language in languages
                        if (term := analysis_for(language).term(q.text)) is not None})
        if not terms:
            return query.NullQuery
        alternatives = [query.Term(q.fieldname, term, boost=q.boost) for term in terms]
        return alternatives[0] if len(alternatives) == 1 else query.Or(alternatives)
    if isinstance(q, query.Phrase) and q.fieldname in TEXT_FIELDS:
        forms = []
        for language in languages:
            analysis = analysis_for(language)
            terms = [term for word in q.words if (term := analysis.term(word)) is not None]
            if terms and terms not in forms:
                forms.append(terms)
        alternatives = [query.Term(q.fieldname, terms[0], boost=q.boost) if len(terms) == 1
                        else query.Phrase(q.fieldname, terms, slop=q.slop, boost=q.boost)
                        for terms in forms]
        if not alternatives:
            return query.NullQuery
        return alternatives[0] if len(alternatives) == 1 else query.Or(alternatives)
    if isinstance(q, (query.Prefix, query.Wildcard)) and q.fieldname in TEXT_FIELDS:
        return type(q)(q.fieldname, q.text.lower().translate(accent_map), boost=q.boost)
    if q.is_leaf():
        return q
    return q.apply(lambda child: _localized(child, languages))


def _words(q: query.Query) -> list[Word]:
    """The Words searched for anywhere, in order, each once, stop words left out."""
    found: dict[str, Word] = {}

    def visit(node: query.Query) -> None:
        if isinstance(node, query.AndNot):
            visit(node.a)
        elif isinstance(node, Word):
            if any(not isinstance(child, type(query.NullQuery)) for child in node.subqueries):
                found.setdefault(node.text, node)
        elif not node.is_leaf() and not isinstance(node, query.Not):
            for child in node.children():
                visit(child)

    visit(q)
    return list(found.values())


def _plain(q: query.Query, words: list[Word]) -> bool:
    if not words or not all(word.kind is query.Term for word in words):
        return False
    if isinstance(q, Word):
        return True
    return type(q) is ImplicitOr and all(isinstance(child, Word) for child in q.subqueries)


def _check_clauses(parsed: query.Query) -> None:
    """Refuse queries with more than MAX_CLAUSES terms or MAX_FUZZY_TERMS fuzzy words (each
    word is searched in both text fields, so it counts once)."""
    leaves = [parsed] if parsed.is_leaf() else list(parsed.leaves())
    fields = len(TEXT_FIELDS)
    terms = math.ceil(len(leaves) / fields)
    if terms > MAX_CLAUSES:
        raise QueryError(f"the query has {terms} terms; the limit is {MAX_CLAUSES}")
    fuzzy = math.ceil(sum(isinstance(leaf, query.FuzzyTerm) for leaf in leaves) / fields)
    if fuzzy > MAX_FUZZY_TERMS:
        raise QueryError(f"the query has {fuzzy} words with ~; the limit is {MAX_FUZZY_TERMS}")


def _check_expansions(parsed: query.Query, generation: Generation) -> None:
    """Refuse wildcard, prefix and range terms that would expand to too many index terms,
    alone or together (fifty two-letter prefixes cost seconds even when each stays under the
    cap)."""
    expanded = 0
    for node in [parsed] if parsed.is_leaf() else parsed.leaves():
        if isinstance(node, query.Every):
            raise QueryError("a bare * would match every article; add words to search for")
        if isinstance(node, (query.Wildcard, query.Prefix)):
            stem = node.text.split("*")[0].split("?")[0]
            if len(stem) < MIN_PREFIX_CHARS:
                raise QueryError(f"wildcards need at least {MIN_PREFIX_CHARS} letters before "
                                 f"the * or ? (got {node.text!r})")
        if isinstance(node, (query.Prefix, query.Wildcard, query.Regex, query.TermRange)) \
                and getattr(node, "fieldname", None) in TEXT_FIELDS:
            count = len(pattern_terms(generation, node, MAX_EXPANSIONS))
            if count > MAX_EXPANSIONS:
                raise QueryError(f"{node.text if hasattr(node, 'text') else node!s} matches "
                                 f"more than {MAX_EXPANSIONS} words; make it more specific")
            expanded += count
            if expanded > MAX_EXPANSIONS:
                raise QueryError(f"the wildcards match more than {MAX_EXPANSIONS} words "
                                 "together; use fewer or more specific ones")


def query_terms(q: query.Query, generation: Generation, field: str) -> frozenset[str]:
    """The index terms of `field` that `q` looks for (patterns expanded), for marking."""
    found: set[str] = set()
    leaves = [q] if q.is_leaf() else q.leaves()
    for leaf in leaves:
        if getattr(leaf, "fieldname", None) != field:
            continue
        if isinstance(leaf, query.Term):
            found.add(leaf.text.decode("utf-8") if isinstance(leaf.text, bytes) else leaf.text)
        elif isinstance(leaf, query.Phrase):
            found.update(leaf.words)
        elif isinstance(leaf, (query.Prefix, query.Wildcard, query.Regex, query.TermRange)):
            found.update(word.decode("utf-8") for word in itertools.islice(
                pattern_terms(generation, leaf, MAX_PATTERN_CANDIDATES), MAX_EXPANSIONS))
    return frozenset(found)
