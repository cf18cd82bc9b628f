"""Guess an article's language from its letters and its stop words (no model, no download)."""

import re
import unicodedata
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
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return DEFAULT_LANGUAGE
    best, best_hits = DEFAULT_LANGUAGE, 0
    for language in _LATIN_LANGUAGES:
        stops = _stopwords(language)
        hits = sum(1 for w in words if w in stops)
        if hits > best_hits:
            best, best_hits = language, hits
    return best if best_hits >= max(2, len(words) // 20) else DEFAULT_LANGUAGE


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix, language in _SCRIPTS:
        if name.startswith(prefix):
            return language
    return None


@lru_cache(maxsize=None)
def _stopwords(language: str) -> frozenset[str]:
    return frozenset(stoplists.get(language, ()))
