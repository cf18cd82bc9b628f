"""Find the article text of a page, readability-style: text blocks score their ancestor
containers by length, commas and link density, and the best container is kept with its
related siblings; furniture is skipped throughout."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import Tag

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
    container: Tag | None


def article_text(root: Tag) -> ArticleText:
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
    return block.owner.name != "p" or not block.text.endswith(SENTENCE_ENDS)


def _article_blocks(root: Tag, found: Blocks) -> tuple[list[Block], Tag | None]:
    """The blocks of the best-scoring container and of its related siblings, and that
    container."""
    scores = _container_scores(root, found)
    if not scores:
        return found.blocks, None
    totals = _text_totals(found.blocks, root)
    final = {key: score * (1 - _density(totals, key)) for key, (score, _) in scores.items()}
    elements = {key: element for key, (_, element) in scores.items()}
    best, best_score = _best_container(root, final, elements)
    if best is root:
        return found.blocks, None
    keep = _related_siblings(best, best_score, final, totals, found)
    return [block for block in found.blocks if _is_kept(block, keep, best.parent)], best


def _container_scores(root: Tag, found: Blocks) -> dict[int, tuple[float, Tag]]:
    """Readability scores: each paragraph credits its ancestors, less the further up."""
    scores: dict[int, tuple[float, Tag]] = {}
    for block in found.blocks:
        if block.owner.name in HEADING_TAGS or len(block.text) < MIN_PARAGRAPH_CHARS:
            continue
        points = 1 + _comma_count(block.text) + min(len(block.text) / 100, 3)
        points *= 1 - block.link_density
        # Text beside other blocks is a paragraph of its own inside its owner.
        first = block.owner if id(block.owner) in found.nested or block.owner is root \
            else block.owner.parent
        for level, ancestor in enumerate(ancestors(first, root)):
            if level == 5:
                break
            score = scores[id(ancestor)][0] if id(ancestor) in scores else _initial_score(ancestor)
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            scores[id(ancestor)] = (score + points / divider, ancestor)
    return scores


def _comma_count(text: str) -> int:
    return text.count(",") + text.count("，") + text.count("、")


def _initial_score(tag: Tag) -> float:
    """A container's starting score from its tag and its class/id hints."""
    score = _TAG_WEIGHTS.get(tag.name, 0)
    hints = f"{class_and_id(tag)} {attr(tag, 'itemprop')}"
    if is_furniture_hint(hints):
        score -= 25
    if _CONTENT_HINT.search(hints):
        score += 25
    return score


def _text_totals(blocks: list[Block], root: Tag) -> dict[int, tuple[int, int]]:
    """Per element id: (characters of text, characters of link text) beneath it."""
    totals: dict[int, tuple[int, int]] = {}
    for block in blocks:
        for element in ancestors(block.owner, root):
            text, links = totals.get(id(element), (0, 0))
            totals[id(element)] = (text + len(block.text), links + block.link_chars)
    return totals


def _density(totals: dict[int, tuple[int, int]], key: int) -> float:
    text, links = totals.get(key, (0, 0))
    return links / text if text else 0.0


def _child_tags(tag: Tag) -> list[Tag]:
    return [child for child in tag.contents if isinstance(child, Tag)]


def _best_container(root: Tag, final: dict[int, float],
                    elements: dict[int, Tag]) -> tuple[Tag, float]:
    """The top-scoring element, widened to an ancestor when content looks split up,
    and the score it stands for."""
    ranked = sorted(final, key=final.get, reverse=True)
    best, best_score = elements[ranked[0]], final[ranked[0]]
    if best is root:
        return root, best_score
    # Posts of one page: the article is the element holding them all.
    best_class = attr(best, "class")
    twins = [elements[key] for key in ranked[1:] if final[key] >= _TWIN_SHARE * best_score
             and elements[key].name == best.name and attr(elements[key], "class") == best_class]
    if best_class and twins:
        shared = {id(a) for a in ancestors(best, root)}
        for twin in twins:
            shared &= {id(a) for a in ancestors(twin, root)}
        return next(a for a in ancestors(best, root) if id(a) in shared), best_score
    # Several near-best candidates under one ancestor: the article is that ancestor.
    close = [elements[key] for key in ranked[1:5] if final[key] >= 0.75 * best_score]
    if len(close) >= 3:
        close_ancestors = [{id(a) for a in ancestors(element, root)} for element in close]
        for ancestor in ancestors(best.parent, root):
            if sum(id(ancestor) in ids for ids in close_ancestors) >= 3:
                best = ancestor
                break
    # A parent scoring higher than its child holds more of the content.
    last_score = final.get(id(best), 0.0)
    for parent in ancestors(best.parent, root):
        parent_score = final.get(id(parent))
        if parent is root or (parent_score is not None and parent_score < best_score / 3):
            break
        if parent_score is not None:
            if parent_score > last_score:
                best = parent
                break
            last_score = parent_score
    # A wrapper around nothing else holds the same content: it inherits the score.
    score = final.get(id(best), 0.0)
    while best is not root and best.parent is not root and len(_child_tags(best.parent)) == 1:
        best = best.parent
        score = max(score, final.get(id(best), 0.0))
    # The publisher's own mark for the article text wins over a part of it
    # (a caption gallery, a quiz) that happens to score higher.
    marked = next((a for a in ancestors(best, root) if is_marked_article_body(a)), best)
    return marked, max(score, final.get(id(marked), 0.0))


def _related_siblings(best: Tag, best_score: float, final: dict[int, float],
                      totals: dict[int, tuple[int, int]], found: Blocks) -> set[int]:
    """Ids of the best container and the siblings that look like more of the article."""
    threshold = max(10.0, best_score * 0.2)
    best_class = attr(best, "class")
    keep = {id(best)}
    for sibling in _child_tags(best.parent):
        bonus = best_score * 0.2 if best_class and attr(sibling, "class") == best_class else 0
        if (final.get(id(sibling), 0) + bonus >= threshold
                or _looks_like_paragraph(sibling, totals, found)):
            keep.add(id(sibling))
    return keep


def _looks_like_paragraph(tag: Tag, totals: dict[int, tuple[int, int]], found: Blocks) -> bool:
    """A stand-alone sibling paragraph: long with few links, or a short clean sentence."""
    text = found.leaf_text(tag)
    density = _density(totals, id(tag))
    if len(text) > 80:
        return density < 0.25
    return bool(text) and density == 0 and text.endswith(SENTENCE_ENDS)


def _is_kept(block: Block, keep: set[int], parent: Tag) -> bool:
    """Whether the block lies inside one of the kept children of parent."""
    element = block.owner
    while element is not None and element is not parent:
        if id(element) in keep:
            return True
        element = element.parent
    return False
