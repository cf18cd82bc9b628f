"""Replicas as an operator runs them, on 127.0.0.1: `searchsvc publish` on the indexing node,
an rsync daemon serving what it publishes, `searchsvc follow` and `searchsvc serve-replica`
on each serving node, and HAProxy (configured by `searchsvc haproxy-config`) in front."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import free_port, run_cli
from robustness import report_figure, seed_text
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest

BALANCER_LOAD = Path(__file__).resolve().parent / "balancer_load.py"
WORD = "replicaword"  # in every article, so a search for it counts the generation's articles
WAIT_S = 180  # generous: the machine is small and shared

needs_rsync = pytest.mark.skipif(shutil.which("rsync") is None,
                                 reason="rsync is not installed (apt-get install rsync)")
needs_haproxy = pytest.mark.skipif(shutil.which("haproxy") is None,
                                   reason="haproxy is not installed (apt-get install haproxy)")


def write_articles(seeds: Path, numbers) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        (seeds / f"report-{number:04d}.txt").write_text(seed_text(
            f"Report {number} from the harbour", f"{WORD} report{number}: the harbour council "
            f"voted on the grain budget, item {number} of the session.", source="Wire"))


def index_and_publish(site: Path) -> str:
    """Index the seeds, then `searchsvc publish`, as the indexing node does after each change;
    the name of the generation published."""
    update_index(site / "index", [site / "seeds"], progress=False)
    published = run_cli("publish", site / "published", "--index", site / "index", cwd=site)
    assert published.returncode == 0, published.stderr
    assert " published in " in published.stdout, published.stdout
    return published.stdout.split()[0]


def search_total(index_dir: Path) -> int:
    return SearchIndex(index_dir).search(SearchRequest(q=WORD)).total


def current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text().strip()


def generations(index_dir: Path) -> list[str]:
    return sorted(path.name for path in index_dir.glob("gen-*") if path.is_dir())


class Processes:
    """Long-running commands, each in its own session (so that a kill takes its children
    too) with its output in a log file; everything still running is killed at the end."""

    def __init__(self, logs: Path):
        self.logs = logs
        logs.mkdir(exist_ok=True)
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *command) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "a") as log:
            process = subprocess.Popen([str(part) for part in command], stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.running[name] = process
        return process

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)


@pytest.fixture()
def processes(tmp_path):
    started = Processes(tmp_path / "logs")
    yield started
    started.stop_all()


def rsync_daemon(processes: Processes, published: Path, folder: Path) -> str:
    """An rsync daemon serving `published` as a read-only module; its rsync:// URL."""
    port = free_port()
    config = folder / "rsyncd.conf"
    config.write_text(f"use chroot = no\nuid = {os.getuid()}\ngid = {os.getgid()}\n"
                      f"pid file = {folder / 'rsyncd.pid'}\n\n"
                      f"[searchsvc]\n    path = {published}\n    read only = yes\n")
    processes.start("rsyncd", "rsync", "--daemon", "--no-detach", f"--config={config}",
                    "--address=127.0.0.1", f"--port={port}", "--log-file=/dev/stdout")
    url = f"rsync://127.0.0.1:{port}/searchsvc"
    wait_until(lambda: subprocess.run(["rsync", f"{url}/"], capture_output=True).returncode == 0,
               "the rsync daemon answers", processes, "rsyncd")
    return url


def wait_until(condition, what: str, processes: Processes | None = None, log: str = "",
               timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    details = f"\n--- {log} log ---\n{processes.log(log)}" if processes and log else ""
    raise AssertionError(f"waited {timeout} s for {what}{details}")


def health(url: str) -> requests.Response | None:
    try:
        return requests.get(url + "/healthz", timeout=10)
    except requests.RequestException:
        return None


def serving(url: str, generation: str) -> bool:
    answer = health(url)
    return answer is not None and answer.status_code == 200 and \
        answer.json()["generation"] == generation


# --- Publishing and following ---------------------------------------------------------------

@needs_rsync
def test_follow_fetches_each_new_generation_whole_and_hard_links_what_the_replica_has(
        tmp_path, processes, pytestconfig):
    write_articles(tmp_path / "seeds", range(40))
    first = index_and_publish(tmp_path)
    source = rsync_daemon(processes, tmp_path / "published", tmp_path)
    replica = tmp_path / "replica"

    followed = run_cli("follow", source, "--index", replica, "--once", cwd=tmp_path)
    assert followed.returncode == 0, followed.stderr
    assert f"{first} is now served from {replica}" in followed.stdout
    assert current(replica) == first
    assert search_total(replica) == 40
    published = tmp_path / "published" / first
    assert {p.name: p.read_bytes() for p in (replica / first).iterdir()} == \
        {p.name: p.read_bytes() for p in published.iterdir()}

    again = run_cli("follow", source, "--index", replica, "--once", cwd=tmp_path)
    assert f"{first} is already served from {replica}" in again.stdout

    # Two generations published while the replica looks away: it goes straight to the newest.
    write_articles(tmp_path / "seeds", range(40, 45))
    index_and_publish(tmp_path)
    write_articles(tmp_path / "seeds", range(45, 50))
    third = index_and_publish(tmp_path)
    caught_up = run_cli("follow", source, "--index", replica, "--once", cwd=tmp_path)
    assert caught_up.returncode == 0, caught_up.stderr
    assert f"{third} is now served from {replica}" in caught_up.stdout
    assert current(replica) == third
    assert search_total(replica) == 50
    assert generations(replica) == [first, third]  # the current one and the one before

    # Files the replica had are hard links, not fresh copies: only what changed was shipped.
    kept = {path.name: path.stat().st_ino for path in (replica / first).iterdir()}
    shared = [path for path in (replica / third).iterdir()
              if kept.get(path.name) == path.stat().st_ino]
    assert shared, "no file of the new generation was linked to the replica's older one"
    total = sum(p.stat().st_size for p in (replica / third).iterdir())
    linked = sum(p.stat().st_size for p in shared)
    report_figure(pytestconfig, f"follow: {linked:,} of {total:,} bytes of the new "
                                f"generation hard-linked, {total - linked:,} fetched")


def test_a_fetched_generation_that_does_not_match_its_manifest_is_not_used(tmp_path):
    write_articles(tmp_path / "seeds", range(20))
    first = index_and_publish(tmp_path)
    replica = tmp_path / "replica"
    assert run_cli("follow", tmp_path / "published", "--index", replica, "--once",
                   cwd=tmp_path).returncode == 0

    write_articles(tmp_path / "seeds", range(20, 30))
    second = index_and_publish(tmp_path)
    # a file of the published copy goes missing (a careless clean-up on the publisher)
    lost = max((tmp_path / "published" / second).iterdir(), key=lambda p: p.stat().st_size)
    lost.unlink()
    followed = run_cli("follow", tmp_path / "published", "--index", replica, "--once",
                       cwd=tmp_path)
    assert followed.returncode == 2
    assert "Traceback" not in followed.stderr
    assert (f"Error: {second} as fetched from {tmp_path / 'published'} does not match its "
            f"manifest ({lost.name} is missing); it is not used, the next sync fetches it "
            "again") in followed.stderr
    assert current(replica) == first and search_total(replica) == 20

    # publishing again repairs the published copy, and the replica follows
    republished = run_cli("publish", tmp_path / "published", "--index", tmp_path / "index",
                          cwd=tmp_path)
    assert f"{second} published in " in republished.stdout
    assert run_cli("follow", tmp_path / "published", "--index", replica, "--once",
                   cwd=tmp_path).returncode == 0
    assert current(replica) == second and search_total(replica) == 30


@needs_rsync
def test_follow_says_when_the_publisher_cannot_be_reached(tmp_path):
    source = f"rsync://127.0.0.1:{free_port()}/searchsvc"
    followed = run_cli("follow", source, "--index", tmp_path / "replica", "--once",
                       cwd=tmp_path)
    assert followed.returncode == 2
    assert f"Error: rsync from {source} failed: " in followed.stderr
    assert "Connection refused" in followed.stderr
    assert not (tmp_path / "replica" / "CURRENT").exists()


@pytest.mark.parametrize("named", ["../../etc", "gen-1/../../x", "", "index"])
def test_follow_refuses_a_source_whose_current_names_no_generation(tmp_path, named):
    source = tmp_path / "not-published"
    source.mkdir()
    (source / "CURRENT").write_text(named + "\n")
    followed = run_cli("follow", source, "--index", tmp_path / "replica", "--once",
                       cwd=tmp_path)
    assert followed.returncode == 2
    assert (f"Error: {source}/CURRENT names {named!r}, not a generation (gen-<number>); is "
            "the source a folder made by `searchsvc publish`?") in followed.stderr


def test_publish_without_an_index_says_to_index_first(tmp_path):
    published = run_cli("publish", tmp_path / "published", "--index", tmp_path / "index",
                        cwd=tmp_path)
    assert published.returncode == 2
    assert (f"Error: no index at {tmp_path / 'index'} to publish: run `searchsvc index` "
            "first") in published.stderr


def test_publish_keeps_the_newest_generations_for_followers_still_fetching(tmp_path):
    published = []
    for round in range(4):
        write_articles(tmp_path / "seeds", [round])
        published.append(index_and_publish(tmp_path))
    assert current(tmp_path / "published") == published[-1]
    assert generations(tmp_path / "published") == published[1:]
    assert sorted(p.name for p in (tmp_path / "published").glob("*.manifest")) == \
        [f"{name}.manifest" for name in published[1:]]


def test_serve_replica_is_unhealthy_until_its_first_generation_arrives(tmp_path, processes):
    write_articles(tmp_path / "seeds", range(12))
    (tmp_path / "replica").mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    processes.start("replica", sys.executable, "-m", "searchsvc", "serve-replica",
                    "--index", tmp_path / "replica", "--port", port, "--workers", 1)
    wait_until(lambda: health(url) is not None, "serve-replica answers", processes, "replica")
    waiting = health(url)
    assert waiting.status_code == 503
    assert waiting.json()["error"]["message"] == (
        f"no index at {tmp_path / 'replica'}: run `searchsvc index` to build it")
    assert generations(tmp_path / "replica") == []  # it indexed nothing itself

    generation = index_and_publish(tmp_path)
    assert run_cli("follow", tmp_path / "published", "--index", tmp_path / "replica", "--once",
                   cwd=tmp_path).returncode == 0
    assert health(url).json() == {"status": "ok", "articles": 12, "generation": generation}


@needs_haproxy
def test_haproxy_config_passes_haproxys_check_and_checks_every_replica(tmp_path):
    made = run_cli("haproxy-config", "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003",
                   "--bind", ":8000", "--stats", "127.0.0.1:8404", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    config = tmp_path / "haproxy.cfg"
    config.write_text(made.stdout)
    checked = subprocess.run(["haproxy", "-c", "-f", config], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "option httpchk GET /healthz" in made.stdout
    assert [line.split()[1:] for line in made.stdout.splitlines()
            if line.strip().startswith("server ")] == [
        [f"replica-{n}", f"127.0.0.1:800{n}"] for n in (1, 2, 3)]


@pytest.mark.parametrize("arguments, message", [
    (["127.0.0.1"], "replica '127.0.0.1' is not HOST:PORT (for example 127.0.0.1:8001)"),
    ([":8001"], "replica ':8001' is not HOST:PORT (for example 127.0.0.1:8001)"),
    (["127.0.0.1:8001", "--bind", "8000"], "--bind '8000' is not HOST:PORT"),
    (["127.0.0.1:99999"], "replica '127.0.0.1:99999' is not HOST:PORT"),
])
def test_haproxy_config_refuses_addresses_it_cannot_use(tmp_path, arguments, message):
    made = run_cli("haproxy-config", *arguments, cwd=tmp_path)
    assert made.returncode == 2
    assert message in made.stderr


# --- Three replicas behind HAProxy, under load ------------------------------------------------

class Replica:
    """One serving node as README runs it: `searchsvc follow --once` to catch up, then the
    follower and `searchsvc serve-replica` as two processes."""

    def __init__(self, number: int, source: str, folder: Path, processes: Processes):
        self.name = f"replica-{number}"
        self.source, self.folder, self.processes = source, folder, processes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        caught_up = run_cli("follow", self.source, "--index", self.folder, "--once",
                            timeout=WAIT_S)
        assert caught_up.returncode == 0, caught_up.stderr
        self.processes.start(f"{self.name}-follow", sys.executable, "-m", "searchsvc", "follow",
                             self.source, "--index", self.folder, "--interval", 0.5)
        self.processes.start(f"{self.name}-serve", sys.executable, "-m", "searchsvc",
                             "serve-replica", "--index", self.folder, "--port", self.port,
                             "--workers", 1)

    def kill(self) -> None:
        """SIGKILL to the server (gunicorn and its worker) and the follower at once, as when
        the machine dies."""
        self.processes.kill(f"{self.name}-serve")
        self.processes.kill(f"{self.name}-follow")

    def serves(self, generation: str) -> bool:
        return serving(self.url, generation)


class Balancer:
    """HAProxy from `searchsvc haproxy-config`, with its statistics page."""

    def __init__(self, replicas: list[Replica], processes: Processes, folder: Path):
        self.port, self.stats_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        made = run_cli("haproxy-config", *(f"127.0.0.1:{r.port}" for r in replicas),
                       "--bind", f"127.0.0.1:{self.port}", "--stats",
                       f"127.0.0.1:{self.stats_port}", cwd=folder)
        assert made.returncode == 0, made.stderr
        (folder / "haproxy.cfg").write_text(made.stdout)
        processes.start("haproxy", "haproxy", "-db", "-f", folder / "haproxy.cfg")

    def rows(self) -> dict[str, dict[str, str]]:
        """The statistics of each replica (and BACKEND, the sums), by name."""
        try:
            text = requests.get(f"http://127.0.0.1:{self.stats_port}/;csv", timeout=10).text
        except requests.RequestException:
            return {}
        lines = text.splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows if row["pxname"] == "replicas"}

    def status(self, name: str) -> str:
        return self.rows().get(name, {}).get("status", "")


class LoadProcess:
    """tests/balancer_load.py against the balancer, in its own process."""

    def __init__(self, url: str, folder: Path, processes: Processes):
        self.stop_file, self.progress_file, self.summary_file = (
            folder / name for name in ("load-stop", "load-progress", "load-summary"))
        self.process = processes.start("load", sys.executable, BALANCER_LOAD, url, WORD,
                                       self.stop_file, self.progress_file, self.summary_file)

    def progress(self) -> dict:
        try:
            seen = json.loads(self.progress_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {"requests": 0, "failures": [], "totals": {}}
        assert not seen["failures"], seen["failures"]  # stop at the first failed request
        return seen

    def sees(self, generation: str, articles: int) -> bool:
        """Whether searches have counted `articles` and /healthz has named `generation`."""
        seen = self.progress()
        return str(articles) in seen["totals"] and generation in seen.get("generations", {})

    def finish(self) -> dict:
        self.stop_file.touch()
        self.process.wait(timeout=WAIT_S)
        return json.loads(self.summary_file.read_text())


@pytest.mark.slow
@needs_rsync
@needs_haproxy
def test_replicas_behind_haproxy_fail_no_request_when_one_is_killed_and_generations_change(
        tmp_path, processes, pytestconfig):
    write_articles(tmp_path / "seeds", range(30))
    published = {index_and_publish(tmp_path): 30}
    source = rsync_daemon(processes, tmp_path / "published", tmp_path)
    replicas = [Replica(n, source, tmp_path / f"replica-{n}", processes) for n in (1, 2, 3)]
    for replica in replicas:
        replica.start()
    balancer = Balancer(replicas, processes, tmp_path)
    wait_until(lambda: all(balancer.status(r.name) == "UP" for r in replicas),
               "HAProxy to see the three replicas up", processes, "haproxy")
    load = LoadProcess(balancer.url, tmp_path, processes)
    wait_until(lambda: load.progress()["requests"] >= 100, "the load to get going",
               processes, "load")

    revived = replicas[2]
    revived.kill()
    wait_until(lambda: balancer.status(revived.name).startswith("DOWN"),
               f"HAProxy to see {revived.name} down", processes, "haproxy")
    for articles in (40, 50):  # two generations published while it is down
        write_articles(tmp_path / "seeds", range(articles - 10, articles))
        generation = index_and_publish(tmp_path)
        published[generation] = articles
        for replica in replicas[:2]:
            wait_until(lambda: replica.serves(generation), f"{replica.name} to serve "
                       f"{generation}", processes, f"{replica.name}-follow")
        wait_until(lambda: load.sees(generation, articles), f"the load to see {generation}")

    revived.start()
    wait_until(lambda: revived.serves(generation), f"{revived.name} to catch up",
               processes, f"{revived.name}-serve")
    wait_until(lambda: balancer.status(revived.name) == "UP",
               f"HAProxy to see {revived.name} up again", processes, "haproxy")
    answered = int(balancer.rows()[revived.name]["stot"])
    wait_until(lambda: int(balancer.rows()[revived.name]["stot"]) > answered + 20,
               f"{revived.name} to take its share of the load")
    before = load.progress()["requests"]
    wait_until(lambda: load.progress()["requests"] > before + 100, "more requests")
    outcome = load.finish()
    rows = balancer.rows()

    assert outcome["failure_count"] == 0, outcome["failures"]
    # every answer came from a whole published generation, and the load saw all three
    assert sorted(map(int, outcome["totals"])) == sorted(published.values())
    assert outcome["generations"] == {name: [count] for name, count in published.items()}
    assert current(revived.folder) == generation
    assert len(generations(revived.folder)) <= 2
    assert int(rows[revived.name]["chkdown"]) >= 1 and rows[revived.name]["status"] == "UP"
    report_figure(pytestconfig, f"3 replicas behind HAProxy, one killed with SIGKILL and "
                                f"revived, 2 generations published meanwhile: "
                                f"{outcome['requests']:,} requests, 0 failed (HAProxy retried "
                                f"{rows['BACKEND']['wretr']}, sent "
                                f"{rows['BACKEND']['wredis']} to another replica); searches "
                                f"answered from the generations of "
                                f"{' / '.join(outcome['totals'])} articles: "
                                f"{' / '.join(f'{c:,}' for c in outcome['totals'].values())}; "
                                f"the revived replica caught up")
