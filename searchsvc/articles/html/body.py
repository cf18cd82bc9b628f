"""Find the article text of a page, readability-style: text blocks score their ancestor
containers by length, commas and link density, and the best container is kept with its
related siblings; furniture is skipped throughout."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from .blocks import HEADING_TAGS, MIN_PARAGRAPH_CHARS, Block, Blocks, text_blocks
from .elements import ancestors, attr, class_and_id
from .furniture import furniture_filter, is_furniture_hint, is_marked_article_body

_CONTENT_HINT = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose",
    re.IGNORECASE)
_TAG_WEIGHTS = {
    "div": 5, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
_AD_LABEL = re.compile(r"(advertisement|advertising|sponsored|ad)$", re.IGNORECASE)
# Containers named like the best one and scoring this share of its score are more posts of
# the same page (a blog's front page), kept together.
_TWIN_SHARE = 0.5
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？", '"', "”", "»")


@dataclass
class ArticleText:
    """The article's paragraphs, and the element judged to hold them (None: the whole page)."""

    blocks: list[Block]
    container: HtmlElement | None


def article_text(root: HtmlElement) -> ArticleText:
    """The blocks of the article under root, without furniture, link lists and ad labels."""
    found = text_blocks(root, furniture_filter(root))
    if not found.blocks:
        return ArticleText([], None)
    blocks, container = _article_blocks(root, found)
    kept = [block for block in blocks
            if not _is_link_list_item(block) and not _AD_LABEL.match(block.text)]
    return ArticleText(kept, container)


def _is_link_list_item(block: Block) -> bool:
    """Mostly-link text (related stories, tags, menus); linked sentences stay."""
    if block.link_density <= 0.5:
        return False
    return block.owner.tag != "p" or not block.text.endswith(SENTENCE_ENDS)


def _article_blocks(root: HtmlElement,
                    found: Blocks) -> tuple[list[Block], HtmlElement | None]:
    """The blocks of the best-scoring container and of its related siblings, and that
    container."""
    scores = _container_scores(root, found)
    if not scores:
        return found.blocks, None
    totals = _text_totals(found.blocks, root)
    final = {element: score * (1 - _density(totals, element))
             for element, score in scores.items()}
    best, best_score = _best_container(root, final)
    if best is root:
        return found.blocks, None
    keep = _related_siblings(best, best_score, final, totals, found)
    parent = best.getparent()
    return [block for block in found.blocks if _is_kept(block, keep, parent)], best


def _container_scores(root: HtmlElement, found: Blocks) -> dict[HtmlElement, float]:
    """Readability scores: each paragraph credits its ancestors, less the further up."""
    scores: dict[HtmlElement, float] = {}
    for block in found.blocks:
        if block.owner.tag in HEADING_TAGS or len(block.text) < MIN_PARAGRAPH_CHARS:
            continue
        points = 1 + _comma_count(block.text) + min(len(block.text) / 100, 3)
        points *= 1 - block.link_density
        # Text beside other blocks is a paragraph of its own inside its owner.
        first = block.owner if block.owner in found.nested or block.owner is root \
            else block.owner.getparent()
        for level, ancestor in enumerate(ancestors(first, root)):
            if level == 5:
                break
            score = scores[ancestor] if ancestor in scores else _initial_score(ancestor)
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            scores[ancestor] = score + points / divider
    return scores


def _comma_count(text: str) -> int:
    return text.count(",") + text.count("，") + text.count("、")


def _initial_score(element: HtmlElement) -> float:
    """A container's starting score from its tag and its class/id hints."""
    score = _TAG_WEIGHTS.get(element.tag, 0)
    hints = f"{class_and_id(element)} {attr(element, 'itemprop')}"
    if is_furniture_hint(hints):
        score -= 25
    if _CONTENT_HINT.search(hints):
        score += 25
    return score


def _text_totals(blocks: list[Block],
                 root: HtmlElement) -> dict[HtmlElement, tuple[int, int]]:
    """Per element: (characters of text, characters of link text) beneath it."""
    totals: dict[HtmlElement, tuple[int, int]] = {}
    for block in blocks:
        for element in ancestors(block.owner, root):
            text, links = totals.get(element, (0, 0))
            totals[element] = (text + len(block.text), links + block.link_chars)
    return totals


def _density(totals: dict[HtmlElement, tuple[int, int]], element: HtmlElement) -> float:
    text, links = totals.get(element, (0, 0))
    return links / text if text else 0.0


def _best_container(root: HtmlElement,
                    final: dict[HtmlElement, float]) -> tuple[HtmlElement, float]:
    """The top-scoring element, widened to an ancestor when content looks split up,
    and the score it stands for."""
    ranked = sorted(final, key=final.get, reverse=True)
    best, best_score = ranked[0], final[ranked[0]]
    if best is root:
        return root, best_score
    # Posts of one page: the article is the element holding them all.
    best_class = attr(best, "class")
    twins = [element for element in ranked[1:] if final[element] >= _TWIN_SHARE * best_score
             and element.tag == best.tag and attr(element, "class") == best_class]
    if best_class and twins:
        shared = set(ancestors(best, root))
        for twin in twins:
            shared &= set(ancestors(twin, root))
        return next(a for a in ancestors(best, root) if a in shared), best_score
    # Several near-best candidates under one ancestor: the article is that ancestor.
    close = [element for element in ranked[1:5] if final[element] >= 0.75 * best_score]
    if len(close) >= 3:
        close_ancestors = [set(ancestors(element, root)) for element in close]
        for ancestor in ancestors(best.getparent(), root):
            if sum(ancestor in found for found in close_ancestors) >= 3:
                best = ancestor
                break
    # A parent scoring higher than its child holds more of the content.
    last_score = final.get(best, 0.0)
    for parent in ancestors(best.getparent(), root):
        parent_score = final.get(parent)
        if parent is root or (parent_score is not None and parent_score < best_score / 3):
            break
        if parent_score is not None:
            if parent_score > last_score:
                best = parent
                break
            last_score = parent_score
    # A wrapper around nothing else holds the same content: it inherits the score.
    score = final.get(best, 0.0)
    while best is not root and best.getparent() is not root and len(best.getparent()) == 1:
        best = best.getparent()
        score = max(score, final.get(best, 0.0))
    # The publisher's own mark for the article text wins over a part of it
    # (a caption gallery, a quiz) that happens to score higher.
    marked = next((a for a in ancestors(best, root) if is_marked_article_body(a)), best)
    return marked, max(score, final.get(marked, 0.0))


def _related_siblings(best: HtmlElement, best_score: float, final: dict[HtmlElement, float],
                      totals: dict[HtmlElement, tuple[int, int]],
                      found: Blocks) -> set[HtmlElement]:
    """The best container and the siblings that look like more of the article."""
    threshold = max(10.0, best_score * 0.2)
    best_class = attr(best, "class")
    keep = {best}
    for sibling in best.getparent():
        bonus = best_score * 0.2 if best_class and attr(sibling, "class") == best_class else 0
        if (final.get(sibling, 0) + bonus >= threshold
                or _looks_like_paragraph(sibling, totals, found)):
            keep.add(sibling)
    return keep


def _looks_like_paragraph(element: HtmlElement, totals: dict[HtmlElement, tuple[int, int]],
                          found: Blocks) -> bool:
    """A stand-alone sibling paragraph: long with few links, or a short clean sentence."""
    text = found.leaf_text(element)
    density = _density(totals, element)
    if len(text) > 80:
        return density < 0.25
    return bool(text) and density == 0 and text.endswith(SENTENCE_ENDS)


def _is_kept(block: Block, keep: set[HtmlElement], parent: HtmlElement) -> bool:
    """Whether the block lies inside one of the kept children of parent."""
    element = block.owner
    while element is not None and element is not parent:
        if element in keep:
            return True
        element = element.getparent()
    return False
