"""The `searchsvc` command: index article folders, search from the terminal, serve the site."""

import datetime as dt
import html
import itertools
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import quote

import click

from .balancer import Address, haproxy_config
from .errors import IndexBusy, QueryError, SearchsvcError
from .indexing import IndexReport, IndexStore, update_index
from .replication import KEEP_PUBLISHED, Sync, follow_once, publish
from .searching import SORTS, SearchRequest
from .searching.sharded import open_search_index
from .shards import current_sharded

INDEX_OPTION = click.option("--index", "index_dir", default="index", envvar="SEARCHSVC_INDEX",
                            show_default=True, type=click.Path(file_okay=False),
                            help="Index folder (env SEARCHSVC_INDEX).")
CLUSTER_OPTION = click.option("--cluster", metavar="HOST:PORT", envvar="SEARCHSVC_CLUSTER",
                              help="The Ray cluster (its head's address) that searches a "
                                   "sharded index (env SEARCHSVC_CLUSTER; default: the "
                                   "shards are searched in this process).")


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
@click.option("--source", help="The source of the folders' articles that do not name one "
              "(kept in the folder's .searchsvc.json for later runs; '' removes it).")
@click.option("--language", help="The language (ISO 639-1 code) of the folders' articles "
              "that do not say, instead of detecting it (kept likewise).")
@click.option("--timezone", metavar="ZONE", help="The time zone (IANA name, e.g. "
              "Asia/Tokyo) the folders' dates are counted in, for times written with an "
              "offset or as Unix times (kept likewise).")
@click.option("--shards", type=click.IntRange(min=1), help="Build a sharded index of this many "
              "shards on a Ray cluster (a complete new one each time).")
@CLUSTER_OPTION
@click.option("--workers", type=click.IntRange(min=1), help="With --shards and no --cluster: "
              "worker processes of the Ray cluster started for the build (default: one per "
              "core).")
def index_command(paths, index_dir, rebuild, exclude, wait, source, language, timezone, shards,
                  cluster, workers):
    """Index article files (default: seeds/), adding new, updating changed and removing gone
    ones. Exit status 0 when every file was read, 1 when some were skipped, 2 on errors.

    Example: searchsvc index seeds/ ~/news/exports --exclude '*.draft.txt'

    Example: searchsvc index corpora/bbc --source BBC

    Example: searchsvc index exports/ --index sharded/ --shards 4 --cluster 10.0.0.5:6379
    """
    given = {name: value for name, value in
             (("source", source), ("language", language), ("timezone", timezone))
             if value is not None}
    if shards:
        _index_sharded(paths, index_dir, shards, cluster, workers, exclude, wait, given)
        return
    if current_sharded(index_dir) is not None:
        raise Failure(f"{index_dir} holds a sharded index: rebuild it with --shards N")
    try:
        report = update_index(index_dir, paths or ["seeds"], rebuild=rebuild, excludes=exclude,
                              wait=wait, folder=given or None)
    except IndexBusy as exc:
        raise Failure(str(exc)) from None
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(describe_report(report))
    sys.exit(1 if report.skipped else 0)


def _index_sharded(paths, index_dir, shards, cluster, workers, exclude, wait, given) -> None:
    from .cluster import connect
    from .shards import build_sharded_index

    try:
        connect(cluster, workers)
        report = build_sharded_index(index_dir, paths or ["seeds"], shards, excludes=exclude,
                                     wait=wait, folder=given or None)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{report.articles_total:,} articles in {len(report.shards)} shards "
               f"({', '.join(f'{shard.articles:,}' for shard in report.shards)}) from "
               f"{report.files:,} files in {report.seconds:.1f} s on {report.workers} "
               f"worker process{'es' if report.workers != 1 else ''}; "
               f"{len(report.skipped):,} skipped")
    for problem in report.skipped:
        click.echo(f"  skipped {problem.path}: {problem.reason}")
    for flag in report.flagged:
        click.echo(f"  flagged {flag.path}: {flag.reason}")
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
@CLUSTER_OPTION
def search_command(query, index_dir, page, per_page, sort, source, cluster):
    """Search the index and print ranked results with snippets. Exit status 1 when nothing
    matches.

    Example: searchsvc search '"space exploration" AND source:TASS'
    """
    try:
        results = open_search_index(index_dir, cluster=cluster).search(
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
        click.echo(f"{number}. " + click.style(hit.display_title, bold=True))
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


@cli.command("export")
@click.argument("query")
@INDEX_OPTION
@click.option("--format", "fmt", type=click.Choice(("csv", "jsonl")), default="csv",
              show_default=True, help="CSV for spreadsheets (the site's columns), or JSON Lines "
              "(the API's hits, one a line).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--source", help="Only articles from this source.")
@click.option("--language", help="Only articles in this language (ISO 639-1 code).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="Only articles dated on or after this day (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]),
              help="Only articles dated on or before this day (YYYY-MM-DD).")
@click.option("--site", default="", metavar="URL",
              help="The site's address, to make the article_page column a link "
                   "(default: the page's path alone).")
@CLUSTER_OPTION
def export_command(query, index_dir, fmt, sort, source, language, date_from, date_to, site,
                   cluster):
    """Write every matching article to standard output, however many (the site's CSV stops
    at 10,000), page by page as they are found. Exit status 1 when nothing matches.

    Example: searchsvc export 'oil prices' --sort newest --from 1987-01-01 > oil.csv
    """
    from .web.api import hit_json
    from .web.exports import csv_chunks, export_pages

    asked = SearchRequest(q=query, sort=sort, source=source, language=language,
                          date_from=date_from and date_from.date(),
                          date_to=date_to and date_to.date())
    pages = export_pages(open_search_index(index_dir, cache_entries=0, cluster=cluster), asked,
                         rows=None)
    try:
        first = next(pages)
    except QueryError as exc:
        raise Failure(f"bad query: {exc}") from None
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    everything = itertools.chain([first], pages)

    def article_page(article_id: str) -> str:
        return site.rstrip("/") + "/articles/" + quote(article_id, safe="!$&'()*+,/:;=@")

    if fmt == "csv":
        chunks = csv_chunks(everything, article_page)
    else:
        chunks = ("".join(json.dumps({**hit_json(hit), "article_page": article_page(hit.id)},
                                     ensure_ascii=False) + "\n" for hit in results.hits)
                  for results in everything)
    out = click.get_text_stream("stdout", encoding="utf-8")
    for chunk in chunks:
        out.write(chunk)
        out.flush()
    click.echo(f"{first.total:,} results exported", err=True)
    if not first.total:
        sys.exit(1)


@cli.command("serve")
@INDEX_OPTION
@click.option("--seeds", envvar="SEARCHSVC_SEEDS", type=click.Path(file_okay=False),
              help="Article folder brought up to date before serving (default: seeds/, when "
                   "there is one).")
@click.option("--host", default="127.0.0.1", envvar="SEARCHSVC_HOST", show_default=True)
@click.option("--port", default=8000, envvar="SEARCHSVC_PORT", show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: one per core, at least 2).")
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
@CLUSTER_OPTION
def serve_command(index_dir, seeds, host, port, workers, access_log, cluster):
    """Serve the site and API with gunicorn. The seeds folder (--seeds, or seeds/ when it
    exists) is indexed first, new and changed files only; without one, the index is served
    as it is.

    Example: searchsvc serve --index /srv/news/index --port 8080
    """
    from .server import serve

    if seeds is None and Path("seeds").is_dir():
        seeds = "seeds"
    sharded = current_sharded(index_dir) is not None
    if sharded and seeds is not None:
        click.echo(f"{index_dir} holds a sharded index: serving it as it is (rebuild it "
                   "with `searchsvc index --shards N` to add articles)", err=True)
        seeds = None
    try:
        if seeds is not None:
            report = update_index(index_dir, [seeds], wait=True)
            click.echo(describe_report(report), err=True)
        elif IndexStore(index_dir).current() is None and not sharded:
            raise Failure(f"no index at {index_dir} and no seeds folder to build it from: "
                          "run `searchsvc index PATHS --index DIR` first, or pass --seeds")
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"Serving on http://{host}:{port}/", err=True)
    try:
        serve(index_dir, host, port, workers=workers, access_log=access_log, cluster=cluster)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None


# Replicas: publish generations, follow them, serve them, balance over them ---------------

@cli.command("publish")
@click.argument("folder", type=click.Path(file_okay=False))
@INDEX_OPTION
@click.option("--keep", default=KEEP_PUBLISHED, show_default=True, type=click.IntRange(min=1),
              help="Published generations kept (replicas may still be fetching older ones).")
def publish_command(folder, index_dir, keep):
    """Publish the index's current generation in FOLDER for replicas to follow: its files
    hard-linked there beside a manifest, then FOLDER's CURRENT switched to it. Serve FOLDER
    to the replicas read-only (an rsync daemon module, ssh or a shared path), and run this
    after each `searchsvc index`.

    Example: searchsvc index seeds/ && searchsvc publish /srv/searchsvc/published
    """
    try:
        publication = publish(index_dir, folder, keep=keep)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None
    state = "published" if publication.new else "was already published"
    removed = f"; removed {', '.join(publication.removed)}" if publication.removed else ""
    click.echo(f"{publication.generation} {state} in {folder}: {publication.files:,} files, "
               f"{_megabytes(publication.bytes)}{removed}")


@cli.command("follow")
@click.argument("source")
@INDEX_OPTION
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between two looks at the publisher.")
@click.option("--once", is_flag=True,
              help="Sync once and exit (status 2 when the generation could not be fetched).")
def follow_command(source, index_dir, interval, once):
    """Keep a replica's index folder at the generation published at SOURCE: fetch each new
    one whole with rsync (files the replica already has are hard-linked, not fetched), then
    switch to it atomically; `searchsvc serve-replica` on the folder answers from it on its
    next request. Runs until stopped; a failed fetch is reported and tried again while the
    replica serves what it has. SOURCE is what rsync reads: rsync://HOST[:PORT]/MODULE,
    HOST:/PATH (over ssh) or a local PATH.

    Example: searchsvc follow rsync://indexer.example/searchsvc --index /srv/searchsvc/index
    """
    reported = None
    while True:
        try:
            sync = follow_once(source, index_dir)
        except SearchsvcError as exc:
            if once:
                raise Failure(str(exc)) from None
            if str(exc) != reported:  # a publisher that stays away is reported once
                click.echo(f"{_now()} {exc}", err=True)
            reported = str(exc)
        else:
            if sync.switched or once:
                click.echo(f"{_now()} {describe_sync(sync, index_dir)}")
            reported = None
        if once:
            return
        time.sleep(interval)


def describe_sync(sync: Sync, index_dir) -> str:
    if not sync.switched:
        return f"{sync.generation} is already served from {index_dir}"
    return (f"{sync.generation} is now served from {index_dir}: {sync.files:,} files "
            f"({_megabytes(sync.bytes)}), {sync.fetched_files:,} of them fetched "
            f"({_megabytes(sync.fetched_bytes)}) and "
            f"{sync.files - sync.fetched_files:,} hard-linked to files the replica had, "
            f"in {sync.seconds:.1f} s")


@cli.command("serve-replica")
@INDEX_OPTION
@click.option("--host", default="127.0.0.1", envvar="SEARCHSVC_HOST", show_default=True)
@click.option("--port", default=8000, envvar="SEARCHSVC_PORT", show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: one per core, at least 2).")
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
def serve_replica_command(index_dir, host, port, workers, access_log):
    """Serve an index folder that `searchsvc follow` keeps, indexing nothing itself (as
    `searchsvc serve` would). /healthz answers 503 until a first generation is there, so a
    load balancer sends no request before.

    Example: searchsvc serve-replica --index /srv/searchsvc/index --port 8001
    """
    from .server import serve

    click.echo(f"Serving {index_dir} on http://{host}:{port}/", err=True)
    try:
        serve(index_dir, host, port, workers=workers, access_log=access_log)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None


@cli.command("haproxy-config")
@click.argument("replicas", nargs=-1, required=True, metavar="HOST:PORT...")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, metavar="[HOST]:PORT",
              help="Where the balancer listens (:80 for every address).")
@click.option("--stats", metavar="HOST:PORT",
              help="Also serve HAProxy's statistics page (replicas' states, retries) there.")
def haproxy_config_command(replicas, bind, stats):
    """Print an HAProxy configuration that balances over the replicas, checks each one's
    /healthz every second, and sends a GET that failed on one replica to another.

    Example: searchsvc haproxy-config 10.0.0.11:8000 10.0.0.12:8000 --bind :80 >haproxy.cfg
    """
    try:
        click.echo(haproxy_config(
            Address.parse(bind, "--bind", any_host=True),
            [Address.parse(replica, "replica") for replica in replicas],
            Address.parse(stats, "--stats", any_host=True) if stats else None), nl=False)
    except SearchsvcError as exc:
        raise Failure(str(exc)) from None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _now() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="seconds")


def main():
    cli(prog_name="searchsvc")
