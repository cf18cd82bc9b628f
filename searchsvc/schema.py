"""The two Whoosh schemas: what a segment stores, and what the query parser knows.

Whoosh keeps the id terms that find an article or a file's articles (`id`, `file`,
`filesig`), and marks deleted articles; the articles, their analysed text, dates and other
columns are arrays beside the segment (searchsvc.segments). The query parser reads queries against
`query_schema`: words in `title` and `body`, and the field clauses people type (`source:`,
`language:`, `date:`).
"""

import hashlib
import re
from functools import lru_cache

from whoosh import fields

from .analysis import query_analyzer

DUPKEY_LEAD_WORDS = 50
TEXT_FIELDS = ("title", "body")


@lru_cache(maxsize=1)
def storage_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        file=fields.ID(stored=True),
        filesig=fields.ID(),
    )


@lru_cache(maxsize=1)
def query_schema() -> fields.Schema:
    return fields.Schema(
        title=fields.TEXT(analyzer=query_analyzer()),
        body=fields.TEXT(analyzer=query_analyzer()),
        source=fields.KEYWORD(lowercase=True, commas=True),
        language=fields.ID(),
        date=fields.DATETIME(),
        id=fields.ID(),
    )


def file_signature_term(path: str, signature: str) -> str:
    return f"{path}\x00{signature}"


def dupkey(title: str, body: str, source: str | None) -> int:
    """Key shared by the versions of one story a wire service repeats: same source, same
    headline words, same lead (the first paragraph, up to DUPKEY_LEAD_WORDS words); later
    paragraphs may differ, as updates add to them. The lead keeps apart routine stories
    that reuse a headline day after day ("Fed adds reserves ...")."""
    headline = " ".join(re.findall(r"\w+", title.lower()))
    lead = " ".join(re.findall(r"\w+", body.split("\n\n", 1)[0].lower())[:DUPKEY_LEAD_WORDS])
    digest = hashlib.blake2b(f"{source or ''}|{headline}|{lead}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little")
