"""Ingestion of every supported format and encoding, through the real index and search."""

import json
import shutil

import pytest

from conftest import DATA, corpus
from searchsvc.articles import SourceFile, find_files, read_file
from searchsvc.articles.model import Article
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest

INGEST = DATA / "ingest"


def read_all(path) -> list:
    return list(read_file(SourceFile(str(path), path.name, "sig")))


def index_folder(tmp_path, *files) -> tuple[SearchIndex, object]:
    folder = tmp_path / "news"
    folder.mkdir(exist_ok=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    report = update_index(tmp_path / "index", [folder], progress=False)
    return SearchIndex(tmp_path / "index"), report


def titles(index: SearchIndex, q: str) -> list[str]:
    return [hit.title for hit in index.search(SearchRequest(q, per_page=50)).hits]


def test_json_lines_with_usual_field_names_and_a_bad_line(tmp_path):
    items = read_all(INGEST / "export.jsonl")
    articles = [i for i in items if isinstance(i, Article)]
    problems = [i for i in items if not isinstance(i, Article)]
    assert [a.id for a in articles] == ["export.jsonl:a1", "export.jsonl:a2", "export.jsonl:a3"]
    wheat, ferry, lighthouse = articles
    assert (wheat.title, str(wheat.date), wheat.source, wheat.url) == (
        "Wheat harvest beats forecasts", "2024-09-15", "Farm Wire", "https://example.com/wheat")
    assert (ferry.source, str(ferry.date)) == ("Coast News", "2024-10-01")
    assert lighthouse.body == "Lighthouse keepers celebrated the centenary.\n\nVisitors toured the tower."
    assert lighthouse.title == "Lighthouse keepers celebrated the centenary"
    assert str(lighthouse.date) == "2024-11-05"
    assert [p.reason for p in problems] == [
        "line 4: invalid JSON (Unterminated string starting at)",
        "item 5: no article text (looked for: body, text, content, articleBody, article, "
        "description, summary)"]

    index, report = index_folder(tmp_path, INGEST / "export.jsonl")
    assert report.articles_indexed == 3 and len(report.skipped) == 2
    assert titles(index, "ferry") == ["Ferry service resumes"]


def test_json_body_with_company_marks_is_not_taken_for_html(tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps({"title": "Cocoa review", "body": "Bahia Cocoa <BCR> and "
                                "<IBM.N> said output rose; a < b > c."}) + "\n"
                    + json.dumps({"title": "Markup", "body": "<P>Cocoa <B>rose</B>.</P>"}) + "\n")
    marks, markup = read_all(path)
    assert marks.body == "Bahia Cocoa <BCR> and <IBM.N> said output rose; a < b > c."
    assert markup.body == "Cocoa rose."


def test_json_document_with_article_list_and_json_lines_named_json(tmp_path):
    index, report = index_folder(tmp_path, INGEST / "export.json", INGEST / "lines.json")
    assert report.articles_indexed == 4 and not report.skipped
    assert titles(index, "barges") == ["Canal reopens to barges"]
    assert titles(index, "honey") == ["Beekeepers report good year"]
    assert [f.value for f in index.search(SearchRequest("bridge")).facets["source"]] == ["River Post"]


def test_reuters_sgml_stories_with_entities_title_only_and_unproc(tmp_path):
    stories = read_all(INGEST / "sample.sgm")
    assert [s.id for s in stories] == ["sample.sgm:101", "sample.sgm:102", "sample.sgm:103"]
    cocoa, tin, sugar = stories
    assert cocoa.title == "BAHIA COCOA REVIEW <BCR>"
    assert cocoa.body == ("Showers continued throughout the week in the Bahia cocoa zone, "
                          "alleviating the drought since early January & improving prospects."
                          "\n\nArrivals for the week were 155,221 bags.")
    assert (str(cocoa.date), cocoa.source) == ("1987-02-26", "Reuters")
    assert (tin.title, tin.body, str(tin.date)) == ("TIN COUNCIL MEETS ON BUFFER STOCK", "", "1987-03-02")
    assert sugar.title == "Sugar quota talks adjourned in London without agreement after delegates failed to settle…"
    assert "Reuter" not in sugar.body and "\x03" not in sugar.body

    index, _ = index_folder(tmp_path, INGEST / "sample.sgm")
    assert titles(index, "tin buffer") == ["TIN COUNCIL MEETS ON BUFFER STOCK"]
    assert len(titles(index, "sugar quota")) == 1


@pytest.mark.parametrize("raw, expected", [
    ("Café prices rise\r\n\r\nThe café raised prices by 5% to £3.\r\n".encode("cp1252"),
     "The café raised prices by 5% to £3."),
    (b"\xef\xbb\xbfdate 2024-01-01\r\n\r\nNa\xc3\xafve traders sold.\r\n\r\nAP\r\n",
     "Naïve traders sold."),
    ("Kaffee\n\nDer Preis stieg um 5 €.".encode("utf-16"), "Der Preis stieg um 5 €."),
])
def test_encodings_and_line_ends(tmp_path, raw, expected):
    path = tmp_path / "a.txt"
    path.write_bytes(raw)
    (article,) = read_all(path)
    assert article.body == expected


def test_folded_accents_match_either_way(tmp_path):
    path = tmp_path / "cafe.txt"
    path.write_text("Café owners protest\n\nCafé owners in the old town protested the new rents.\n")
    index, _ = index_folder(tmp_path, path)
    assert titles(index, "cafe") == titles(index, "café") == ["Café owners protest"]


def test_russian_article_found_by_another_inflection(tmp_path):
    (article,) = read_all(INGEST / "russian.txt")
    assert (article.language, article.source) == ("ru", "ТАСС")
    index, _ = index_folder(tmp_path, INGEST / "russian.txt")
    # "космонавтов" (genitive plural) meets "космонавты" (nominative) by the Russian stemmer.
    for query in ("космонавтов", "станцию", "экспериментами"):
        assert titles(index, query) == [article.title], query
    hit = index.search(SearchRequest("космонавтов")).hits[0]
    assert "<mark>космонавты</mark>" in hit.snippet


def test_broken_files_are_skipped_with_reasons_and_the_rest_indexed(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(INGEST / "russian.txt", folder)
    shutil.copy(INGEST / "export.json", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("\n \n\t\n")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "broken.json").write_text('{"title": "half a file", ')
    (folder / "notes.md").write_text("not an article format")
    report = update_index(tmp_path / "index", [folder], progress=False)
    reasons = {p.path.rsplit("/", 1)[-1]: p.reason for p in report.skipped}
    assert reasons == {
        "blank.txt": "the file holds only whitespace",
        "broken.json": "the file ends in the middle of the JSON (at line 1 column 26)",
        "empty.txt": "empty file",
        "image.txt": "binary file, not text",
    }
    assert report.articles_indexed == 3 and report.articles_total == 3


def test_oversized_file_is_skipped(tmp_path, monkeypatch):
    import searchsvc.articles as articles

    monkeypatch.setattr(articles, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text("Big story\n\n" + "word " * 100)
    with pytest.raises(Exception, match="file is larger than"):
        read_all(path)


def test_bbc_file_that_is_not_utf8_is_read_with_the_pound_sign():
    (article,) = read_all(corpus("bbc") / "sport" / "199.txt")
    assert "a £15.8m signing" in article.body


def test_reuters_corpus_yields_every_story():
    files = find_files([corpus("reuters21578")], excludes=["*.lc.txt", "cat-descriptions*"])
    assert len(files) == 22
    stories = [a for f in files for a in read_file(f)]
    assert len(stories) == 21_578
    assert len({s.id for s in stories}) == 21_578
    without_body = [s for s in stories if not s.body]
    # 1,798 stories have only a title; one UNPROC story is empty and gets a stand-in title.
    assert len(without_body) == 1_799
    assert "Untitled Reuters story 12793" in {s.title for s in without_body}
    assert all(s.title for s in stories)
    assert sum(1 for s in stories if s.date is None) == 0


def test_bbc_corpus_reads_every_article():
    files = find_files([corpus("bbc")])
    assert len(files) == 2_225
    articles = [a for f in files for a in read_file(f)]
    assert len(articles) == 2_225 and all(a.title and a.body for a in articles)


def test_html_page_is_indexed_without_its_boilerplate(tmp_path):
    html_dir = DATA / "html"
    index, report = index_folder(tmp_path, html_dir / "news_article.html",
                                 html_dir / "windows_1252.html", html_dir / "no_article.html")
    assert [p.path.rsplit("/", 1)[-1] for p in report.skipped] == ["no_article.html"]
    hits = index.search(SearchRequest("harbour lights")).hits
    assert [(h.title, str(h.date), h.source, h.url, h.language) for h in hits][:1] == [(
        "Harbour lights return to the old port after ten years", "2023-05-14",
        "Coastal Gazette", "https://gazette.example/harbour-lights", "en")]
    for boilerplate in ("cookies", "TRACKING", "Facebook", "Weather"):
        assert index.search(SearchRequest(boilerplate)).total == 0, boilerplate


def test_html_page_is_served_by_the_api(tmp_path):
    from conftest import LiveServer

    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(DATA / "html" / "news_article.html", folder)
    live = LiveServer(tmp_path / "index", folder)
    try:
        body = live.get("/api/articles/seeds/news_article.html").json()
        assert body["title"] == "Harbour lights return to the old port after ten years"
        assert "cookie" not in body["body"].lower()
        assert live.get("/api/search", params={"q": "cookies"}).json()["total"] == 0
    finally:
        live.stop()
