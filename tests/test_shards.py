"""A sharded index as an operator runs one: a Ray cluster started with `ray start`, the index
built on it with `searchsvc index --shards 4 --cluster`, served with `searchsvc serve
--cluster`; its answers are those of one index of the same articles, and a shard's worker
killed costs a clear 503, never a wrong answer."""

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import pytest
import requests

from conftest import DATA, corpus, free_port, run_cli
from searchsvc.cluster import LOOPBACK_ONLY
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest
from searchsvc.searching.sharded import ShardedSearchIndex

pytestmark = pytest.mark.slow

RAY = Path(sys.executable).parent / "ray"
SHARDS = 4
WAIT_S = 120
QUERIES = ["oil prices", "oil", '"interest rates"', '"world cup"', "football OR rugby",
           "chelsea NOT arsenal", "title:match", "source:Reuters grain", "cup final",
           "wheat corn soybean", "trade surplus japan", "prise", "footbal~", "cosmo*",
           "goverment", "harbour strike", "hafen", "election", "xyzzyq"]
FILTERS = [{}, {"date_from": dt.date(1987, 2, 26), "date_to": dt.date(1987, 3, 5)},
           {"date_from": dt.date(1987, 3, 1)}, {"source": "Reuters"}, {"language": "de"}]
SORTS = ("relevance", "newest", "oldest")


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> Path:
    """Two Reuters-21578 files (dated wire stories, repeated versions), the BBC's sport
    articles (undated) and the newsroom (four languages, one story filed twice)."""
    reuters, bbc = corpus("reuters21578"), corpus("bbc")
    folder = tmp_path_factory.mktemp("shards") / "articles"
    folder.mkdir()
    for name in ("reut2-000.sgm", "reut2-001.sgm"):
        shutil.copy(reuters / name, folder / name)
    shutil.copytree(bbc / "sport", folder / "bbc-sport")
    shutil.copytree(DATA / "newsroom", folder / "newsroom")
    return folder


@pytest.fixture(scope="module")
def single(articles) -> Path:
    index = articles.parent / "single"
    update_index(index, [articles], progress=False)
    return index


@pytest.fixture(scope="module")
def cluster(articles):
    """A Ray cluster of two worker processes on 127.0.0.1, started as `ray start` starts one;
    its processes are killed at the end."""
    if not RAY.exists():
        pytest.skip("ray is not installed (pip install '.[shards]')")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths
    env = {**os.environ, LOOPBACK_ONLY: "0"}
    starting = subprocess.Popen(
        [str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", f"--temp-dir={temp}", "--object-store-memory=100000000",
         "--disable-usage-stats"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    output = starting.communicate(timeout=WAIT_S)[0]
    assert starting.returncode == 0, output
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        ray.shutdown()
        try:
            os.killpg(starting.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def sharded(articles, cluster) -> Path:
    """The same articles in 4 shards, built on the cluster by the command an operator runs."""
    index = articles.parent / "sharded"
    built = run_cli("index", articles, "--index", index, "--shards", SHARDS, "--cluster",
                    cluster, timeout=600, env={**os.environ, LOOPBACK_ONLY: "0"})
    assert built.returncode == 0, built.stdout + built.stderr
    assert f" articles in {SHARDS} shards (" in built.stdout
    return index


def comparable(value) -> dict:
    """A result as a dict, without what differs between two builds of the same articles:
    the time a search took and the time each article was indexed."""
    found = asdict(value)
    found.pop("took_ms", None)
    found.pop("indexed", None)
    for hit in found.get("hits", []):
        hit.pop("indexed")
    return found


def test_sharded_search_answers_as_one_index_of_the_same_articles(single, sharded, cluster):
    one = SearchIndex(single, cache_entries=0)
    shards = ShardedSearchIndex(sharded, cache_entries=0, cluster=cluster)
    compared = 0
    for q in QUERIES:
        for sort in SORTS:
            for filters in FILTERS:
                for page in (1, 2, 4):
                    request = SearchRequest(q=q, sort=sort, page=page, per_page=7, **filters)
                    assert comparable(shards.search(request)) == comparable(one.search(request)), \
                        request
                    compared += 1
    expected = one.search(SearchRequest(q="oil"))
    assert expected.total > 50 and len({hit.source for hit in expected.hits}) >= 1
    story = next(hit for hit in one.search(SearchRequest(q="grain", per_page=50)).hits
                 if hit.similar)
    request = SearchRequest(q="grain", story=story.id)
    assert comparable(shards.search(request)) == comparable(one.search(request))
    for prefix in ("oil pr", "footb", "wheat ex"):
        assert shards.suggest(prefix) == one.suggest(prefix)
    for hit in expected.hits[:3]:
        assert [comparable(h) for h in shards.related(hit.id)] == \
            [comparable(h) for h in one.related(hit.id)]
        assert comparable(shards.article(hit.id, q="oil prices")) == \
            comparable(one.article(hit.id, q="oil prices"))
    assert compared == len(QUERIES) * len(SORTS) * len(FILTERS) * 3


def test_shards_keep_each_story_whole_and_split_the_articles(single, sharded):
    shards = ShardedSearchIndex(sharded, cache_entries=0)  # in this process, no cluster
    generation, articles, health = shards.shards()
    assert generation.startswith("shards-")
    assert articles == SearchIndex(single).doc_count()
    assert [shard["shard"] for shard in health] == list(range(SHARDS))
    assert sum(shard["articles"] for shard in health) == articles
    assert min(shard["articles"] for shard in health) > articles / SHARDS / 2
    # every version of a repeated story is counted under one hit, in any shard
    results = shards.search(SearchRequest(q="grain", per_page=50))
    assert results.total < results.total_articles


class Server:
    """`searchsvc serve` on an index, in its own session, with the cluster's address."""

    def __init__(self, index: Path, cluster: str | None, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "searchsvc", "serve", "--index", str(index),
                   "--port", str(self.port), "--workers", "1"]
        if cluster:
            command += ["--cluster", cluster]
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                command, cwd=index.parent, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1", LOOPBACK_ONLY: "0",
                     "SEARCHSVC_RESULTS_CACHE": "0"})
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise AssertionError(f"searchsvc serve did not answer: {log.read_text()}")

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(self.url + path, params=params, timeout=60)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def servers(single, sharded, cluster, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    one = Server(single, None, logs / "single.log")
    many = Server(sharded, cluster, logs / "sharded.log")
    yield one, many
    one.stop()
    many.stop()


def untimed(page: str) -> str:
    """A page without the time its search took."""
    return re.sub(r"[\d.,]+\s*ms", "", page)


def without_times(body: dict) -> dict:
    body.pop("took_ms", None)
    return body


def test_the_site_and_api_are_the_same_on_a_sharded_index(servers):
    one, many = servers
    for params in ({"q": "oil prices"}, {"q": "oil prices", "sort": "newest", "page": "3"},
                   {"q": "football", "from": "1987-01-01"}, {"q": '"world cup" OR rugby'}):
        expected = one.get("/api/search", **params)
        found = many.get("/api/search", **params)
        assert found.status_code == expected.status_code == 200
        assert without_times(found.json()) == without_times(expected.json())
    for path in ("/", "/search"):
        page, expected = many.get(path, q="oil prices"), one.get(path, q="oil prices")
        assert page.status_code == expected.status_code == 200
        assert untimed(page.text) == untimed(expected.text)
    assert many.get("/api/search", q="title:").status_code == \
        one.get("/api/search", q="title:").status_code
    health = many.get("/healthz").json()
    assert health["generation"].startswith("shards-")
    assert [shard["shard"] for shard in health["shards"]] == list(range(SHARDS))
    assert sum(shard["articles"] for shard in health["shards"]) == health["articles"] == \
        one.get("/healthz").json()["articles"]


def test_a_killed_shard_worker_costs_a_503_never_a_wrong_answer(servers):
    one, many = servers
    params = {"q": "oil prices", "sort": "newest", "page": "2"}
    expected = without_times(one.get("/api/search", **params).json())
    victim = many.get("/healthz").json()["shards"][1]
    os.kill(victim["pid"], signal.SIGKILL)
    answers = {"ok": 0, "unavailable": 0}
    deadline = time.monotonic() + WAIT_S
    recovered = False
    while time.monotonic() < deadline and not recovered:
        found = many.get("/api/search", **params)
        if found.status_code == 503:
            error = found.json()["error"]
            assert error["code"] == "shard_unavailable", error
            assert "try again" in error["message"]
            answers["unavailable"] += 1
            time.sleep(0.5)
            continue
        assert found.status_code == 200, found.text
        assert without_times(found.json()) == expected
        answers["ok"] += 1
        health = many.get("/healthz")
        recovered = health.status_code == 200 and \
            health.json()["shards"][1]["pid"] != victim["pid"]
    assert recovered, answers  # Ray restarted the shard's actor in a new process
    print(f"\n[shards] after SIGKILL of shard 1's worker: {answers['unavailable']} answers "
          f"503, {answers['ok']} right answers, none wrong")
