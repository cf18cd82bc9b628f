"""Faults: indexing killed at random points, reindexing while a load process queries the server,
a damaged or missing index, a full disk, slow and vanishing clients. The previous index keeps
serving every article it had, the next run finishes the work, and no request fails."""

import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from conftest import LiveServer, free_port, run_cli
from robustness import report_figure, seed_text
from searchsvc.generation import FORMAT, META
from searchsvc.indexing import IndexStore
from searchsvc.searching import SearchIndex, SearchRequest

LOAD_PROCESS = Path(__file__).resolve().parent / "load_process.py"
VOCABULARY = ("harbour grain storm minister election parliament market shares oil prices "
              "football league season players bank interest rates inflation company profits "
              "government budget tax schools hospital doctors train railway airport weather "
              "festival film music court judge police river bridge council vote").split()
KILLS = 5
STALLED = 12  # the server has 2 workers x 4 threads
CANARIES = 20


def story(number: int, edition: int = 0) -> str:
    """A generated article with one word of its own (`storyword<number>`), so each is findable."""
    rng = random.Random(number * 1000 + edition)
    paragraphs = [" ".join(rng.choice(VOCABULARY) for _ in range(60)) + "."
                  for _ in range(3)]
    return seed_text(f"Story {number} edition {edition}",
                     f"storyword{number} edition{edition} " + "\n\n".join(paragraphs),
                     source="Wire")


def write_stories(folder: Path, numbers, edition: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        (folder / f"story-{number:05d}.txt").write_text(story(number, edition))


def indexed_state(index_dir: Path) -> dict[str, str]:
    """What the served index holds: article id -> title."""
    _, generation = IndexStore(index_dir).open()
    live = np.flatnonzero(generation.live).tolist()
    return {stored.id: stored.title for stored in map(generation.stored, live)}


def expected_state(seeds: Path) -> dict[str, str]:
    """What a finished run over the seeds folder would hold."""
    state = {}
    for path in sorted(seeds.glob("story-*.txt")):
        title = path.read_text().split("\n", 1)[0].removeprefix("title ")
        state[f"seeds/{path.name}"] = title
    return state


def assert_serves(index_dir: Path, state: dict[str, str]) -> None:
    """The index opens and serves exactly `state`: every article by id, a sample by search."""
    index = SearchIndex(index_dir)
    assert index.doc_count() == len(state)
    for article_id, title in state.items():
        assert index.article(article_id).title == title
    for article_id in random.Random(len(state)).sample(sorted(state), 25):
        number = int(article_id.split("-")[1].split(".")[0])
        hits = index.search(SearchRequest(q=f"storyword{number}")).hits
        assert [hit.id for hit in hits] == [article_id]


def start_index_run(index_dir: Path, seeds: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "searchsvc", "index", "--index",
                             str(index_dir), str(seeds), *extra], cwd=seeds.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_indexing_killed_at_random_points_keeps_the_old_index_and_the_next_run_finishes(
        tmp_path, pytestconfig):
    seeds = tmp_path / "seeds"
    index_dir = tmp_path / "index"
    write_stories(seeds, range(2000))
    started = time.monotonic()
    first = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path, timeout=600)
    run_seconds = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    served = expected_state(seeds)
    assert_serves(index_dir, served)

    rng = random.Random(7)
    changes = [
        ("add 500", lambda n: write_stories(seeds, range(2000 + 500 * n, 2500 + 500 * n)), ()),
        ("edit 400, delete 100", lambda n: (
            write_stories(seeds, rng.sample(range(2000), 400), edition=n + 1),
            [path.unlink() for path in rng.sample(sorted(seeds.glob("story-*.txt")), 100)]), ()),
        ("rebuild", lambda n: None, ("--rebuild",)),
    ]
    kills = attempts = 0
    states = {"old": 0, "new": 0}
    while kills < KILLS:
        attempts += 1
        assert attempts <= 4 * KILLS, f"only {kills} runs were still going when killed"
        name, change, options = changes[attempts % len(changes)]
        change(attempts)
        finished = expected_state(seeds)
        process = start_index_run(index_dir, seeds, *options)
        time.sleep(rng.uniform(0.1, 1.0) * run_seconds)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            # Killed before or after the switch to the new generation: one or the other, whole.
            now = indexed_state(index_dir)
            assert now in (served, finished), f"run '{name}' killed: the index is neither state"
            assert_serves(index_dir, now)
            states["old" if now == served else "new"] += 1
        else:
            assert process.returncode == 0, process.stderr.read()
        again = run_cli("index", "--index", index_dir, seeds, *options, cwd=tmp_path, timeout=600)
        assert again.returncode == 0, again.stderr
        assert_serves(index_dir, finished)
        served = finished
        generations = [p.name for p in index_dir.glob("gen-*")]
        assert len(generations) <= 2, generations  # killed runs' leftovers are cleared
    report_figure(pytestconfig, f"indexing runs killed with SIGKILL: {kills} survived of "
                                f"{attempts} started (the index served the whole old state "
                                f"after {states['old']}, the whole new one after "
                                f"{states['new']}; every next run finished; "
                                f"{len(served):,} articles at the end, none lost)")


def write_canaries(seeds: Path, edition: int) -> None:
    for number in range(CANARIES):
        (seeds / f"canary-{number:03d}.txt").write_text(seed_text(
            f"Canary {number} edition {edition}",
            f"canaryword edition{edition} canary {number} of edition {edition}.",
            source="Canary Wire"))


@pytest.mark.slow
def test_reindex_and_rebuild_under_load_fail_no_request_and_never_mix_versions(
        tmp_path, pytestconfig):
    seeds = tmp_path / "seeds"
    index_dir = tmp_path / "index"
    write_stories(seeds, range(300))
    write_canaries(seeds, 0)
    live = LiveServer(index_dir, seeds)
    stop, progress, summary = (tmp_path / name for name in ("stop", "progress", "summary"))
    load = subprocess.Popen([sys.executable, str(LOAD_PROCESS), live.url, str(stop),
                             str(progress), str(summary), str(CANARIES), str(300 + CANARIES)])
    try:
        for edition in range(1, 7):
            wait_for_edition(progress, edition - 1)
            write_canaries(seeds, edition)
            options = ("--rebuild",) if edition % 2 else ()
            result = run_cli("index", "--index", index_dir, seeds, *options, cwd=tmp_path)
            assert result.returncode == 0, result.stderr
        wait_for_edition(progress, 6)
    finally:
        stop.touch()
        load.wait(timeout=120)
        live.stop()
    outcome = json.loads(summary.read_text())
    assert outcome["failure_count"] == 0, outcome["failures"]
    assert outcome["mixed"] == []
    assert outcome["editions"] == list(range(7))
    assert outcome["requests"] > 0
    report_figure(pytestconfig, f"requests served during 3 reindex and 3 rebuild runs: "
                                f"{outcome['requests']:,}, failed 0, mixing two versions 0")


def wait_for_edition(progress: Path, edition: int, timeout: float = 120) -> None:
    """Until the load process has seen `edition` served (it checks every response)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen = json.loads(progress.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            seen = {"editions": [], "failures": []}
        assert not seen.get("failures"), seen["failures"]
        if edition in seen["editions"]:
            return
        time.sleep(0.1)
    raise AssertionError(f"the load process never saw edition {edition}: {seen}")


# --- A damaged or missing index -------------------------------------------------------------

def small_site(tmp_path: Path) -> tuple[Path, Path]:
    seeds = tmp_path / "seeds"
    write_stories(seeds, range(30))
    index_dir = tmp_path / "index"
    result = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return seeds, index_dir


def current_generation(index_dir: Path) -> Path:
    return IndexStore(index_dir).current()


def truncate_toc(index_dir: Path) -> None:
    for toc in current_generation(index_dir).glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])


def segment_files(index_dir: Path) -> list[Path]:
    """A segment's files: Whoosh's id terms and the arrays of its postings."""
    generation = current_generation(index_dir)
    found = [*generation.glob("MAIN_*.trm"), *generation.glob("MAIN_*.body.docs.npy")]
    assert found
    return found


def garble_segments(index_dir: Path) -> None:
    for segment in segment_files(index_dir):
        segment.write_bytes(bytes(random.Random(1).randrange(256)
                                  for _ in range(segment.stat().st_size)))


def delete_segments(index_dir: Path) -> None:
    for segment in segment_files(index_dir):
        segment.unlink()


DAMAGE = {"table of contents truncated": truncate_toc, "segment garbled": garble_segments,
          "segment deleted": delete_segments}


@pytest.mark.parametrize("damage", DAMAGE, ids=str)
def test_damaged_index_is_refused_at_start_with_a_clear_message_and_rebuild_recovers(
        tmp_path, damage):
    seeds, index_dir = small_site(tmp_path)
    DAMAGE[damage](index_dir)
    port = free_port()
    serve = run_cli("serve", "--index", index_dir, "--seeds", seeds, "--port", port,
                    cwd=tmp_path, timeout=60)
    assert serve.returncode == 2, serve.stderr
    assert "Traceback" not in serve.stderr
    assert f"the index at {current_generation(index_dir)} cannot be" in serve.stderr
    assert "run `searchsvc index --rebuild` to rebuild it" in serve.stderr
    search = run_cli("search", "storyword3", "--index", index_dir, cwd=tmp_path)
    assert search.returncode == 2 and "searchsvc index --rebuild" in search.stderr

    rebuild = run_cli("index", "--rebuild", "--index", index_dir, seeds, cwd=tmp_path)
    assert rebuild.returncode == 0, rebuild.stderr
    assert_serves(index_dir, expected_state(seeds))


def test_an_index_in_an_older_format_is_refused_then_rebuilt_by_the_next_run(tmp_path):
    """An index written by another version (its generation's format differs) answers
    "run `searchsvc index --rebuild`", and a plain `searchsvc index` rebuilds it whole."""
    seeds, index_dir = small_site(tmp_path)
    old = current_generation(index_dir)
    meta = json.loads((old / META).read_text())
    (old / META).write_text(json.dumps({**meta, "format": FORMAT - 1}))
    search = run_cli("search", "storyword3", "--index", index_dir, cwd=tmp_path)
    assert search.returncode == 2
    assert f"written in index format {FORMAT - 1}, this searchsvc reads {FORMAT}" in search.stderr
    assert "run `searchsvc index --rebuild` to rebuild it" in search.stderr

    again = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert current_generation(index_dir) != old
    assert json.loads((current_generation(index_dir) / META).read_text())["format"] == FORMAT
    assert_serves(index_dir, expected_state(seeds))


def test_missing_index_is_a_clear_error_and_serve_builds_it(tmp_path):
    seeds = tmp_path / "seeds"
    write_stories(seeds, range(5))
    search = run_cli("search", "storyword3", "--index", tmp_path / "index", cwd=tmp_path)
    assert search.returncode == 2
    assert f"no index at {tmp_path / 'index'}: run `searchsvc index` to build it" in search.stderr
    live = LiveServer(tmp_path / "index", seeds)
    try:
        assert live.get("/healthz").json() == {
            "status": "ok", "articles": 5,
            "generation": current_generation(tmp_path / "index").name}
    finally:
        live.stop()


def test_healthz_is_503_while_the_index_is_unreadable_and_recovers_after_rebuild(
        tmp_path, pytestconfig):
    seeds, index_dir = small_site(tmp_path)
    live = LiveServer(index_dir, seeds)
    try:
        assert live.get("/healthz").status_code == 200

        shutil.rmtree(index_dir)  # someone removes the index folder under the server
        for _ in range(8):  # every worker thread notices, not only the first asked
            gone = live.get("/healthz")
            assert gone.status_code == 503
            assert gone.json()["error"]["message"] == (
                f"no index at {index_dir}: run `searchsvc index` to build it")
        page = live.get("/search", params={"q": "storyword3"})
        assert page.status_code == 503 and "run `searchsvc index` to build it" in page.text

        assert run_cli("index", "--rebuild", "--index", index_dir, seeds,
                       cwd=tmp_path).returncode == 0
        assert live.get("/healthz").json() == {
            "status": "ok", "articles": 30, "generation": current_generation(index_dir).name}

        damaged = switch_to_damaged_copy(index_dir)
        for _ in range(8):
            broken = live.get("/healthz")
            assert broken.status_code == 503
            message = broken.json()["error"]["message"]
            assert message.startswith(f"the index at {damaged} cannot be")
            assert message.endswith("run `searchsvc index --rebuild` to rebuild it")
        assert live.get("/api/search", params={"q": "storyword3"}).status_code == 503

        assert run_cli("index", "--rebuild", "--index", index_dir, seeds,
                       cwd=tmp_path).returncode == 0
        assert live.get("/healthz").json() == {
            "status": "ok", "articles": 30, "generation": current_generation(index_dir).name}
        hits = live.get("/api/search", params={"q": "storyword3"}).json()["hits"]
        assert [hit["id"] for hit in hits] == ["seeds/story-00003.txt"]
    finally:
        live.stop()


def switch_to_damaged_copy(index_dir: Path) -> Path:
    """Publish a copy of the current generation with its table of contents cut short, the way
    a bad disk or a careless copy would leave it."""
    store = IndexStore(index_dir)
    damaged = index_dir / f"gen-{time.time_ns()}"
    shutil.copytree(store.current(), damaged)
    for toc in damaged.glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])
    store.switch_to(damaged)
    return damaged


# --- A full disk ----------------------------------------------------------------------------

@pytest.fixture()
def small_disk(tmp_path):
    """A 3 MiB tmpfs for the index; skipped where mounting is not permitted."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({mounted.stderr.strip()})")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_full_disk_fails_cleanly_and_keeps_the_old_index(tmp_path, small_disk):
    seeds = tmp_path / "seeds"
    index_dir = small_disk / "index"
    write_stories(seeds, range(100))
    assert run_cli("index", "--index", index_dir, seeds, cwd=tmp_path).returncode == 0
    served = expected_state(seeds)
    generations = sorted(p.name for p in index_dir.glob("gen-*"))

    write_stories(seeds, range(100, 3000))
    full = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path, timeout=600)
    assert full.returncode == 2, full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    assert "No space left on device" in full.stderr
    assert "the index in use is unchanged" in full.stderr
    assert sorted(p.name for p in index_dir.glob("gen-*")) == generations
    assert_serves(index_dir, served)

    filler = small_disk / "filler"  # now a disk already full when the run starts
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: closing has nothing to
        try:                                           # write to the full disk
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    already_full = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path, timeout=600)
    assert already_full.returncode == 2, already_full.stdout + already_full.stderr
    assert "Traceback" not in already_full.stderr
    assert "No space left on device" in already_full.stderr
    assert_serves(index_dir, served)
    filler.unlink()

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = run_cli("index", "--index", index_dir, seeds, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    assert_serves(index_dir, expected_state(seeds))


# --- Slow and vanishing clients -------------------------------------------------------------

def worker_threads(server_pid: int) -> list[int]:
    """Threads of each gunicorn worker process under `searchsvc serve`."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return [len(os.listdir(f"/proc/{pid}/task")) for pid in children]


@pytest.mark.slow
def test_slow_and_vanishing_clients_do_not_stop_the_server(tmp_path, pytestconfig):
    seeds, index_dir = small_site(tmp_path)
    live = LiveServer(index_dir, seeds)
    threads_before = worker_threads(live.process.pid)
    stalled = []
    try:
        for _ in range(STALLED):  # slowloris: request heads that never end, more than threads
            sock = socket.create_connection(("127.0.0.1", live.port))
            sock.sendall(b"GET /api/search?q=storyword3 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            stalled.append(sock)
        for _ in range(40):  # connect and vanish
            socket.create_connection(("127.0.0.1", live.port)).close()
        for _ in range(40):  # ask and leave before the answer
            sock = socket.create_connection(("127.0.0.1", live.port))
            sock.sendall(b"GET /search?q=storyword3 HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
            sock.close()

        served = [requests.get(live.url + "/api/search", params={"q": f"storyword{n}"},
                               timeout=60).json()["hits"][0]["id"] for n in range(10)]
        assert served == [f"seeds/story-{n:05d}.txt" for n in range(10)]

        for sock in stalled:  # the server drops clients that stall mid-request
            sock.settimeout(60)
            while sock.recv(65536):
                pass
        threads_after = worker_threads(live.process.pid)
        # 4 request threads, the main thread and a helper or two: never one per client
        assert max(threads_after) <= 8, threads_after
        assert live.process.poll() is None
    finally:
        for sock in stalled:
            sock.close()
        live.stop()
    report_figure(pytestconfig, f"slow clients: {STALLED} stalled, 40 vanished, 40 left early; "
                                f"10 of 10 other requests served; worker threads "
                                f"{threads_before} -> {threads_after}")
