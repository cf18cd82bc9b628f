"""Load for the replica test, run as its own process: threads send searches and health checks
through the balancer without pause until a stop file appears, and record every answer: the
search totals seen, each /healthz generation with its article count, and every request that
failed (an error status, a refused or cut connection, a body that is not whole JSON). Writes
its progress while running and a JSON summary at the end.

Usage: python balancer_load.py URL WORD STOP_FILE PROGRESS_FILE SUMMARY_FILE
"""

import sys
import threading
from collections import Counter
from pathlib import Path

import requests
from load_driver import drive

THREADS = 3
PER_PAGE = 5


class Load:
    def __init__(self, url: str, word: str):
        self.url = url
        self.word = word
        self.lock = threading.Lock()
        self.requests = 0
        self.failures: list[str] = []
        self.totals: Counter = Counter()
        self.generations: dict[str, set[int]] = {}

    def run(self, stop: Path) -> None:
        session = requests.Session()
        checks = [self.search, self.search, self.health]
        turn = 0
        while not stop.exists():
            check = checks[turn % len(checks)]
            turn += 1
            try:
                problem = check(session)
            except Exception as exc:  # a refused connection, a timeout, a body cut short
                problem = f"{check.__name__}: {type(exc).__name__}: {exc}"
            with self.lock:
                self.requests += 1
                if problem:
                    self.failures.append(problem)

    def get(self, session, path: str, **params) -> dict:
        response = session.get(self.url + path, params=params, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
        return response.json()

    def search(self, session) -> str | None:
        body = self.get(session, "/api/search", q=self.word, per_page=PER_PAGE)
        if len(body["hits"]) != min(PER_PAGE, body["total"]):
            return f"search: {len(body['hits'])} hits on a page of {body['total']} results"
        with self.lock:
            self.totals[body["total"]] += 1
        return None

    def health(self, session) -> str | None:
        body = self.get(session, "/healthz")
        with self.lock:
            self.generations.setdefault(body["generation"], set()).add(body["articles"])
        return None

    def summary(self) -> dict:
        with self.lock:
            return {"requests": self.requests, "failure_count": len(self.failures),
                    "failures": self.failures[:20],
                    "totals": {str(total): count for total, count in sorted(self.totals.items())},
                    "generations": {name: sorted(counts)
                                    for name, counts in sorted(self.generations.items())}}


def main(url, word, stop_file, progress_file, summary_file) -> None:
    drive(Load(url, word), THREADS, stop_file, progress_file, summary_file)


if __name__ == "__main__":
    main(*sys.argv[1:])
