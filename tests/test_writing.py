"""Indexing in several writer processes gives the index one process gives: the same articles
in the same order, the same answers, the same spelling counts, the same report."""

import json
import re
import shutil

import numpy as np
import pytest
from whoosh import index as whoosh_index

import searchsvc.writing
from conftest import DATA, REPO
from searchsvc.generation import Generation
from searchsvc.indexing import IndexStore, update_index
from searchsvc.searching import SearchIndex, SearchRequest
from searchsvc.segments import TEXT_FIELDS

QUERIES = ["harbour", "space exploration", '"prime minister"', "india OR russia", "storm~",
           "title:election", "cosmo*"]


@pytest.fixture()
def library(tmp_path):
    """Two roots sharing a relative path (so ids collide across roots), many small files,
    an unreadable one, and multi-article files with a bad record and a repeated id."""
    first = tmp_path / "one" / "news"
    shutil.copytree(REPO / "seeds", first)
    for folder in ("articles", "newsroom", "ingest"):
        shutil.copytree(DATA / folder, first / folder)
    for number in range(30):
        (first / f"wire-{number:02}.txt").write_text(
            f"date 2024-03-{number % 28 + 1:02}\ntitle Harbour storm update {number}\n\n"
            f"Storm number {number} closed the harbour; the prime minister visited.\n\nWire\n")
    (first / "dispatches.jsonl").write_text("".join(  # words in hundreds of articles
        json.dumps({"id": f"d{number}", "title": f"Harbour dispatch {number}",
                    "body": "Storm and harbour news. " * (number % 7 + 1)
                    + f"Day {number} of the storm."}) + "\n" for number in range(400)))
    (first / "broken.txt").write_bytes(b"\x00\x01\x02 binary \x00")
    (first / "more.jsonl").write_text(
        '{"id": "a", "title": "Election reform", "body": "The election reform passed."}\n'
        '{"id": "a", "title": "Election reform again", "body": "A repeated id."}\n'
        'not json\n')
    second = tmp_path / "two" / "news"
    second.mkdir(parents=True)
    (second / "wire-00.txt").write_text("date 2024-04-01\ntitle Same path, other root\n\n"
                                        "This article's id collides with one of root one.\n\n"
                                        "Wire\n")
    return [first, second]


def build(monkeypatch, roots, folder, processes: int):
    monkeypatch.setattr(searchsvc.writing, "PARALLEL_MIN_BYTES", 0 if processes > 1 else 10**12)
    monkeypatch.setattr(searchsvc.writing, "WRITER_PROCESSES", processes)
    return update_index(folder, roots, progress=False)


def stored(folder) -> list[tuple]:
    """Every live article as stored (id, headline, text, link, date, source, language), in
    index order; not the time it was indexed (each build has its own)."""
    generation = Generation(IndexStore(folder).current())
    ix = whoosh_index.open_dir(str(IndexStore(folder).current()))
    with ix.reader() as reader:
        whoosh_ids = [fields["id"] for _, fields in reader.iter_docs()]
    articles = []
    for docnum in np.flatnonzero(generation.live).tolist():
        text = generation.stored(docnum)
        codes = [generation.columns[name][0][docnum] for name in ("source", "language")]
        articles.append((text.id, text.title, text.body, text.url, generation.day(docnum),
                         *codes))
    assert [article[0] for article in articles] == whoosh_ids  # Whoosh's ids, in the same order
    return articles


def answers(folder) -> list:
    index = SearchIndex(folder)
    return [[(hit.id, hit.score, hit.snippet) for hit in
             index.search(SearchRequest(q, per_page=100)).hits] for q in QUERIES]


def vocabulary(folder) -> dict:
    words = Generation(IndexStore(folder).current()).vocabulary
    return dict(zip(words.words.words(), words.counts.tolist()))


def test_several_writer_processes_build_the_index_one_process_builds(monkeypatch, tmp_path,
                                                                    library):
    single = build(monkeypatch, library, tmp_path / "single", processes=1)
    parallel = build(monkeypatch, library, tmp_path / "parallel", processes=3)

    assert len(Generation(IndexStore(tmp_path / "parallel").current()).segments) > 1
    for report in (single, parallel):
        report.seconds, report.generation = 0, None
    assert parallel == single
    assert {p.reason for p in single.skipped} >= {"binary file, not text",
                                                 "duplicate article id news/wire-00.txt"}
    assert stored(tmp_path / "parallel") == stored(tmp_path / "single")
    assert answers(tmp_path / "parallel") == answers(tmp_path / "single")
    assert vocabulary(tmp_path / "parallel") == vocabulary(tmp_path / "single")


def test_segments_written_in_parts_answer_as_one_segment(monkeypatch, tmp_path, library):
    """A writer writes its segment and starts another once it holds WRITER_MEMORY_MB of
    text; many small segments answer as one."""
    build(monkeypatch, library, tmp_path / "one", processes=1)
    monkeypatch.setattr(searchsvc.writing, "WRITER_MEMORY_MB", 0.05)
    build(monkeypatch, library, tmp_path / "many", processes=1)
    assert len(Generation(IndexStore(tmp_path / "many").current()).segments) > 5
    assert stored(tmp_path / "many") == stored(tmp_path / "one")
    assert answers(tmp_path / "many") == answers(tmp_path / "one")
    assert vocabulary(tmp_path / "many") == vocabulary(tmp_path / "one")


def test_a_terms_statistics_are_those_of_its_postings_in_every_segment(monkeypatch, tmp_path,
                                                                     library):
    """Each term's collection frequency, written per segment, and its document frequency add
    up to its postings' frequencies and their number over all segments."""
    monkeypatch.setattr(searchsvc.writing, "WRITER_MEMORY_MB", 0.05)
    build(monkeypatch, library, tmp_path / "many", processes=1)
    generation = Generation(IndexStore(tmp_path / "many").current())
    assert len(generation.segments) > 5
    for field in TEXT_FIELDS:
        terms = {term for segment in generation.segments
                 for term in segment.fields[field].terms.words()}
        assert len(terms) > 20
        for term in terms:
            postings = generation.postings(field, term)
            assert generation.statistics(field, term) == (int(postings.tf.sum()),
                                                          len(postings.docs))
    assert generation.statistics("body", b"no-such-term") == (0, 0)


def test_small_segments_are_merged_and_answer_the_same(monkeypatch, tmp_path, library):
    """Incremental runs each add a small segment; past MAX_SMALL_SEGMENTS they are merged
    (their deleted articles dropped) and the answers stay those of a fresh build."""
    monkeypatch.setattr(searchsvc.writing, "MAX_SMALL_SEGMENTS", 3)
    first = library[0]
    build(monkeypatch, [first], tmp_path / "index", processes=1)
    for number in range(8):
        (first / f"wire-{number:02}.txt").write_text(
            f"date 2024-05-{number + 1:02}\ntitle Harbour storm rewritten {number}\n\n"
            f"Storm number {number} closed the harbour again.\n\nWire\n")
        (first / f"late-{number}.txt").write_text(f"Late storm news {number}\n\nHarbour.\n")
        build(monkeypatch, [first], tmp_path / "index", processes=1)
        generation = Generation(IndexStore(tmp_path / "index").current())
        assert len(generation.segments) <= 5
    build(monkeypatch, [first], tmp_path / "fresh", processes=1)
    merged = SearchIndex(tmp_path / "index")
    fresh = SearchIndex(tmp_path / "fresh")
    for q in QUERIES:
        ours = merged.search(SearchRequest(q, per_page=100))
        theirs = fresh.search(SearchRequest(q, per_page=100))
        assert sorted(hit.id for hit in ours.hits) == sorted(hit.id for hit in theirs.hits)
        assert ours.total == theirs.total


def test_spelling_words_count_the_articles_holding_them(monkeypatch, tmp_path, library):
    build(monkeypatch, library, tmp_path / "index", processes=2)
    counts = vocabulary(tmp_path / "index")
    # "harbour" is in the headlines or bodies of the wire stories and dispatches
    holding = sum(re.search(r"\bharbour\b", (title + " " + body).lower()) is not None
                  for _, title, body, *_ in stored(tmp_path / "index"))
    assert counts[b"harbour"] == holding > 400


def test_a_failing_writer_process_fails_the_run_and_keeps_the_index(monkeypatch, tmp_path,
                                                                   library):
    build(monkeypatch, library, tmp_path / "index", processes=2)
    before = IndexStore(tmp_path / "index").current()
    real = searchsvc.writing.ArticleWriter.add_article

    def failing(writer, article, source):
        if "wire-17" in article.id:
            raise ValueError("a bug met wire-17")
        return real(writer, article, source)

    monkeypatch.setattr(searchsvc.writing.ArticleWriter, "add_article", failing)
    with pytest.raises(ValueError, match="a bug met wire-17") as raised:
        update_index(tmp_path / "index", library, rebuild=True, progress=False)
    assert "in failing" in str(raised.value.__cause__)  # the writer process's traceback
    assert IndexStore(tmp_path / "index").current() == before
    assert sorted(p.name for p in (tmp_path / "index").glob("gen-*")) == [before.name]
    assert SearchIndex(tmp_path / "index").search(SearchRequest("harbour")).total > 30
