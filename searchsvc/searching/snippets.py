"""Highlighted text: snippets of the passages where the query's words are, headlines and
article paragraphs with those words marked. All text is escaped; only the <mark> tags
around matched words are markup (searchsvc's own), so the result is safe to render.

A snippet is about two lines, as news readers know them (up to SNIPPET_CHARS characters,
SNIPPET_MIN_CHARS or more where the article has them): the passage holding the most distinct
query words comes first; it starts where a sentence starts when one is near, else where a
clause does, and "…" stands where text is cut. When another passage holds query words the
first lacks, the first is cut short and the other follows it.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass

from whoosh import highlight

from ..analysis import Analysis

SNIPPET_CHARS = 220  # the most a snippet shows, "…" included
SNIPPET_MIN_CHARS = 160  # a passage ends at a sentence end past this, else at a word
SECOND_PASSAGE_CHARS = 70  # the least a second passage is worth showing
LEAD_IN_CHARS = 140  # how far before a word the start of its sentence or clause may be
WORD_LEAD_IN_CHARS = 40  # where none is that near, the text shown before the word
MAX_CANDIDATES = 64  # passages compared (one per match, the first ones)
ELLIPSIS = "…"

# A sentence ends at a stop, closing quotes or brackets and a space before a word that does
# not start in lower case, or at a paragraph's end; not after a single letter ("U.S. Steel",
# "J. Smith") or an abbreviation ("Mr. Smith").
_BOUNDARY = re.compile(r"[.!?。！？][\"'’”»)\]]*(?:\s+|$)|\s*\n\s*")
_OPENING = "\"'“‘«(["
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "co", "corp", "inc", "ltd", "no",
                            "vs", "gen", "sen", "rep", "gov", "jan", "feb", "aug", "sept",
                            "oct", "nov", "dec"})
_LAST_WORD = re.compile(r"(\w+)\W*$")
_CLAUSE_START = re.compile(r"(?:[,;:]|\s[–—-])\s+(?=\w)")


@dataclass(frozen=True)
class _Passage:
    start: int
    end: int
    cut_before: bool  # starts inside a sentence: shown with "…" before
    cut_after: bool  # ends inside a sentence: shown with "…" after

    def length(self) -> int:
        return self.end - self.start + self.cut_before + self.cut_after


class _Layout:
    """Where the sentences and clauses of a text start and end."""

    def __init__(self, text: str):
        self.text = text
        self.ends: list[int] = []  # just after each sentence's last character
        starts = {0: True}
        for match in _BOUNDARY.finditer(text):
            if "\n" not in match.group() and not self._ends_sentence(match):
                continue
            self.ends.append(match.start() + len(match.group().rstrip()))
            if match.end() < len(text):
                starts[match.end()] = True
        for match in _CLAUSE_START.finditer(text):
            starts.setdefault(match.end(), False)
        self.starts = sorted(starts.items())  # (position, a sentence starts there)
        self._positions = [position for position, _ in self.starts]
        self._end_set = frozenset(self.ends)

    def _ends_sentence(self, match: re.Match) -> bool:
        word = _LAST_WORD.search(self.text, max(0, match.start() - 12), match.start() + 1)
        if word and (len(word.group(1)) == 1 or word.group(1).lower() in _ABBREVIATIONS):
            return False
        return not self.text[match.end():match.end() + 3].lstrip(_OPENING)[:1].islower()

    def start_before(self, position: int, earliest: int = 0) -> tuple[int, bool]:
        """(where a passage showing the word at `position` starts, whether that is a cut):
        the nearest sentence start before it within LEAD_IN_CHARS, else the nearest clause
        start, else a word WORD_LEAD_IN_CHARS before it; never before `earliest`."""
        low = max(earliest, position - LEAD_IN_CHARS)
        near = self.starts[bisect.bisect_left(self._positions, low):
                           bisect.bisect_right(self._positions, position)]
        sentences = [start for start, sentence in near if sentence]
        if sentences:
            return sentences[-1], False
        if near:
            return near[-1][0], True
        start = max(earliest, position - WORD_LEAD_IN_CHARS)
        if start == 0:
            return 0, False
        space = self.text.find(" ", start, position)
        return (space + 1 if space >= 0 else position), True

    def passage(self, start: int, budget: int, cut_before: bool = False,
                limit: int | None = None, through: int = 0) -> _Passage:
        """The passage from `start` as long as `budget` allows (and ending by `limit`): to a
        sentence end past SNIPPET_MIN_CHARS (or two thirds of the budget) and past
        `through`, else to a word end, cut."""
        limit = len(self.text) if limit is None else limit
        room = budget - cut_before
        if limit - start <= room:
            end = start + len(self.text[start:limit].rstrip())
            return _Passage(start, end, cut_before,
                            end < len(self.text) and end not in self._end_set)
        least = max(start + min(SNIPPET_MIN_CHARS, room * 2 // 3), through)
        ends = self.ends[bisect.bisect_left(self.ends, least):
                         bisect.bisect_right(self.ends, start + room)]
        if ends:
            return _Passage(start, ends[-1], cut_before, False)
        window = self.text[start:start + room - 1]  # room for the "…"
        space = window.rfind(" ")
        end = start + (space if space > 0 else len(window))
        return _Passage(start, start + len(self.text[start:end].rstrip(" ,;:–—-")), cut_before,
                        True)


    def widened(self, passage: _Passage) -> _Passage:
        """A passage that ends the text short of SNIPPET_MIN_CHARS, begun as many sentences
        (or clauses) earlier as SNIPPET_CHARS allows."""
        if passage.cut_after or passage.length() >= SNIPPET_MIN_CHARS:
            return passage
        earlier = [(start, sentence) for start, sentence in self.starts
                   if passage.end - SNIPPET_CHARS < start < passage.start]
        if not earlier:
            return passage
        start, sentence = earlier[0]
        return _Passage(start, passage.end, not sentence, False)


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps each matched term in <mark>: safe to render as HTML."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"


def snippet(text: str, analysis: Analysis, terms: frozenset[str]) -> str:
    """About two lines of `text` around the words indexed as one of `terms`, marked, the
    passage with the most distinct ones first; the lead when none is there."""
    matches = analysis.matches(text, terms) if terms else []
    layout = _Layout(text)
    if not matches:
        return _render(text, [layout.passage(0, SNIPPET_CHARS)], [])
    candidates = []
    for token in matches[:MAX_CANDIDATES]:
        start, cut = layout.start_before(token.startchar)
        candidates.append(layout.passage(start, SNIPPET_CHARS, cut, through=token.endchar))
    best = max(candidates, key=lambda passage: _score(passage, matches))
    missing = {token.text for token in matches} - {token.text for token in _inside(matches, best)}
    passages = (_with_second(layout, matches, best, missing) if missing else None) or \
        [layout.widened(best)]
    return _render(text, passages, matches)


def marked(text: str, analysis: Analysis, terms: frozenset[str]) -> str:
    """All of `text` (a headline, a paragraph), escaped, with the words of `terms` marked."""
    marks = analysis.matches(text, terms) if terms else []
    if not marks:
        return html.escape(text)
    return MarkFormatter().format_fragment(highlight.Fragment(text, marks, 0, len(text)))


def _cut_short(layout: _Layout, passage: _Passage, last: int) -> _Passage:
    """`passage` ended soon after `last` (its last match's end): at a sentence end or a
    word within SECOND_PASSAGE_CHARS / 2."""
    short = layout.passage(passage.start, last - passage.start + SECOND_PASSAGE_CHARS // 2,
                           passage.cut_before)
    return short if short.end >= last else _Passage(passage.start, last, passage.cut_before,
                                                    True)


def _inside(matches: list[highlight.Token], passage: _Passage) -> list[highlight.Token]:
    return [token for token in matches
            if passage.start <= token.startchar and token.endchar <= passage.end]


def _score(passage: _Passage, matches: list[highlight.Token]) -> tuple:
    """Most distinct words, then a whole sentence's start, then most words, then the
    earliest."""
    inside = _inside(matches, passage)
    return (len({token.text for token in inside}), not passage.cut_before, len(inside),
            -passage.start)


def _with_second(layout: _Layout, matches: list[highlight.Token], best: _Passage,
                 missing: set[str]) -> list[_Passage] | None:
    """The best passage cut short after the first match of each of its words, then the
    passage with the most of the words it lacks; None when there is no room for both."""
    inside = _inside(matches, best)
    terms, last = set(), inside[0].endchar
    for token in inside:  # the end of the first match of each of its words
        if token.text not in terms:
            terms.add(token.text)
            last = token.endchar
    first = _cut_short(layout, best, last)
    if SNIPPET_CHARS - first.length() < SECOND_PASSAGE_CHARS + len(MarkFormatter.between):
        # begin nearer the first match (at a clause or a word) to make room
        start, cut = layout.start_before(inside[0].startchar,
                                         earliest=inside[0].startchar - WORD_LEAD_IN_CHARS)
        first = _cut_short(layout, _Passage(start, best.end, cut, best.cut_after), last)
    room = SNIPPET_CHARS - first.length() - len(MarkFormatter.between) + first.cut_after
    if room < SECOND_PASSAGE_CHARS:
        return None
    candidates = []
    for token in [token for token in matches if token.text in missing][:MAX_CANDIDATES]:
        if token.startchar >= first.end:
            earliest = first.end
        elif token.endchar <= first.start:
            earliest = 0
        else:
            continue
        start, cut = layout.start_before(token.startchar, earliest=earliest)
        if token.endchar - start > room * 2 // 3:  # too far back: the word would not fit
            start, cut = layout.start_before(
                token.startchar, earliest=max(earliest, token.startchar - WORD_LEAD_IN_CHARS))
        candidates.append(layout.passage(start, room, cut, through=token.endchar,
                                         limit=None if earliest else first.start))
    candidates = [passage for passage in candidates if _inside(matches, passage)]
    if not candidates:
        return None
    return [first, max(candidates, key=lambda passage: _score(passage, matches))]


def _render(text: str, passages: list[_Passage], matches: list[highlight.Token]) -> str:
    """The passages escaped, their matches marked, on one line: "…" where the first starts
    or the last ends inside a sentence, " … " between two."""
    shown = []
    for passage in passages:
        fragment = highlight.Fragment(text, _inside(matches, passage), passage.start,
                                      passage.end)
        shown.append(" ".join(MarkFormatter().format_fragment(fragment).split()))
    return ((ELLIPSIS if passages[0].cut_before else "") + MarkFormatter.between.join(shown)
            + (ELLIPSIS if passages[-1].cut_after else ""))
