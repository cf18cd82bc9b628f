"""The engines bench/relevance.py compares, each built from one collection and asked for a
ranking of document numbers for a list of query words: searchsvc exactly as served, and three
engines a user could pick instead, each with its documented defaults and no tuning.

`build` gets the folder of article files (what searchsvc reads) and the same documents as
`Document`s (what the peers are fed), and says how many documents the engine holds.

An engine made with `stemmed=False` is set up as for a language it has no stemmer for: the
peers without their stemmer and stop words (FTS5's unicode61 tokenizer, tantivy's default
one, bm25s without either); searchsvc needs nothing, the articles' language tells it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from searchsvc.indexing import update_index
from searchsvc.searching import MAX_PER_PAGE, SearchIndex, SearchRequest


@dataclass(frozen=True)
class Document:
    """One document of a test collection: its number in the judgments, title and text."""

    number: str
    title: str
    body: str


class Searchsvc:
    """The project as served: `update_index` reads the collection's files (as `searchsvc
    index` does) and `SearchIndex.search` ranks, default settings, paged as the API pages."""

    name = "searchsvc"
    modules: tuple[str, ...] = ()

    def __init__(self, stemmed: bool = True):
        self.settings = ("update_index on the files, SearchIndex.search with default settings, "
                         "100 a page")

    def build(self, folder: Path, documents: list[Document], workdir: Path) -> int:
        report = update_index(workdir / "searchsvc", [folder], progress=False)
        self.index = SearchIndex(workdir / "searchsvc")
        return report.articles_total

    def rank(self, words: list[str], depth: int) -> list[str]:
        found: list[str] = []
        for page in range(1, depth // MAX_PER_PAGE + 1):
            results = self.index.search(SearchRequest(q=" ".join(words), page=page,
                                                      per_page=MAX_PER_PAGE))
            found += [document_number(hit.id) for hit in results.hits]
            if len(results.hits) < MAX_PER_PAGE:
                break
        return found[:depth]


def document_number(article_id: str) -> str:
    """The document number in a searchsvc article id: the JSON `id` after the colon
    (`cisi/docs.jsonl:12`) or the file name (`time/12.txt`)."""
    return article_id.rpartition(":")[2] if ":" in article_id else Path(article_id).stem


class Fts5:
    """SQLite FTS5 (Python's sqlite3): columns title and body, tokenize='porter unicode61',
    ordered by bm25() with its defaults (k1 1.2, b 0.75, both columns weight 1). FTS5's own
    query syntax ANDs bare words, which nobody would use to rank a sentence, so the words
    are quoted (no operator can slip in) and joined with OR."""

    name = "fts5"
    modules: tuple[str, ...] = ()

    def __init__(self, stemmed: bool = True):
        self.tokenize = "porter unicode61" if stemmed else "unicode61"
        self.settings = (f"tokenize='{self.tokenize}', title+body, ORDER BY bm25() "
                         "(k1 1.2, b 0.75, weights 1), query \"w1\" OR \"w2\" ...")

    def build(self, folder: Path, documents: list[Document], workdir: Path) -> int:
        self.db = sqlite3.connect(workdir / "fts5.db")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(number UNINDEXED, title, body, "
                        f"tokenize='{self.tokenize}')")
        with self.db:
            self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)",
                                ((d.number, d.title, d.body) for d in documents))
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    def rank(self, words: list[str], depth: int) -> list[str]:
        match = " OR ".join(f'"{word}"' for word in words)
        rows = self.db.execute("SELECT number FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) "
                               "LIMIT ?", (match, depth))
        return [row[0] for row in rows]


class Tantivy:
    """tantivy (`pip install tantivy`): fields title and body with the en_stem tokenizer
    (lowercase, English Snowball stemmer, no stop words), its default BM25 (k1 1.2, b 0.75),
    the words parsed by `Index.parse_query` over title and body (default: any word)."""

    name = "tantivy"
    modules = ("tantivy",)

    def __init__(self, stemmed: bool = True):
        self.tokenizer = "en_stem" if stemmed else "default"
        self.settings = (f"title+body with tokenizer {self.tokenizer}, default BM25 (k1 1.2, "
                         "b 0.75), parse_query(words, [title, body]): any word")

    def build(self, folder: Path, documents: list[Document], workdir: Path) -> int:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("number", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name=self.tokenizer)
        builder.add_text_field("body", tokenizer_name=self.tokenizer)
        self.index = tantivy.Index(builder.build(), path=str(_made(workdir / "tantivy")))
        writer = self.index.writer()
        for document in documents:
            writer.add_document(tantivy.Document(number=document.number, title=document.title,
                                                 body=document.body))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return self.searcher.num_docs

    def rank(self, words: list[str], depth: int) -> list[str]:
        parsed = self.index.parse_query(" ".join(words), ["title", "body"])
        return [self.searcher.doc(address)["number"][0]
                for _, address in self.searcher.search(parsed, depth).hits]


class Bm25s:
    """bm25s as its README's quickstart uses it: `bm25s.tokenize(corpus, stopwords="en",
    stemmer=Stemmer.Stemmer("english"))`, `BM25()` (method "lucene", k1 1.5, b 0.75), queries
    tokenized with the stemmer; one field, title and body joined. Documents scoring 0 (no
    query word) are left out of the ranking."""

    name = "bm25s"
    modules = ("bm25s", "Stemmer")

    def __init__(self, stemmed: bool = True):
        self.stemmed = stemmed
        self.settings = ("title+body as one text, README defaults: "
                         + ("stopwords='en', PyStemmer english, " if stemmed else
                            "no stop words, no stemmer, ")
                         + "BM25() (lucene, k1 1.5, b 0.75)")

    def build(self, folder: Path, documents: list[Document], workdir: Path) -> int:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english") if self.stemmed else None
        self.numbers = [document.number for document in documents]
        tokens = bm25s.tokenize([f"{d.title}\n{d.body}" for d in documents],
                                stopwords="en" if self.stemmed else None,
                                stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)
        return len(self.numbers)

    def rank(self, words: list[str], depth: int) -> list[str]:
        tokens = self.bm25s.tokenize(" ".join(words), stemmer=self.stemmer, show_progress=False)
        found, scores = self.retriever.retrieve(tokens, k=min(depth, len(self.numbers)),
                                                show_progress=False)
        return [self.numbers[doc] for doc, score in zip(found[0], scores[0]) if score > 0]


def _made(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


ENGINES = {engine.name: engine for engine in (Searchsvc, Fts5, Tantivy, Bm25s)}
