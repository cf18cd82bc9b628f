"""The array evaluator (searchsvc.evaluation) against Whoosh's own matchers: the articles of an
index in four languages, written in several segments, are indexed again into a plain Whoosh
index holding the same terms; every query form must match the same articles with the same
scores. A typed word, which searchsvc scores over the headline and body as one text where
Whoosh would score each field apart, is scored for the comparison by a direct computation,
article by article, of the formula searchsvc.evaluation.Evaluator.word states, and Whoosh's
matchers combine it with the rest of the query. Deleted articles are never found."""

import fnmatch
import math
import shutil

import numpy as np
import pytest
from whoosh import fields, query, scoring
from whoosh.analysis import RegexTokenizer
from whoosh.filedb.filestore import RamStorage
from whoosh.matching import ListMatcher

import searchsvc.writing
from conftest import DATA, REPO
from searchsvc.analysis import analysis_for
from searchsvc.evaluation import (SEARCHED_FACTOR, AcrossFields, _union_size, contained, members,
                                  summed)
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest
from searchsvc.searching.stories import kth_largest
from searchsvc.weighting import C, FIELD_WEIGHTS, term_scores

QUERIES = [
    "strike", "Rotterdam port strike", "oil prices", "rates AND interest", "strike port strike",
    "volcano NOT pipeline", "port ANDMAYBE Antwerp", '"port fees"',
    '"interest rates"~3', '"dockers strike"~4 pay', "title:volcano OR body:lava",
    "космонавтов", "(oil OR gas) AND (prices OR output)", "Gaganyaan", "nosuchwordatall",
    "harb*", "st?ike", "the economy", "Космос OR space", "title:(strike OR harbour)",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("evaluation")
    news = folder / "news"
    shutil.copytree(REPO / "seeds", news)
    for source in ("search", "newsroom", "ingest"):
        for path in (DATA / source).iterdir():
            shutil.copy(path, news / f"{source}-{path.name}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchsvc.writing, "WRITER_MEMORY_MB", 0.01)  # a segment every ~260 words
        update_index(folder / "index", [news], progress=False)
    return SearchIndex(folder / "index")


class _Oracle(scoring.WeightingModel):
    """In_expC2 as Whoosh would run it, with the collection statistics of the Whoosh index
    and each document's exact field length (Whoosh's own are rounded to a byte)."""

    def __init__(self, lengths):
        self.lengths = lengths

    def scorer(self, searcher, fieldname, text, qf=1):
        parent = searcher.get_parent()
        lengths = self.lengths[fieldname]
        statistics = dict(
            average_length=parent.field_length(fieldname) / parent.doc_count_all(),
            documents=parent.doc_count_all(), frequency=parent.frequency(fieldname, text),
            doc_frequency=parent.doc_frequency(fieldname, text))
        offset = 0
        if not searcher.is_atomic() or searcher is not parent:
            offset = dict((id(s), o) for s, o in parent.subsearchers).get(id(searcher), 0)

        class Scorer(scoring.BaseScorer):
            def score(self, matcher):
                return float(term_scores(np.array([matcher.weight()]),
                                         np.array([lengths[matcher.id() + offset]]),
                                         **statistics)[0])

        return Scorer()


class _Scored(query.Query):
    """A leaf whose matcher lists scores computed beforehand ({document: score})."""

    def __init__(self, scores: dict[int, float]):
        self.scores = scores
        self.boost = 1.0

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def estimate_size(self, ixreader):
        return len(self.scores)

    def matcher(self, searcher, context=None):
        docs = sorted(self.scores)
        return ListMatcher(docs, weights=[self.scores[d] for d in docs])


def word_scores(word: AcrossFields, texts: list[dict[str, list[str]]]) -> dict[int, float]:
    """A typed word's score in each article (`texts`: each article's terms per field),
    computed article by article: its terms in every field, patterns expanded, as one term
    over the fields as one text; each typed phrase as the sum of its words' scores in the
    articles holding it in a field."""
    terms: dict[tuple[str, str], float] = {}
    phrases: dict[tuple[tuple[str, ...], int], dict[str, float]] = {}

    def collect(node, boost):
        boost *= node.boost
        if isinstance(node, query.Phrase):
            key = (tuple(node.words), node.slop)
            phrases.setdefault(key, {})[node.fieldname] = boost
        elif isinstance(node, (query.Prefix, query.Wildcard)):
            pattern = node.text + "*" if isinstance(node, query.Prefix) else node.text
            for term in {t for text in texts for t in text[node.fieldname]}:
                if fnmatch.fnmatchcase(term, pattern):
                    terms[node.fieldname, term] = terms.get((node.fieldname, term), 0) + boost
        elif isinstance(node, query.Term):
            terms[node.fieldname, node.text] = terms.get((node.fieldname, node.text), 0) + boost
        elif not node.is_leaf():
            for child in node.children():
                collect(child, boost)

    collect(word, 1.0)
    scores = one_term(terms, texts)
    for (words, slop), boosts in phrases.items():
        parts = [one_term({(field, w): b for field, b in boosts.items()}, texts) for w in words]
        for doc, text in enumerate(texts):
            if any(holds_phrase(text[field], words, slop) for field in boosts):
                scores[doc] = scores.get(doc, 0.0) + sum(part[doc] for part in parts)
    return scores


def one_term(boosts: dict[tuple[str, str], float], texts) -> dict[int, float]:
    """In_expC2 of terms (`boosts`: (field, term) -> boost) taken as one term of one text."""
    if not boosts:
        return {}
    top = max(boosts.values())
    documents = len(texts)
    average = {f: sum(len(text[f]) for text in texts) / documents for f in FIELD_WEIGHTS}
    counts = [{key: text[key[0]].count(key[1]) for key in boosts} for text in texts]
    frequency = sum(FIELD_WEIGHTS[f] * b / top * count[f, t]
                    for count in counts for (f, t), b in boosts.items())
    holding = [doc for doc, count in enumerate(counts) if any(count.values())]
    expected = documents * (1 - ((documents - 1) / documents) ** frequency)
    factor = math.log2((documents + 1) / (expected + 0.5)) * (frequency + 1) / len(holding) \
        if holding else 0.0
    scores = {}
    for doc in holding:
        tfn = sum(FIELD_WEIGHTS[f] * b / top * counts[doc][f, t]
                  * math.log(1 + C * average[f] / max(len(texts[doc][f]), 1))
                  for (f, t), b in boosts.items())
        scores[doc] = top * factor * tfn / (tfn + 1)
    return scores


def holds_phrase(terms: list[str], words: tuple[str, ...], slop: int) -> bool:
    ends = {i for i, term in enumerate(terms) if term == words[0]}
    for word in words[1:]:
        ends = {i for i, term in enumerate(terms) if term == word
                and any(i - end in range(1, max(slop, 1) + 1) for end in ends)}
    return bool(ends)


def with_words_scored(q: query.Query, texts) -> query.Query:
    """`q` with every typed word replaced by its directly computed scores."""
    if isinstance(q, AcrossFields):
        return _Scored(word_scores(q, texts))
    return q if q.is_leaf() else q.apply(lambda child: with_words_scored(child, texts))


@pytest.fixture(scope="module")
def texts(index) -> list[dict[str, list[str]]]:
    """Each article's index terms per field, as its language analyses them."""
    context = index._context()
    found = []
    for docnum in range(context.generation.size):
        article = context.stored(docnum)
        analysis = analysis_for(article.language)
        found.append({"title": analysis.terms(article.title),
                      "body": analysis.terms(article.body)})
    return found


@pytest.fixture(scope="module")
def oracle(index, texts):
    """A plain Whoosh index of the same articles' terms, in the same document order."""
    generation = index._context().generation
    schema = fields.Schema(**{name: fields.TEXT(analyzer=RegexTokenizer(r"\S+"),
                                                field_boost=FIELD_WEIGHTS[name])
                              for name in ("title", "body")})
    whoosh_index = RamStorage().create_index(schema)
    writer = whoosh_index.writer()
    for text in texts:
        writer.add_document(title=" ".join(text["title"]), body=" ".join(text["body"]))
    writer.commit()
    lengths = {name: np.asarray(generation.lengths[name]) for name in ("title", "body")}
    return whoosh_index.searcher(weighting=_Oracle(lengths))


def whoosh_matches(searcher, q) -> dict[int, float]:
    matcher = q.matcher(searcher, searcher.context())
    found = {}
    while matcher.is_active():
        found[matcher.id()] = matcher.score()
        matcher.next()
    return found


def test_the_index_under_test_has_several_segments_and_languages(index):
    generation = index._context().generation
    assert len(generation.segments) > 3
    assert {"en", "ru", "de", "fr"} <= set(generation.analyses)


def test_facets_counted_together_are_the_facets_counted_apart(index, monkeypatch):
    """Source, language and month facets come from one count of their combined codes; they
    are what counting each column apart gives, for any set of articles."""
    from searchsvc.searching.index import FACETS
    from searchsvc.searching.stories import facet_part, facet_parts

    generation = index._context().generation
    draw = np.random.default_rng(12)
    for _ in range(50):
        docnums = _ascending(draw, generation.size, int(draw.integers(0, generation.size)))
        apart = {name: facet_part(*generation.columns[name], docnums) for name in FACETS}
        assert facet_parts(generation, FACETS, docnums) == apart
        assert sum(count for _, count in apart["source"]) == len(docnums)
    assert len({value for name in FACETS for value, _ in apart[name]}) > 3
    monkeypatch.setattr("searchsvc.generation.MAX_FACET_CODES", 1)  # too many to combine
    assert generation.facet_codes(FACETS) is None
    assert facet_parts(generation, FACETS, docnums) == apart


@pytest.mark.parametrize("text", QUERIES)
def test_arrays_match_and_score_as_whoosh_does(index, oracle, texts, text):
    context = index._context()
    parsed = context.parse(text).query
    ours = context.evaluator.run(parsed)
    expected = whoosh_matches(oracle, with_words_scored(parsed, texts))
    if "NOT" in text:  # Whoosh's AndNotMatcher can keep a first excluded article
        expected = {d: s for d, s in expected.items() if d in set(ours.docs.tolist())}
    assert ours.docs.tolist() == sorted(expected)
    assert ours.scores.tolist() == pytest.approx([expected[d] for d in sorted(expected)],
                                                 rel=1e-9)
    if text not in ("nosuchwordatall", "the economy"):
        assert len(ours), f"{text!r} should match something in the fixtures"


def test_andnot_excludes_every_article_holding_the_unwanted_words(index):
    found = index.search(SearchRequest(q="strike ANDNOT harbour"))
    assert found.hits and all("harbour" not in (hit.title + hit.snippet).lower()
                              for hit in found.hits)
    assert "news/newsroom-harbour-strike.txt" not in [hit.id for hit in found.hits]


def test_deleted_versions_are_not_found(tmp_path):
    news = tmp_path / "news"
    shutil.copytree(DATA / "search", news)
    update_index(tmp_path / "index", [news], progress=False)
    changed = news / "oil_prices.txt"
    changed.write_text(changed.read_text() + "\n\nTraders expect more volatility in prices.\n")
    update_index(tmp_path / "index", [news], progress=False)
    index = SearchIndex(tmp_path / "index")
    generation = index._context().generation
    assert not np.asarray(generation.live).all()  # the old version is deleted, not gone
    results = index.search(SearchRequest(q="volatility"))
    assert [hit.id for hit in results.hits] == ["news/oil_prices.txt"]
    assert results.total_articles == 1
    assert index.search(SearchRequest(q="oil")).total_articles == \
        sum(1 for p in news.iterdir() if "oil" in p.read_text().lower())


def test_an_evaluator_keeps_a_bounded_number_of_postings(index, monkeypatch):
    import searchsvc.evaluation
    context = index._context()
    evaluator = searchsvc.evaluation.Evaluator(context.generation)
    terms = [term for term in context.generation.terms_from("body", b"", 200)
             if len(evaluator.postings("body", term).docs)][:40]
    evaluator.forget()
    bound = max(len(context.generation.postings("body", term).docs) for term in terms)
    monkeypatch.setattr(searchsvc.evaluation, "REMEMBERED_POSTINGS", bound)
    for term in terms:  # related articles and suggestions read terms and never forget them
        found = evaluator.postings("body", term)
        assert evaluator.postings("body", term) is found  # read once while kept
        assert sum(len(kept.docs) for kept in evaluator._postings.values()) <= bound


def test_threads_count_the_articles_holding_a_word_once(index, monkeypatch):
    """A server answers on several threads, each with its own evaluator; how many articles
    hold a word is counted by the first search that needs it, for all of them."""
    import threading

    import searchsvc.evaluation

    counted = []
    real = searchsvc.evaluation._union_size
    monkeypatch.setattr(searchsvc.evaluation, "_union_size",
                        lambda arrays, size: counted.append(size) or real(arrays, size))
    index._context().generation.word_counts.clear()
    monkeypatch.setattr(index.cache, "entries", 0)  # each search evaluated
    totals = []

    def search():
        totals.append(index.search(SearchRequest("harbour strike pay", per_page=5)).total)

    for _ in range(2):
        thread = threading.Thread(target=search)
        thread.start()
        thread.join()
        if len(totals) == 1:
            first = len(counted)
    assert first > 0 and len(counted) == first  # the second thread counted nothing again
    assert totals[0] == totals[1] > 0


# --- The array steps a search is made of, each with a dense and a sparse way ---------------

def _ascending(draw, universe: int, count: int) -> np.ndarray:
    return np.sort(draw.choice(universe, size=min(count, universe), replace=False))


def test_lookups_through_a_mask_give_what_binary_searches_give():
    """`contained` and `members` look documents up through a mask over every document when
    that is cheaper, by binary search otherwise; both ways must agree, on any sizes."""
    draw = np.random.default_rng(7)
    for _ in range(400):
        universe = int(draw.integers(1, 5000))
        docs = _ascending(draw, universe, int(draw.integers(1, 300)))
        of = _ascending(draw, universe, int(draw.integers(1, 3000)))
        expected = np.isin(docs, of)
        assert (contained(docs, of) == expected).all()
        held, where = members(docs, of)
        assert (held == expected).all() and (of[where[held]] == docs[held]).all()
    keys = np.array([3, (1 << 40) + 2, (1 << 41) + 7])  # document << 32 | position
    assert contained(keys - 3, np.array([0, (1 << 41) + 4])).tolist() == [True, False, True]


def test_sums_over_many_documents_match_sums_over_few():
    """`summed` adds into an array over every document when the lists are long, merges them
    when short, folds short ones into a long one: the documents and the sums (added in the
    lists' order, bit for bit) are the same."""
    draw = np.random.default_rng(8)
    for _ in range(200):
        universe = int(draw.integers(10, 3000))
        sizes = [int(draw.integers(1, universe)) for _ in range(int(draw.integers(1, 5)))]
        if len(sizes) > 1 and draw.random() < 0.5:  # one list long beside short ones
            sizes = [max(1, size // 40) for size in sizes[:-1]] + [universe]
            if draw.random() < 0.5:  # the long one first
                sizes.reverse()
        docs = [_ascending(draw, universe, size).astype(np.int64) for size in sizes]
        values = [draw.random(len(part)) for part in docs]
        expected: dict[int, float] = {}
        for part, their in zip(docs, values):
            for doc, value in zip(part.tolist(), their.tolist()):
                expected[doc] = expected.get(doc, 0.0) + value
        for size in (universe, universe * 10 ** 6):  # the second too large for a mask
            found, sums = summed(docs, values, size)
            assert found.tolist() == sorted(expected)
            assert sums.tolist() == [expected[doc] for doc in found.tolist()]


def test_a_union_counted_any_way_has_the_size_of_the_union():
    """`_union_size` looks short lists up in a far longer one, marks long ones in a mask,
    merges the rest: the count is the union's every way."""
    draw = np.random.default_rng(10)
    ways = set()
    for _ in range(300):
        universe = int(draw.integers(10, 5000))
        sizes = [int(draw.integers(1, universe)) for _ in range(int(draw.integers(1, 5)))]
        if len(sizes) > 1 and draw.random() < 0.5:  # one list long beside short ones
            sizes = [max(1, size // 80) for size in sizes[:-1]] + [universe]
            draw.shuffle(sizes)
        docs = [_ascending(draw, universe, size).astype(np.int32) for size in sizes]
        others = sum(sizes) - max(sizes)
        ways.add("searched" if len(sizes) > 1 and others * SEARCHED_FACTOR <= max(sizes)
                 else "other")
        for size in (universe, universe * 10 ** 3):  # the second too large for a mask
            assert _union_size(docs, size) == len(set().union(*map(set, docs)))
    assert ways == {"searched", "other"}


def test_the_kth_largest_found_from_a_sample_is_the_kth_largest():
    draw = np.random.default_rng(9)
    for trial in range(300):
        size = int(draw.integers(1, 200_000))
        count = int(draw.integers(1, min(size, 300) + 1))
        key = [draw.random(size), np.sort(draw.random(size)),  # sorted: a skewed sample
               draw.integers(0, 5, size).astype(float)][trial % 3]
        if trial % 4 == 3:  # the sampled keys the largest: too few clear the sample's floor
            key[::32] += 10
        assert kth_largest(key, count) == -np.partition(-key, count - 1)[count - 1]


def test_word_positions_are_found_in_any_block_of_postings(tmp_path):
    """A term's positions in a few documents are found from where its block of 64 postings
    starts (searchsvc.segments.FieldArrays.occurrences): over several blocks and frequencies,
    every (document, position) of the term in those documents, and no other."""
    from searchsvc.segments import (POSITION_BLOCK_BITS, DocumentValues, FieldArrays,
                                    SegmentBuilder, StoredText)

    draw = np.random.default_rng(11)
    analysis = analysis_for("en")
    builder = SegmentBuilder()
    expected: dict[str, list[tuple[int, int]]] = {"harbour": [], "strike": []}
    count = 5 << POSITION_BLOCK_BITS
    for doc in range(count):
        words = list(draw.choice(["harbour", "strike", "pay", "crane"], size=int(
            draw.integers(1, 12))))
        for position, word in enumerate(words):
            if word in expected:
                expected[word].append((doc, position))
        builder.add({"title": "", "body": " ".join(words)}, analysis,
                    DocumentValues(date=0, dupkey=doc, source=None, language="en",
                                   analysis="en"),
                    StoredText(id=str(doc), title="", body=" ".join(words), url=None,
                               indexed=0))
    builder.write(tmp_path, "segment")
    body = FieldArrays(str(tmp_path / "segment.body"))
    for word, occurrences in expected.items():
        number = body.find(word.encode())
        for _ in range(20):
            wanted = np.sort(draw.choice(count, size=int(draw.integers(1, 40)), replace=False))
            docs, positions = body.occurrences(*body.span(number), wanted)
            assert list(zip(docs.tolist(), positions.tolist())) == [
                (doc, position) for doc, position in occurrences if doc in set(wanted.tolist())]
