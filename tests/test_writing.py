"""Indexing in several writer processes gives the index one process gives: the same articles
in the same order, the same answers, the same spelling counts, the same report."""

import json
import shutil

import pytest
from whoosh import index as whoosh_index

import searchsvc.indexing
import searchsvc.writing
from conftest import DATA, REPO
from searchsvc.articles import Article, find_files, read_file
from searchsvc.indexing import IndexStore, document, update_index
from searchsvc.schema import build_schema
from searchsvc.searching import SearchIndex, SearchRequest

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


def stored(folder) -> list[dict]:
    """Every document's stored fields, but the time it was indexed (each build has its own)."""
    ix = whoosh_index.open_dir(str(IndexStore(folder).current()))
    with ix.reader() as reader:
        return [{name: value for name, value in fields.items() if name != "indexed"}
                for _, fields in reader.iter_docs()]


def answers(folder) -> list:
    index = SearchIndex(folder)
    return [[(hit.id, hit.score, hit.snippet) for hit in
             index.search(SearchRequest(q, per_page=100)).hits] for q in QUERIES]


def postings(folder) -> dict:
    """Every posting but the spelling lists', with its block's statistics (what scoring and
    skipping read), and every term's statistics."""
    ix = whoosh_index.open_dir(str(IndexStore(folder).current()))
    found = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            if fieldname.startswith("spell_"):
                continue
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            listed = []
            while matcher.is_active():
                listed.append((matcher.id(), matcher.weight(), matcher.value(),
                               matcher.block_max_weight(), matcher.block_min_length(),
                               matcher.block_max_length()))
                matcher.next()
            found[fieldname, text] = (info.weight(), info.doc_frequency(), info.min_length(),
                                      info.max_length(), info.max_weight(), listed)
    return found


def spelling(folder) -> dict:
    ix = whoosh_index.open_dir(str(IndexStore(folder).current()))
    with ix.reader() as reader:
        return {(name, word): reader.frequency(name, word) for name in ("spell_body", "spell_title")
                for word in reader.lexicon(name)}


def test_several_writer_processes_build_the_index_one_process_builds(monkeypatch, tmp_path,
                                                                    library):
    single = build(monkeypatch, library, tmp_path / "single", processes=1)
    parallel = build(monkeypatch, library, tmp_path / "parallel", processes=3)

    assert len(list(IndexStore(tmp_path / "parallel").current().glob("*.seg"))) > 1
    for report in (single, parallel):
        report.seconds, report.generation = 0, None
    assert parallel == single
    assert {p.reason for p in single.skipped} >= {"binary file, not text",
                                                 "duplicate article id news/wire-00.txt"}
    assert stored(tmp_path / "parallel") == stored(tmp_path / "single")
    assert answers(tmp_path / "parallel") == answers(tmp_path / "single")
    assert spelling(tmp_path / "parallel") == spelling(tmp_path / "single")


def test_the_writer_builds_the_index_whooshs_own_writer_builds(monkeypatch, tmp_path,
                                                             library):
    build(monkeypatch, library, tmp_path / "fast", processes=1)
    plain = tmp_path / "plain"
    (plain / "gen-1").mkdir(parents=True)
    ix = whoosh_index.create_in(str(plain / "gen-1"), build_schema())
    writer = ix.writer()  # Whoosh's SegmentWriter and codec, one posting per spelling word
    seen = set()
    for source in find_files(library):
        try:
            items = list(read_file(source))
        except Exception:
            continue
        for article in items:
            if isinstance(article, Article) and article.id not in seen:
                seen.add(article.id)
                writer.add_document(**document(article, source))
    writer.commit()
    (plain / "CURRENT").write_text("gen-1\n")

    assert stored(tmp_path / "fast") == stored(plain)
    assert postings(tmp_path / "fast") == postings(plain)
    assert answers(tmp_path / "fast") == answers(plain)
    assert spelling(tmp_path / "fast") == spelling(plain)
    fast, whoosh = SearchIndex(tmp_path / "fast"), SearchIndex(plain)
    for typed in ("harbuor", "stor", "electoin reform", "prime ministr"):
        assert (fast.search(SearchRequest(typed)).suggestion
                == whoosh.search(SearchRequest(typed)).suggestion)
        assert fast.suggest(typed) == whoosh.suggest(typed)


def test_spelling_words_count_the_articles_holding_them(monkeypatch, tmp_path, library):
    build(monkeypatch, library, tmp_path / "index", processes=2)
    counts = spelling(tmp_path / "index")
    # "harbour" is in the bodies of the wire stories, the dispatches and a test article
    holding = sum("harbour" in fields["body"].lower() for fields in stored(tmp_path / "index")
                  if "body" in fields)
    assert counts["spell_body", b"harbour"] == holding > 400


def test_a_failing_writer_process_fails_the_run_and_keeps_the_index(monkeypatch, tmp_path,
                                                                   library):
    build(monkeypatch, library, tmp_path / "index", processes=2)
    before = IndexStore(tmp_path / "index").current()
    real = searchsvc.indexing.document

    def failing(article, source):
        if "wire-17" in article.id:
            raise ValueError("a bug met wire-17")
        return real(article, source)

    monkeypatch.setattr(searchsvc.indexing, "document", failing)
    with pytest.raises(ValueError, match="a bug met wire-17") as raised:
        update_index(tmp_path / "index", library, rebuild=True, progress=False)
    assert "in failing" in str(raised.value.__cause__)  # the writer process's traceback
    assert IndexStore(tmp_path / "index").current() == before
    assert sorted(p.name for p in (tmp_path / "index").glob("gen-*")) == [before.name]
    assert SearchIndex(tmp_path / "index").search(SearchRequest("harbour")).total > 30
