"""Fixtures: real article files in a temporary folder, a real index, a real served site."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from searchsvc.indexing import update_index
from searchsvc.web import create_app

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED_CORPORA = REPO.parent / "shared" / "corpora"


def corpus(name: str) -> Path:
    """A folder of ../shared/corpora, or a skip where this machine does not have it."""
    path = SHARED_CORPORA / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent (the shared corpora exist only on the project's machines)")
    return path


@pytest.fixture(scope="session")
def seeds_dir(tmp_path_factory) -> Path:
    """The project's seeds plus the test articles, as a user's seeds folder would hold them."""
    folder = tmp_path_factory.mktemp("site") / "seeds"
    shutil.copytree(REPO / "seeds", folder)
    for path in (DATA / "articles").iterdir():
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def index_dir(seeds_dir) -> Path:
    folder = seeds_dir.parent / "index"
    update_index(folder, [seeds_dir], progress=False)
    return folder


@pytest.fixture()
def app(index_dir):
    return create_app({"INDEX_DIR": str(index_dir), "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args, cwd=None, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed `searchsvc` command the way a user does."""
    return subprocess.run([sys.executable, "-m", "searchsvc", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


class LiveServer:
    """`searchsvc serve` (gunicorn) in a child process, on a free port of 127.0.0.1."""

    def __init__(self, index_dir: Path, seeds_dir: Path | None, workers: int = 2,
                 cwd: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        seeds = ["--seeds", str(seeds_dir)] if seeds_dir is not None else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "searchsvc", "serve", "--index", str(index_dir), *seeds,
             "--port", str(self.port), "--workers", str(workers)],
            cwd=cwd or (seeds_dir or index_dir).parent, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"searchsvc serve exited: {self.process.stdout.read()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("searchsvc serve did not answer within 60 s")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def server(seeds_dir, index_dir):
    live = LiveServer(index_dir, seeds_dir)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def newsroom_index(tmp_path_factory) -> Path:
    """An index of tests/data/newsroom: 15 articles from 7 sources in 4 languages over 9
    months, one story filed twice (a near-duplicate)."""
    seeds = tmp_path_factory.mktemp("newsroom") / "seeds"
    shutil.copytree(DATA / "newsroom", seeds)
    update_index(seeds.parent / "index", [seeds], progress=False)
    return seeds.parent / "index"


@pytest.fixture(scope="session")
def newsroom(newsroom_index):
    """`searchsvc serve` over the newsroom index, for the site, feed and browser tests."""
    live = LiveServer(newsroom_index, newsroom_index.parent / "seeds")
    yield live
    live.stop()
