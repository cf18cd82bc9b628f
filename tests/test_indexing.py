"""Indexing runs: incremental updates, atomic rebuilds under a running server, the run lock,
progress output."""

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from conftest import DATA, LiveServer, run_cli
from searchsvc.errors import IndexBusy
from searchsvc.indexing import IndexStore, update_index
from searchsvc.searching import SearchIndex, SearchRequest


def write_seed(folder, name, title, body, date="2024-03-01"):
    path = folder / name
    path.write_text(f"date {date}\ntitle {title}\n\n{body}\n\nWire\n")
    return path


@pytest.fixture()
def news(tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    write_seed(folder, "a.txt", "Harbour reopens", "The harbour reopened to ships.")
    write_seed(folder, "b.txt", "Bridge closes", "The old bridge closed for repairs.")
    (folder / "sub").mkdir()
    write_seed(folder / "sub", "c.txt", "Canal drained", "Engineers drained the canal.")
    return folder


def ids(index_dir, q) -> list[str]:
    return sorted(h.id for h in SearchIndex(index_dir).search(SearchRequest(q, per_page=100)).hits)


def test_incremental_run_adds_updates_and_removes(tmp_path, news):
    index_dir = tmp_path / "index"
    first = update_index(index_dir, [news], progress=False)
    assert (first.files_added, first.articles_total) == (3, 3)

    write_seed(news, "d.txt", "Ferry returns", "The ferry returned to service.")
    time.sleep(0.01)
    write_seed(news, "a.txt", "Harbour closes again", "Storms closed the harbour again, with gales.")
    (news / "b.txt").unlink()
    report = update_index(index_dir, [news], progress=False)
    assert (report.files_added, report.files_changed, report.files_removed,
            report.files_unchanged) == (1, 1, 1, 1)
    assert (report.articles_indexed, report.articles_removed, report.articles_total) == (2, 2, 3)

    assert ids(index_dir, "ferry") == ["seeds/d.txt"]
    assert ids(index_dir, "gales") == ["seeds/a.txt"]
    assert ids(index_dir, "reopened") == []
    assert ids(index_dir, "bridge") == []
    assert ids(index_dir, "canal") == ["seeds/sub/c.txt"]

    unchanged = update_index(index_dir, [news], progress=False)
    assert not unchanged.changed and unchanged.generation is None


def test_articles_from_other_folders_are_kept(tmp_path, news):
    other = tmp_path / "exports"
    other.mkdir()
    shutil.copy(DATA / "ingest" / "export.json", other)
    index_dir = tmp_path / "index"
    update_index(index_dir, [news], progress=False)
    update_index(index_dir, [other], progress=False)
    assert ids(index_dir, "harbour") == ["seeds/a.txt"]
    assert ids(index_dir, "barge") == ["exports/export.json:1"]
    report = update_index(index_dir, [news, other], rebuild=True, progress=False)
    assert report.articles_total == 5


def test_a_file_that_turns_unreadable_keeps_its_articles(tmp_path, news):
    index_dir = tmp_path / "index"
    update_index(index_dir, [news], progress=False)
    (news / "a.txt").write_bytes(b"\x00\x00binary now")
    report = update_index(index_dir, [news], progress=False)
    assert [p.reason for p in report.skipped] == ["binary file, not text"]
    assert ids(index_dir, "harbour") == ["seeds/a.txt"]


def test_old_generations_are_cleaned_up(tmp_path, news):
    index_dir = tmp_path / "index"
    for round_ in range(4):
        write_seed(news, "a.txt", f"Harbour update {round_}", f"Round {round_} of news.")
        update_index(index_dir, [news], progress=False)
    generations = sorted(p.name for p in index_dir.glob("gen-*"))
    assert len(generations) == 2
    assert IndexStore(index_dir).current().name == generations[-1]


def test_second_run_at_once_is_refused_with_a_message_or_waits(tmp_path, news):
    index_dir = tmp_path / "index"
    update_index(index_dir, [news], progress=False)
    store = IndexStore(index_dir)
    with store.lock():
        with pytest.raises(IndexBusy, match=r"another indexing run \(pid \d+\) is updating"):
            update_index(index_dir, [news], progress=False)
        result = run_cli("index", news, "--index", index_dir)
        assert result.returncode == 2
        assert "pass --wait" in result.stderr

        waiting = subprocess.Popen([sys.executable, "-m", "searchsvc", "index", str(news),
                                    "--index", str(index_dir), "--wait", "--rebuild"],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the lock
    assert waiting.wait(timeout=60) == 0
    assert "3 articles in the index (3 indexed" in waiting.stdout.read()


def test_rebuild_and_update_reach_a_running_server_without_restart(tmp_path, news):
    index_dir = tmp_path / "index"
    update_index(index_dir, [news], progress=False)
    live = LiveServer(index_dir, news)
    try:
        assert live.get("/api/search", params={"q": "harbour"}).json()["total"] == 1

        write_seed(news, "e.txt", "Lighthouse relit", "The lighthouse was relit after a century.")
        assert run_cli("index", news, "--index", index_dir).returncode == 0
        # Each request may land on either worker: all of them must see the new article.
        for _ in range(10):
            assert live.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 1

        (news / "e.txt").unlink()
        assert run_cli("index", news, "--index", index_dir, "--rebuild").returncode == 0
        for _ in range(10):
            assert live.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 0
            assert live.get("/healthz").json()["articles"] == 3
    finally:
        live.stop()


def test_queries_keep_working_during_rebuilds(tmp_path, news):
    for n in range(200):
        write_seed(news, f"bulk{n}.txt", f"Harbour note {n}", f"Harbour traffic note number {n}.")
    index_dir = tmp_path / "index"
    update_index(index_dir, [news], progress=False)
    index = SearchIndex(index_dir)
    failures, totals = [], set()
    stop = threading.Event()

    def query_loop():
        while not stop.is_set():
            try:
                totals.add(index.search(SearchRequest("harbour")).total)
            except Exception as exc:  # any failure is what this test looks for
                failures.append(exc)

    thread = threading.Thread(target=query_loop)
    thread.start()
    try:
        for _ in range(3):
            update_index(index_dir, [news], rebuild=True, progress=False)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert totals == {201}


def test_progress_bar_on_a_terminal_and_quiet_otherwise(tmp_path, news):
    quiet = run_cli("index", news, "--index", tmp_path / "quiet")
    assert "indexing" not in quiet.stderr and "%" not in quiet.stderr

    pid, fd = pty.fork()
    if pid == 0:  # a terminal of 24 rows and 100 columns, as a user's would be
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        os.execv(sys.executable, [sys.executable, "-m", "searchsvc", "index", str(news),
                                  "--index", str(tmp_path / "tty")])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    assert "indexing:" in text and "%|" in text
    assert "3 articles in the index" in text


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name the files")
def test_a_generation_is_on_disk_before_current_names_it(tmp_path, news, monkeypatch):
    """A crash (power, kernel) right after the switch must not leave CURRENT naming files
    whose contents were still only in the page cache: every file of the new generation is
    fsynced before CURRENT is replaced."""
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return fsync(fd)

    def recording_replace(source, target):
        events.append(("replace", str(target)))
        return replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    index = tmp_path / "index"
    update_index(index, [news], progress=False)
    current = index / (index / "CURRENT").read_text().strip()
    switched = events.index(("replace", str(index / "CURRENT")))
    synced = {path for kind, path in events[:switched] if kind == "fsync"}
    files = {str(path) for path in current.rglob("*") if path.is_file()}
    assert files and files <= synced, sorted(files - synced)
