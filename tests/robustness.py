"""Helpers shared by the robustness tests (bad input, XSS, faults, access): the app's routes,
generated article folders, and the figures each test reports."""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from searchsvc.web import create_app

ROBUSTNESS_DATA = Path(__file__).resolve().parent / "data" / "robustness"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    """One URL rule of the app: its pattern, the path variables it takes, its methods."""

    rule: str
    arguments: tuple[str, ...]
    methods: frozenset[str]

    def path(self, values: dict[str, str], safe: str = "/") -> str:
        """The rule with each <converter:name> replaced by its value, percent-encoded."""
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                      lambda m: quote(values[m.group(1)], safe=safe), self.rule)

    def __str__(self) -> str:
        return self.rule


def app_routes() -> list[Route]:
    """Every route the app has right now, read from its url_map, so that routes added later are
    covered without editing the tests."""
    app = create_app({"INDEX_DIR": "/nonexistent-index-for-route-listing"})
    return sorted((Route(rule.rule, tuple(sorted(rule.arguments)), frozenset(rule.methods))
                   for rule in app.url_map.iter_rules()), key=lambda r: r.rule)


def report_figure(config, text: str) -> None:
    """Show a figure on the terminal (outside pytest's capture) and in the captured output."""
    print(text)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        sys.stderr.write(f"[robustness] {text}\n")
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(f"[robustness] {text}")


def seed_text(title: str, body: str, *, date: str = "2024-05-06", source: str | None = None,
              url: str | None = None, language: str = "en") -> str:
    """A seed-format article file."""
    lines = [f"title {title}", f"date {date}", f"language {language}"]
    if source:
        lines.append(f"source {source}")
    if url:
        lines.append(f"url {url}")
    return "\n".join(lines) + "\n\n" + body.strip() + "\n"
