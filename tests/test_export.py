"""`searchsvc export` as a user runs it: every match, past the site's 10,000 rows, written to
standard output as CSV or JSON Lines."""

import codecs
import csv
import io
import json

import pytest

from conftest import run_cli
from searchsvc.web.params import EXPORT_ROWS

ARTICLES = EXPORT_ROWS + 150


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    """An archive with more matching stories than the site exports: EXPORT_ROWS + 150
    harbour reports (each its own story), dated over 300 days, and one about something else."""
    site = tmp_path_factory.mktemp("export")
    (site / "seeds").mkdir()
    with open(site / "seeds" / "reports.jsonl", "w") as out:
        for number in range(ARTICLES):
            out.write(json.dumps({
                "id": f"r{number}", "title": f"Harbour report {number}",
                "date": f"2024-{number % 10 + 1:02}-{number % 28 + 1:02}", "source": "Port desk",
                "body": f"Ship {number} left the harbour at dawn.\n\nIt took grain to the "
                        "harbour of Leith."}) + "\n")
    (site / "seeds" / "other.txt").write_text("title Snow in the hills\n\nIt snowed in the "
                                              "hills on Monday, to the £5 sledge sellers' joy.\n")
    indexed = run_cli("index", cwd=site, timeout=600)
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr
    return site


def test_export_writes_every_match_past_the_sites_limit_as_csv(big_archive):
    result = run_cli("export", "harbour", "--sort", "newest", "--site", "http://news.example",
                     cwd=big_archive, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(codecs.BOM_UTF8.decode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert len(rows) == ARTICLES > EXPORT_ROWS
    assert len({row["id"] for row in rows}) == ARTICLES
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    first = rows[0]
    assert first["article_page"] == f"http://news.example/articles/{first['id']}"
    assert first["id"].startswith("seeds/reports.jsonl:r")
    assert "left the harbour at dawn" in first["snippet"] and "<mark>" not in first["snippet"]
    assert not any("\n" in row["snippet"] for row in rows)
    assert f"{ARTICLES:,} results exported" in result.stderr


def test_export_as_json_lines_gives_the_apis_hits(big_archive):
    result = run_cli("export", "harbour", "--format", "jsonl", "--from", "2024-03-01",
                     "--to", "2024-03-31", cwd=big_archive, timeout=600)
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == ARTICLES // 10
    assert {hit["date"][:7] for hit in hits} == {"2024-03"}
    assert set(hits[0]) >= {"id", "title", "date", "source", "language", "url", "score",
                            "snippet", "similar", "article_page"}
    assert hits[0]["article_page"] == f"/articles/{hits[0]['id']}"


def test_export_keeps_every_script_intact(big_archive):
    result = run_cli("export", "sledge", cwd=big_archive)
    [row] = csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff")))
    assert "£5 sledge" in row["snippet"]


def test_export_without_a_match_exits_1_and_a_bad_query_2(big_archive):
    nothing = run_cli("export", "zanzibarquux", cwd=big_archive)
    assert nothing.returncode == 1
    assert nothing.stdout.lstrip("\ufeff").splitlines() == [
        "id,title,date,source,language,url,score,similar,article_page,snippet"]
    bad = run_cli("export", "a*", cwd=big_archive)
    assert bad.returncode == 2
    assert "bad query: wildcards need at least 2 letters" in bad.stderr
