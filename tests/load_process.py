"""Load for the fault tests, run as its own process: threads query a server on 127.0.0.1 without
pause until a stop file appears, and check that every response is whole and comes from one
index version. Writes progress (editions seen) while running and a JSON summary at the end.

Usage: python load_process.py URL STOP_FILE PROGRESS_FILE SUMMARY_FILE CANARIES ARTICLES
"""

import re
import sys
import threading
from pathlib import Path

import requests
from load_driver import drive

THREADS = 3
TITLE = re.compile(r"Canary (\d+) edition (\d+)")


class Load:
    def __init__(self, url: str, canaries: int, articles: int):
        self.url = url
        self.canaries = canaries
        self.articles = articles
        self.lock = threading.Lock()
        self.requests = 0
        self.failures: list[str] = []
        self.mixed: list[str] = []
        self.editions: set[int] = set()

    def run(self, stop: Path) -> None:
        session = requests.Session()
        checks = [self.search_api, self.search_page, self.article, self.health]
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
                if problem and problem.startswith("mixed"):
                    self.mixed.append(problem)
                elif problem:
                    self.failures.append(problem)

    def get(self, session, path: str, **params):
        response = session.get(self.url + path, params=params, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
        return response

    def seen(self, editions: set[int]) -> str | None:
        if len(editions) != 1:
            return f"mixed editions {sorted(editions)}"
        with self.lock:
            self.editions |= editions
        return None

    def search_api(self, session) -> str | None:
        body = self.get(session, "/api/search", q="canaryword", per_page=100).json()
        hits = body["hits"]
        if body["total"] != self.canaries or len(hits) != self.canaries:
            return f"search_api: {body['total']} results, {len(hits)} hits, not {self.canaries}"
        editions = set()
        for hit in hits:
            number, edition = map(int, TITLE.search(hit["title"]).groups())
            if f"edition{edition}" not in hit["snippet"]:
                return f"mixed title edition {edition} with snippet {hit['snippet'][:120]!r}"
            editions.add(edition)
        counted = sum(facet["count"] for facet in body["facets"].get("source", []))
        if counted != self.canaries:
            return f"mixed facets: sources count {counted}, not {self.canaries}"
        return self.seen(editions)

    def search_page(self, session) -> str | None:
        page = self.get(session, "/search", q="canaryword", per_page=100).text
        found = {tuple(map(int, m)) for m in TITLE.findall(page)}
        if {number for number, _ in found} != set(range(self.canaries)):
            return f"search_page: canaries {sorted(found)}"
        return self.seen({edition for _, edition in found})

    def article(self, session) -> str | None:
        body = self.get(session, "/api/articles/seeds/canary-007.txt").json()
        edition = int(TITLE.search(body["title"]).group(2))
        if f"edition{edition}" not in body["body"]:
            return f"mixed article title edition {edition} with body {body['body'][:120]!r}"
        return self.seen({edition})

    def health(self, session) -> str | None:
        body = self.get(session, "/healthz").json()
        if body["articles"] != self.articles:
            return f"health: {body['articles']} articles, not {self.articles}"
        return None

    def summary(self) -> dict:
        with self.lock:
            return {"requests": self.requests, "failure_count": len(self.failures),
                    "failures": self.failures[:20], "mixed": self.mixed[:20],
                    "editions": sorted(self.editions)}


def main(url, stop_file, progress_file, summary_file, canaries, articles) -> None:
    drive(Load(url, int(canaries), int(articles)), THREADS, stop_file, progress_file,
          summary_file)


if __name__ == "__main__":
    main(*sys.argv[1:])
