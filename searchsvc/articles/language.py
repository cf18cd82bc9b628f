"""An article's language: its metadata value normalised, or detected from its text with CLD2.

CLD2 (Google's Compact Language Detector 2, through `pycld2`) tells 161 languages apart, 149
of them with an ISO 639-1 code, the African, Asian and European languages news is written in
among them, from tables compiled into its wheel: nothing to download and no model to load, so
a process that never detects (the search server) pays nothing, and one that does pays tens of
microseconds per article. bench/languages.py compares it with py3langid, lingua, CLD3 and
fastText on the shared corpora.
"""

import re
import unicodedata
from functools import lru_cache

# BCP 47's code for "undetermined": the text does not say which language it is in.
UNDETERMINED = "und"
# The headline and lead decide; a longer sample only when CLD2 finds no language in them (its
# cost grows with the length: ~40 µs for 600 characters of Latin script).
SAMPLE_CHARS = 600
LONG_SAMPLE_CHARS = 4000

# Scripts written in one language only (Han among kana counts as Japanese). They decide the
# texts too short for CLD2, such as a two-word Hebrew or Korean headline.
_SCRIPTS = (
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("GREEK", "el"),
    ("HEBREW", "he"),
    ("THAI", "th"),
    ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"),
    ("CJK UNIFIED IDEOGRAPH", "zh"),
)
# Old or alternative codes and names found in metadata (and, for iw/jw, in CLD2's answers).
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "jw": "jv", "in": "id", "ji": "yi", "fil": "tl",
            "eng": "en", "rus": "ru", "ger": "de", "deu": "de", "fra": "fr", "fre": "fr",
            "spa": "es", "ita": "it", "english": "en", "russian": "ru"}
# Code points CLD2 rejects as invalid ("interchange") UTF-8: control characters but tab, line
# feed, form feed and carriage return; surrogates; noncharacters.
_NOT_FOR_CLD2 = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                           + "".join(chr(plane | 0xFFFE) + chr(plane | 0xFFFF)
                                     for plane in range(0, 0x110000, 0x10000)) + "]")


def normalize_language(value: str | None) -> str | None:
    """'en-GB', 'ru_RU', 'English' → 'en', 'ru'; None for empty or unintelligible values."""
    if not value:
        return None
    code = re.split(r"[-_\s,;]", value.strip().lower(), maxsplit=1)[0]
    code = _ALIASES.get(code, code)
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language the text is written in, or 'und' when it does not say.

    CLD2 reads the first SAMPLE_CHARS characters (for an article: its headline and lead), and
    LONG_SAMPLE_CHARS when those leave it without an answer. Its answer stands when it has a
    two-letter code. When it gives none, as for many headlines of five words or a table of
    figures, a script that only one language is written in (Greek, Hangul, kana, Han, Hebrew,
    Thai, Georgian, Armenian) names the language; otherwise the answer is 'und'. Short text is
    never given a default language: an undetermined article is indexed like one in a language
    without a stemmer (unstemmed, no stop words) instead of with a wrong language's stemmer
    and stop words. Alone, 92% of BBC headlines (five words or so) get an answer, 99.7% of them
    right (bench/languages.py); whole articles all get one.
    """
    sample = text[:SAMPLE_CHARS]
    language = _cld2_language(sample)
    if language is None and len(text) > SAMPLE_CHARS:
        language = _cld2_language(text[:LONG_SAMPLE_CHARS])
    return language or _script_language(sample) or UNDETERMINED


def _cld2_language(text: str) -> str | None:
    """CLD2's best language for the text as a two-letter code; None when it has no answer, or
    one without such a code (Scots, Cebuano). Answers CLD2 does not call reliable are kept:
    on the shared corpora all of them were right (the leads of 11 Russian articles, 8 Hindi
    headlines, a Reuters story)."""
    import pycld2  # here, so that processes that never detect do not load its tables

    try:
        _, _, details = pycld2.detect(text, isPlainText=True)
    except (pycld2.error, UnicodeEncodeError):  # rare: cleaning costs as much as detecting
        _, _, details = pycld2.detect(_NOT_FOR_CLD2.sub(" ", text), isPlainText=True)
    name, code, _, _ = details[0]
    if code == "un" or name.startswith("X_"):  # X_: a script CLD2 knows no language of
        return None
    return normalize_language(code)


def _script_language(text: str) -> str | None:
    """The language whose own script holds most of the text's letters, if there is one."""
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            language = _script_of(ch)
            if language:
                counts[language] = counts.get(language, 0) + 1
    if "ja" in counts:
        counts["ja"] += counts.pop("zh", 0)  # Han among kana is Japanese
    if not counts:
        return None
    language, count = max(counts.items(), key=lambda item: item[1])
    return language if 2 * count > letters else None


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix, language in _SCRIPTS:
        if name.startswith(prefix):
            return language
    return None
