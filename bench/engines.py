"""The engines the benchmark compares: searchsvc itself and the reference rows a user could
pick instead (a naive Whoosh app, SQLite FTS5, tantivy), each with `build` (index articles)
and `search` (top 10 with highlighted snippets)."""

from __future__ import annotations

import datetime as dt
import resource
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import MultiDict
from whoosh import fields, index, qparser, query as wq
from whoosh.analysis import StemmingAnalyzer

from searchsvc.articles import Article, find_files, read_file
from searchsvc.indexing import IndexStore, update_index
from searchsvc.searching import SearchIndex
from searchsvc.web.params import search_request

from workload import All, Any_, Corpus, Not, Phrase, Query, Word, parse

TOP = 10


@dataclass
class Built:
    """What indexing one corpus cost an engine: wall-clock seconds, and CPU seconds of the
    process and its children (steadier than wall-clock time on a busy machine)."""

    articles: int
    seconds: float
    size_bytes: int
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def cpu_seconds() -> float:
    """CPU time of this process and its finished children, user and system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


@dataclass
class Read:
    """The articles of a corpus, read once for the reference engines, and what reading cost."""

    articles: list[Article]
    seconds: float
    cpu_seconds: float


def read_articles(corpus: Corpus) -> Read:
    """Every article of the corpus as searchsvc reads it (one process), and what it cost: the
    reference engines are fed from this, so reading and cleaning cost all engines alike."""
    started, cpu = time.perf_counter(), cpu_seconds()
    articles = []
    seen = set()
    for source in find_files(corpus.roots, corpus.excludes):
        for item in read_file(source):
            if isinstance(item, Article) and item.id not in seen:
                seen.add(item.id)
                articles.append(item)
    return Read(articles, time.perf_counter() - started, cpu_seconds() - cpu)


class Searchsvc:
    """The project: `searchsvc index --rebuild` (update_index) and SearchIndex.search, the
    function behind the page and the API, with its results cache as served."""

    name = "searchsvc"

    def __init__(self, index: SearchIndex | None = None):
        self.index = index

    def build(self, corpus: Corpus, folder: Path) -> Built:
        started, cpu = time.perf_counter(), cpu_seconds()
        report = update_index(folder, corpus.roots, rebuild=True, excludes=corpus.excludes,
                              progress=False)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        self.folder = folder
        self.index = SearchIndex(folder)
        return Built(report.articles_total, seconds, folder_size(IndexStore(folder).current()),
                     cpu)

    def uncached(self) -> "Searchsvc":
        """The same search function with the results cache off: every query computed."""
        engine = Searchsvc(SearchIndex(self.folder, cache_entries=0))
        engine.name = "searchsvc-nocache"
        return engine

    def search(self, q: Query) -> list:
        results = self.index.search(search_request(MultiDict(q.args)))
        return [(hit.id, hit.title_html, hit.snippet) for hit in results.hits]

    def close(self) -> None:
        pass


class Reference:
    """A reference engine, fed the articles searchsvc read."""

    name = ""

    def build_from(self, read: Read, folder: Path) -> Built:
        folder.mkdir(parents=True)
        started, cpu = time.perf_counter(), cpu_seconds()
        self.load(read.articles, folder)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        return Built(len(read.articles), read.seconds + seconds, folder_size(folder),
                     read.cpu_seconds + cpu)

    def load(self, articles: Iterable[Article], folder: Path) -> None:
        raise NotImplementedError

    def search(self, q: Query) -> list:
        raise NotImplementedError

    def close(self) -> None:
        pass


class NaiveWhoosh(Reference):
    """Whoosh as its tutorial shows it: a StemmingAnalyzer schema, one writer adding one
    document at a time, a new searcher for every query, default highlighting."""

    name = "whoosh-naive"

    def load(self, articles: Iterable[Article], folder: Path) -> None:
        analyzer = StemmingAnalyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True, unique=True),
            title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
            content=fields.TEXT(analyzer=analyzer, stored=True),
            date=fields.DATETIME(stored=True, sortable=True),
            source=fields.KEYWORD(lowercase=True, stored=True))
        self.ix = index.create_in(str(folder), schema)
        writer = self.ix.writer()
        for article in articles:
            doc = {"id": article.id, "title": article.title, "content": article.body}
            if article.date:
                doc["date"] = dt.datetime.combine(article.date, dt.time())
            if article.source:
                doc["source"] = article.source
            writer.add_document(**doc)
        writer.commit()

    def search(self, q: Query) -> list:
        parser = qparser.MultifieldParser(["title", "content"], self.ix.schema,
                                          group=qparser.OrGroup)
        parser.add_plugin(qparser.FuzzyTermPlugin())
        filters = []
        if "source" in q.params:
            filters.append(wq.Term("source", q.params["source"].lower()))
        if q.date_from or q.date_to:
            start = dt.datetime.combine(q.date_from, dt.time()) if q.date_from else None
            end = dt.datetime.combine(q.date_to, dt.time.max) if q.date_to else None
            filters.append(wq.DateRange("date", start, end))
        sort = q.params.get("sort", "relevance")
        with self.ix.searcher() as searcher:
            results = searcher.search(parser.parse(q.text), limit=TOP,
                                      filter=wq.And(filters) if filters else None,
                                      sortedby=None if sort == "relevance" else "date",
                                      reverse=sort == "newest")
            return [(hit["id"], hit["title"], hit.highlights("content")) for hit in results]

    def close(self) -> None:
        self.ix.close()


class Fts5(Reference):
    """SQLite FTS5 (Python's sqlite3): porter tokenizer, bm25 ranking (title weighted 2),
    snippet() for the highlights; one transaction for the load, then 'optimize'."""

    name = "sqlite-fts5"

    def load(self, articles: Iterable[Article], folder: Path) -> None:
        self.db = sqlite3.connect(folder / "fts5.db")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
                        "date UNINDEXED, source UNINDEXED, language UNINDEXED, "
                        "tokenize='porter unicode61')")
        with self.db:
            self.db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                ((a.id, a.title, a.body, a.date.isoformat() if a.date else None, a.source,
                  a.language) for a in articles))
        with self.db:
            self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")

    def search(self, q: Query) -> list:
        where, args = ["docs MATCH ?"], [fts5_query(parse(q.text))]
        if q.date_from:
            where.append("date >= ?")
            args.append(q.date_from.isoformat())
        if q.date_to:
            where.append("date <= ?")
            args.append(q.date_to.isoformat())
        for name in ("source", "language"):
            if name in q.params:
                where.append(f"{name} = ?")
                args.append(q.params[name])
        order = {"newest": "date DESC", "oldest": "date ASC"}.get(q.params.get("sort"),
                                                                  "bm25(docs, 0, 2.0, 1.0)")
        sql = (f"SELECT id, highlight(docs, 1, '<mark>', '</mark>'), "
               f"snippet(docs, 2, '<mark>', '</mark>', ' … ', 40) FROM docs "
               f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {TOP}")
        return self.db.execute(sql, args).fetchall()

    def close(self) -> None:
        self.db.close()


def fts5_query(node) -> str:
    """The FTS5 MATCH expression of a query tree (fuzzy words become plain words: FTS5 has
    no fuzzy matching)."""
    if isinstance(node, Word):
        column = f"{node.field} : " if node.field else ""
        return f'{column}"{node.text}"' + (" *" if node.kind == "prefix" else "")
    if isinstance(node, Phrase):
        column = f"{node.field} : " if node.field else ""
        return f'{column}"{" ".join(node.words)}"'
    if isinstance(node, Any_):
        return "(" + " OR ".join(fts5_query(p) for p in node.parts) + ")"
    if isinstance(node, All):
        positive = [fts5_query(p) for p in node.parts if not isinstance(p, Not)]
        negative = [fts5_query(p.part) for p in node.parts if isinstance(p, Not)]
        return "(" + " AND ".join(positive) + "".join(f" NOT {n}" for n in negative) + ")"
    raise ValueError(f"cannot render {node!r} for FTS5")


class Tantivy(Reference):
    """tantivy (Rust, via `pip install tantivy`): en_stem tokenizer, BM25 (title boosted 2),
    its SnippetGenerator; writer with its default threads and a 256 MB heap."""

    name = "tantivy"

    def load(self, articles: Iterable[Article], folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
        builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
        builder.add_date_field("date", stored=True, indexed=True, fast=True)
        builder.add_text_field("source", stored=True, tokenizer_name="raw", fast=True)
        builder.add_text_field("language", stored=True, tokenizer_name="raw", fast=True)
        self.schema = builder.build()
        self.ix = tantivy.Index(self.schema, path=str(folder))
        writer = self.ix.writer(heap_size=256_000_000)
        for article in articles:
            doc = tantivy.Document(id=article.id, title=article.title, body=article.body,
                                   language=article.language)
            if article.date:
                doc.add_date("date", dt.datetime.combine(article.date, dt.time()))
            if article.source:
                doc.add_text("source", article.source)
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        self.ix.reload()
        self.searcher = self.ix.searcher()

    def search(self, q: Query) -> list:
        tantivy = self.tantivy
        parsed = self._query(parse(q.text))
        clauses = [(tantivy.Occur.Must, parsed)]
        if q.date_from or q.date_to:
            start = dt.datetime.combine(q.date_from, dt.time()) if q.date_from else None
            end = dt.datetime.combine(q.date_to, dt.time.max) if q.date_to else None
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Date, start, end)))
        for name in ("source", "language"):
            if name in q.params:
                clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(
                    self.schema, name, q.params[name])))
        final = tantivy.Query.boolean_query(clauses) if len(clauses) > 1 else parsed
        sort = q.params.get("sort", "relevance")
        if sort == "relevance":
            found = self.searcher.search(final, TOP)
        else:
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            found = self.searcher.search(final, TOP, order_by_field="date", order=order)
        snippets = tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, "body")
        out = []
        for _, address in found.hits:
            doc = self.searcher.doc(address)
            out.append((doc["id"][0], doc["title"][0], snippets.snippet_from_doc(doc).to_html()))
        return out

    def _query(self, node):
        tantivy = self.tantivy
        Occur = tantivy.Occur
        if isinstance(node, Word) and node.kind == "term" or isinstance(node, Phrase):
            text = node.text if isinstance(node, Word) else f'"{" ".join(node.words)}"'
            if node.field:
                return self.ix.parse_query(f"{node.field}:{text}")
            return self.ix.parse_query(text, ["title", "body"], field_boosts={"title": 2.0})
        if isinstance(node, Word):
            fieldnames = [node.field] if node.field else ["title", "body"]
            if node.kind == "prefix":
                leaves = [tantivy.Query.regex_query(self.schema, f, f"{node.text}.*")
                          for f in fieldnames]
            else:
                leaves = [tantivy.Query.fuzzy_term_query(self.schema, f, node.text, distance=1)
                          for f in fieldnames]
            return tantivy.Query.boolean_query([(Occur.Should, leaf) for leaf in leaves])
        if isinstance(node, Any_):
            return tantivy.Query.boolean_query([(Occur.Should, self._query(p))
                                                for p in node.parts])
        if isinstance(node, All):
            return tantivy.Query.boolean_query(
                [(Occur.MustNot, self._query(p.part)) if isinstance(p, Not)
                 else (Occur.Must, self._query(p)) for p in node.parts])
        raise ValueError(f"cannot render {node!r} for tantivy")


REFERENCES: dict[str, Callable[[], object]] = {
    "whoosh-naive": NaiveWhoosh, "sqlite-fts5": Fts5, "tantivy": Tantivy}


def tantivy_available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True

