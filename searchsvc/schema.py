"""The Whoosh schema: one title/body field pair per analysed language, plus filter fields.

Whoosh analyses a field with one analyzer, so each language with a Snowball stemmer gets its
own pair (`title_ru`, `body_ru`); English, the common case, keeps the plain names `title` and
`body`; languages without a stemmer share `title_xx`/`body_xx` (lowercased and accent-folded).
"""

import hashlib
import re
from functools import lru_cache

from whoosh import fields
from whoosh.lang import has_stemmer, has_stopwords

from .analysis import NewsAnalyzer, NewsText

DEFAULT_LANGUAGE = "en"
GENERIC = "xx"
STEMMED_LANGUAGES = ("da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro", "ru", "sv")
TITLE_BOOST = 2.0
DUPKEY_LEAD_WORDS = 50


def analyzer_for(language: str):
    """Tokenise, lowercase, drop stop words, stem, then fold accents (after stemming, so the
    stemmer sees real letters and queries with or without accents meet the same terms)."""
    return NewsAnalyzer(language, stopwords=language != GENERIC and has_stopwords(language),
                        stemming=language != GENERIC and has_stemmer(language))


def analysis_language(language: str | None) -> str:
    """The analyser an article of this language is indexed with."""
    if not language:
        return DEFAULT_LANGUAGE
    return language if language in STEMMED_LANGUAGES else GENERIC


def text_fields(language: str | None) -> tuple[str, str]:
    """Names of the (title, body) fields that hold an article of this language."""
    analysed = analysis_language(language)
    if analysed == DEFAULT_LANGUAGE:
        return "title", "body"
    return f"title_{analysed}", f"body_{analysed}"


def all_text_fields() -> list[tuple[str, str]]:
    return [text_fields(lang) for lang in (*STEMMED_LANGUAGES, GENERIC)]


@lru_cache(maxsize=1)
def build_schema() -> fields.Schema:
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        file=fields.ID(stored=True),
        filesig=fields.ID(),
        date=fields.DATETIME(stored=True, sortable=True),
        month=fields.ID(sortable=True),
        source=fields.KEYWORD(lowercase=True, commas=True, scorable=False),
        source_name=fields.ID(stored=True, sortable=True),
        language=fields.ID(stored=True, sortable=True),
        url=fields.STORED(),
        dupkey=fields.ID(stored=True, sortable=True),
        indexed=fields.STORED(),  # when the article was added (UTC): an undated one's Atom time
    )
    for lang in (*STEMMED_LANGUAGES, GENERIC):
        title, body = text_fields(lang)
        analyzer = analyzer_for(lang)
        schema.add(title, NewsText(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST,
                                   spelling=True))
        schema.add(body, NewsText(analyzer=analyzer, stored=True, chars=True, spelling=True))
    return schema


def file_signature_term(path: str, signature: str) -> str:
    return f"{path}\x00{signature}"


def dupkey(title: str, body: str, source: str | None) -> str:
    """Key shared by the versions of one story a wire service repeats: same source, same
    headline words, same lead (the first paragraph, up to DUPKEY_LEAD_WORDS words); later
    paragraphs may differ, as updates add to them. The lead keeps apart routine stories
    that reuse a headline day after day ("Fed adds reserves ...")."""
    headline = " ".join(re.findall(r"\w+", title.lower()))
    lead = " ".join(re.findall(r"\w+", body.split("\n\n", 1)[0].lower())[:DUPKEY_LEAD_WORDS])
    return hashlib.blake2b(f"{source or ''}|{headline}|{lead}".encode(),
                           digest_size=8).hexdigest()
