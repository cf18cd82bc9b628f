"""The `searchsvc` command: index article folders, search from the terminal, serve the site."""

import html
import re
import sys

import click

from .errors import IndexBusy, QueryError, SearchsvcError
from .indexing import IndexReport, update_index
from .searching import SORTS, SearchIndex, SearchRequest

INDEX_OPTION = click.option("--index", "index_dir", default="index", envvar="SEARCHSVC_INDEX",
                            show_default=True, type=click.Path(file_okay=False),
                            help="Index folder (env SEARCHSVC_INDEX).")


class Failure(click.ClickException):
    """An error the user can act on; exit status 2."""

    exit_code = 2


@click.group()
@click.version_option(package_name="searchsvc")
def cli():
    """Full-text search over a folder of news articles."""


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@INDEX_OPTION
@click.option("--rebuild", is_flag=True, help="Build a complete new index, then switch to it.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip files or folders whose name matches (repeatable).")
@click.option("--wait", is_flag=True, help="Wait for another indexing run instead of exiting.")
def index_command(paths, index_dir, rebuild, exclude, wait):
    """Index article files (default: seeds/), adding new, updating changed and removing gone
    ones. Exit status 0 when every file was read, 1 when some were skipped, 2 on errors.

    Example: searchsvc index seeds/ ~/news/exports --exclude '*.draft.txt'
    """
    try:
        report = update_index(index_dir, paths or ["seeds"], rebuild=rebuild, excludes=exclude,
                              wait=wait)
    except IndexBusy as exc:
        raise Failure(str(exc)) from None
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(describe_report(report))
    sys.exit(1 if report.skipped else 0)


def describe_report(report: IndexReport) -> str:
    lines = [
        f"{report.articles_total:,} articles in the index "
        f"({report.articles_indexed:,} indexed, {report.articles_removed:,} removed "
        f"in {report.seconds:.1f} s)",
        f"files: {report.files_added:,} added, {report.files_changed:,} changed, "
        f"{report.files_removed:,} removed, {report.files_unchanged:,} unchanged, "
        f"{len(report.skipped):,} skipped",
    ]
    lines += [f"  skipped {problem.path}: {problem.reason}" for problem in report.skipped]
    lines += [f"  flagged {flag.path}: {flag.reason}" for flag in report.flagged]
    return "\n".join(lines)


@cli.command("search")
@click.argument("query")
@INDEX_OPTION
@click.option("--page", default=1, show_default=True, help="Result page.")
@click.option("--per-page", default=10, show_default=True, help="Results per page.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--source", help="Only articles from this source.")
def search_command(query, index_dir, page, per_page, sort, source):
    """Search the index and print ranked results with snippets. Exit status 1 when nothing
    matches.

    Example: searchsvc search '"space exploration" AND source:TASS'
    """
    try:
        results = SearchIndex(index_dir).search(
            SearchRequest(q=query, page=page, per_page=per_page, sort=sort, source=source))
    except QueryError as exc:
        raise Failure(f"bad query: {exc}") from None
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{results.total:,} results in {results.took_ms:.1f} ms")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    first = (page - 1) * per_page + 1
    for number, hit in enumerate(results.hits, start=first):
        meta = " · ".join(x for x in (hit.date and hit.date.isoformat(), hit.source, hit.id) if x)
        click.echo("")
        click.echo(f"{number}. " + click.style(hit.title, bold=True))
        click.echo(f"   {meta}")
        click.echo(f"   {terminal_snippet(hit.snippet)}")
    if not results.hits:
        sys.exit(1)


def terminal_snippet(snippet_html: str) -> str:
    """The snippet's HTML as terminal text: matches in bold, entities decoded."""
    parts = re.split(r"(<mark>.*?</mark>)", snippet_html)
    out = []
    for part in parts:
        if part.startswith("<mark>"):
            out.append(click.style(html.unescape(part[6:-7]), bold=True, fg="yellow"))
        else:
            out.append(html.unescape(part))
    return " ".join("".join(out).split())


@cli.command("serve")
@INDEX_OPTION
@click.option("--seeds", default="seeds", envvar="SEARCHSVC_SEEDS", show_default=True,
              type=click.Path(file_okay=False), help="Article folder indexed before serving.")
@click.option("--host", default="127.0.0.1", envvar="SEARCHSVC_HOST", show_default=True)
@click.option("--port", default=8000, envvar="SEARCHSVC_PORT", show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: one per core, at least 2).")
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
def serve_command(index_dir, seeds, host, port, workers, access_log):
    """Bring the index up to date with the seeds folder, then serve the site and API with
    gunicorn.

    Example: searchsvc serve --port 8080
    """
    from .server import serve

    try:
        report = update_index(index_dir, [seeds], wait=True)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(describe_report(report), err=True)
    click.echo(f"Serving on http://{host}:{port}/", err=True)
    try:
        serve(index_dir, host, port, workers=workers, access_log=access_log)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None


def main():
    cli(prog_name="searchsvc")
