"""Highlighted text: snippets of the passages where the query's words are, headlines and
article paragraphs with those words marked. All text is escaped; only the <mark> tags
around matched words are markup (searchsvc's own), so the result is safe to render."""

from __future__ import annotations

import html

from whoosh import highlight

from ..analysis import Analysis

SNIPPET_CHARS = 240
SNIPPET_PASSAGES = 2


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps each matched term in <mark>: safe to render as HTML."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"


def snippet(text: str, analysis: Analysis, terms: frozenset[str]) -> str:
    """The best two passages of `text` around the words indexed as one of `terms`, marked;
    the lead when none is there."""
    marked = _passages(text, analysis.matches(text, terms)) if terms else ""
    if marked:
        return marked
    lead = text[:SNIPPET_CHARS]
    return html.escape(lead[:lead.rfind(" ")] + " …" if len(text) > SNIPPET_CHARS else lead)


def _passages(text: str, matches: list[highlight.Token]) -> str:
    fragmenter = highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=70,
                                              autotrim=True)
    fragmenter.charlimit = None
    # Fragments around nearby matches overlap: merge them (up to two snippet lengths) or cut
    # the later one where the earlier ends, or the snippet would show the same words twice.
    merged: list[highlight.Fragment] = []
    for fragment in sorted(fragmenter.fragment_matches(text, matches), key=lambda f: f.startchar):
        if merged and fragment.startchar < merged[-1].endchar:
            last = merged[-1]
            if fragment.endchar - last.startchar <= 2 * SNIPPET_CHARS:
                merged[-1] = highlight.Fragment(text, last.matches + fragment.matches,
                                                last.startchar, max(last.endchar, fragment.endchar))
                continue
            later = [m for m in fragment.matches if m.startchar >= last.endchar]
            if not later:
                continue
            fragment = highlight.Fragment(text, later, last.endchar, fragment.endchar)
        merged.append(fragment)
    chosen = sorted(merged, key=highlight.BasicFragmentScorer(), reverse=True)[:SNIPPET_PASSAGES]
    return MarkFormatter()(text, sorted(chosen, key=lambda f: f.startchar))


def marked(text: str, analysis: Analysis, terms: frozenset[str]) -> str:
    """All of `text` (a headline, a paragraph), escaped, with the words of `terms` marked."""
    marks = analysis.matches(text, terms) if terms else []
    if not marks:
        return html.escape(text)
    return MarkFormatter().format_fragment(highlight.Fragment(text, marks, 0, len(text)))
