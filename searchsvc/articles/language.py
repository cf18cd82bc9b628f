"""Guess an article's language from its letters and its stop words (no model, no download)."""

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from whoosh.lang.stopwords import stoplists

DEFAULT_LANGUAGE = "en"

# Scripts that name their language on their own (checked before any stop-word vote).
_SCRIPTS = (
    ("CYRILLIC", "ru"),
    ("DEVANAGARI", "hi"),
    ("GREEK", "el"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("HANGUL", "ko"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("CJK", "zh"),
    ("THAI", "th"),
)
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_WITHOUT_ASCII = dict.fromkeys(range(128))
_LATIN_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "hu", "ro", "tr")
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "eng": "en", "rus": "ru", "ger": "de", "deu": "de",
            "fra": "fr", "fre": "fr", "spa": "es", "ita": "it", "english": "en", "russian": "ru"}


def normalize_language(value: str | None) -> str | None:
    """'en-GB', 'ru_RU', 'English' → 'en', 'ru'; None for empty or unintelligible values."""
    if not value:
        return None
    code = re.split(r"[-_\s,;]", value.strip().lower(), maxsplit=1)[0]
    code = _ALIASES.get(code, code)
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def detect_language(text: str) -> str:
    """The two-letter code of the text's most likely language ('en' when unsure)."""
    sample = text[:4000]
    if not any(ch.isalpha() for ch in sample.translate(_WITHOUT_ASCII)):
        # Only ASCII letters, which name no script: the common case, decided quickly.
        if not _ASCII_LETTER.search(sample):
            return DEFAULT_LANGUAGE
    else:
        letters = [ch for ch in sample if ch.isalpha()]
        if not letters:
            return DEFAULT_LANGUAGE
        script_counts: dict[str, int] = {}
        for ch in letters[:2000]:
            script = _script_of(ch)
            if script:
                script_counts[script] = script_counts.get(script, 0) + 1
        if script_counts:
            language, count = max(script_counts.items(), key=lambda item: item[1])
            if count >= 0.3 * min(len(letters), 2000):
                return language
    words = Counter(w.lower() for w in _WORD.findall(sample))
    if not words:
        return DEFAULT_LANGUAGE
    hits: Counter = Counter()
    stop_languages = _stop_languages()
    for word, count in words.items():
        for language in stop_languages.get(word, ()):
            hits[language] += count
    best, best_hits = DEFAULT_LANGUAGE, 0
    for language in _LATIN_LANGUAGES:
        if hits[language] > best_hits:
            best, best_hits = language, hits[language]
    return best if best_hits >= max(2, words.total() // 20) else DEFAULT_LANGUAGE


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix, language in _SCRIPTS:
        if name.startswith(prefix):
            return language
    return None


@lru_cache(maxsize=None)
def _stop_languages() -> dict[str, tuple[str, ...]]:
    """Stop word -> the Latin-script languages it is a stop word of."""
    languages: dict[str, tuple[str, ...]] = {}
    for language in _LATIN_LANGUAGES:
        for word in frozenset(stoplists.get(language, ())):
            languages[word] = (*languages.get(word, ()), language)
    return languages
