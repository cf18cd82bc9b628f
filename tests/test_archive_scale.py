"""Archives as users bring them: a JSON Lines export larger than the old 64 MiB limit is
indexed completely (in parts, by both writer processes), and the index's arrays are mapped,
so two server workers share one copy of what they read."""

import json
import random
import re
from pathlib import Path

import pytest
import requests

from conftest import LiveServer, run_cli
from searchsvc.generation import Generation
from searchsvc.indexing import IndexStore
from searchsvc.searching import SearchIndex, SearchRequest

WORDS = ("harbour strike port wages ministers budget election reform grain barley wheat "
         "exports shipping talks union court ruling inflation rates bank central market "
         "shares profit quarter company merger rail transport energy oil prices pipeline "
         "football season league transfer coach stadium police report weather storm flood "
         "river bridge council housing school teachers hospital doctors vaccine trial").split()


def write_export(path: Path, articles: int, body_words: int, seed: int = 11) -> None:
    """A JSON Lines export of `articles` generated articles, one marker article last and
    one id repeated far apart (the first line and the last but one)."""
    rng = random.Random(seed)
    with path.open("w") as out:
        for number in range(articles):
            body = " ".join(rng.choice(WORDS) for _ in range(body_words))
            record = {"id": "repeated" if number in (0, articles - 2) else f"a{number}",
                      "title": " ".join(rng.choice(WORDS) for _ in range(6)).capitalize(),
                      "body": body, "date": f"20{number % 25:02d}-0{number % 9 + 1}-1{number % 9}",
                      "source": f"Wire {number % 7}", "language": "en"}
            if number == articles - 1:
                record.update(id="marker", title="Zanzibar spice auction", body="Cloves. " + body)
            out.write(json.dumps(record) + "\n")


@pytest.mark.slow
def test_an_export_larger_than_the_old_limit_is_indexed_completely(tmp_path):
    export = tmp_path / "archive.jsonl"
    write_export(export, articles=9_000, body_words=1_200)
    assert export.stat().st_size > 64 * 2**20
    result = run_cli("index", "--index", tmp_path / "index", export, timeout=900)
    assert result.returncode == 1, result.stderr  # the repeated id is reported
    assert "9,000 articles in the index" not in result.stdout
    assert "8,999 articles in the index" in result.stdout
    assert re.search(r"archive\.jsonl: duplicate article id archive\.jsonl:repeated",
                     result.stdout), result.stdout
    generation = Generation(IndexStore(tmp_path / "index").current())
    assert len(generation.segments) >= 2  # written by both writer processes
    index = SearchIndex(tmp_path / "index")
    found = index.search(SearchRequest("zanzibar cloves"))
    assert [hit.id for hit in found.hits] == ["archive.jsonl:marker"]
    assert index.search(SearchRequest("harbour")).total_articles == 8_999


def mapped_index_files(pid: int, folder: Path) -> dict[str, tuple[int, int]]:
    """(Rss, Pss) in kB of each file of `folder` that process `pid` maps."""
    found: dict[str, tuple[int, int]] = {}
    current = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            current = fields[5] if len(fields) > 5 and fields[5].startswith(str(folder)) \
                else None
            continue
        if current and fields[0] in ("Rss:", "Pss:"):
            rss, pss = found.get(current, (0, 0))
            found[current] = (rss + int(fields[1]), pss) if fields[0] == "Rss:" \
                else (rss, pss + int(fields[1]))
    return found


def test_two_server_workers_share_one_copy_of_the_index_arrays(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_export(seeds / "archive.jsonl", articles=3_000, body_words=300)
    assert run_cli("index", "--index", tmp_path / "index", seeds).returncode == 1
    generation = IndexStore(tmp_path / "index").current()
    live = LiveServer(tmp_path / "index", None, workers=2, cwd=tmp_path)
    try:
        for round_ in range(3):  # new connections: both workers answer some
            for word in WORDS:
                with requests.Session() as session:
                    reply = session.get(live.url + "/api/search", params={"q": word},
                                        timeout=30)
                    assert reply.status_code == 200
        workers = [int(pid) for pid in Path(f"/proc/{live.process.pid}/task/"
                                             f"{live.process.pid}/children").read_text().split()]
        assert len(workers) == 2
        maps = [mapped_index_files(pid, generation) for pid in workers]
        arrays = [name for name in maps[0] if name.endswith(".npy")]
        assert any(name.endswith("body.docs.npy") for name in arrays)
        assert set(arrays) <= set(maps[1])  # both map the same files
        both = [name for name in arrays if maps[0][name][0] and maps[1][name][0]]
        assert both, "both workers should have read the postings"
        rss = sum(maps[0][name][0] + maps[1][name][0] for name in both)
        pss = sum(maps[0][name][1] + maps[1][name][1] for name in both)
        assert pss < 0.75 * rss, (pss, rss)  # pages read by both are counted once, not twice
    finally:
        live.stop()
