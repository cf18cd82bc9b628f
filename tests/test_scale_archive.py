"""The scale benchmark's generated archive (bench/generate.py): the same on every run, each
size the start of the larger ones, and read whole by `searchsvc index`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import corpus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from generate import exports, queries, read_pool  # noqa: E402


@pytest.fixture(scope="module")
def corpora() -> Path:
    corpus("bbc")
    return corpus("reuters21578").parent


@pytest.mark.corpus
def test_archive_is_the_same_every_run_and_smaller_sizes_are_its_start(corpora, tmp_path):
    first = exports([40, 300], tmp_path / "one", corpora, log=lambda message: None)
    again = exports([300], tmp_path / "two", corpora, log=lambda message: None)
    split = exports([300], tmp_path / "three", corpora, files=3, log=lambda message: None)
    whole = first[300].path.read_bytes()
    assert again[300].path.read_bytes() == whole
    assert whole.startswith(first[40].path.read_bytes())
    parts = sorted(split[300].path.glob("*.jsonl"))
    assert len(parts) == 3 and b"".join(p.read_bytes() for p in parts) == whole
    cached = exports([300], tmp_path / "one", corpora, log=lambda message: None)[300]
    assert cached.generated_s is None and cached.path == first[300].path


@pytest.mark.corpus
def test_archive_has_sources_dates_and_wire_copies(corpora, tmp_path):
    export = exports([2000], tmp_path, corpora, log=lambda message: None)[2000]
    articles = [json.loads(line) for line in export.path.read_text(encoding="utf-8").splitlines()]
    assert len({a["source"] for a in articles}) >= 40
    assert min(a["date"] for a in articles) < "1990" and max(a["date"] for a in articles) > "2020"
    assert 900 < sum(len(a["body"]) for a in articles) / len(articles) < 1200
    leads = [(a["title"], a["body"].split("\n\n")[0]) for a in articles]
    assert 0.02 < 1 - len(set(leads)) / len(leads) < 0.1


@pytest.mark.corpus
def test_searchsvc_indexes_every_generated_article(corpora, tmp_path):
    export = exports([200], tmp_path / "cache", corpora, log=lambda message: None)[200]
    done = subprocess.run([sys.executable, "-m", "searchsvc", "index", "--rebuild", "--index",
                           str(tmp_path / "index"), str(export.path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "200 articles in the index" in done.stdout


@pytest.mark.corpus
def test_queries_are_fixed_and_one_to_seven_words(corpora):
    drawn = queries(read_pool(corpora), 35)
    assert drawn == queries(read_pool(corpora), 35)
    assert len(set(drawn)) == 35
    assert all(1 <= len(q.replace('"', "").split()) <= 7 for q in drawn)
    assert any('"' in q for q in drawn) and any(" " not in q for q in drawn)
