"""Machine-readable views for browsers and feed readers: an OpenSearch description, so a
browser can add searchsvc as a search engine, and an Atom feed of a query's newest matches,
so a saved query becomes an alert."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, request, url_for

from .. import __version__
from ..searching import Hit, Results, SearchRequest
from .pages import link_url
from .params import FEED_ENTRIES, feed_request

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
MOZ = "http://www.mozilla.org/2006/browser/search/"
TAG = "tag:searchsvc,2026:"  # RFC 4151: ids that stay when the site moves
_KEEPS_CASE = re.compile(r"(\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b|[^\s\"():]+:)")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@bp.get("/opensearch.xml")
def opensearch():
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH, "xmlns:moz": MOZ})
    _text(root, "ShortName", "searchsvc")
    _text(root, "Description", "Full-text search over the news archive")
    _text(root, "InputEncoding", "UTF-8")
    for mimetype, endpoint, extra in (
            ("text/html", "pages.search", "&page={startPage?}"),
            ("application/x-suggestions+json", "api.suggest", "&format=opensearch"),
            ("application/atom+xml", "feeds.atom", "")):
        template = url_for(endpoint, _external=True) + "?q={searchTerms}" + extra
        ET.SubElement(root, "Url", {"type": mimetype, "method": "get", "template": template})
    ET.SubElement(root, "Url", {"type": "application/opensearchdescription+xml", "rel": "self",
                                "template": url_for("feeds.opensearch", _external=True)})
    _text(root, "moz:SearchForm", url_for("pages.home", _external=True))
    return _xml(root, "application/opensearchdescription+xml")


@bp.get("/search.atom")
def atom():
    index = current_app.extensions["searchsvc"]
    results = index.search(feed_request(request.args))
    built = dt.datetime.fromtimestamp(index.store.last_built(), dt.timezone.utc)
    return _xml(atom_feed(results, built), "application/atom+xml")


def atom_feed(results: Results, index_built: dt.datetime) -> ET.Element:
    """The feed: one entry per hit, newest first, each linking to its article page.

    Feed readers tell new and changed entries by `id` and `updated`, so both depend on the
    archive only, never on the request: an undated article is as new as its indexing, and
    `index_built` (the last indexing run) dates an empty feed."""
    query = results.request.q
    entries = [(hit, _entry_updated(hit, index_built)) for hit in results.hits]
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "id", feed_id(results.request))
    _text(feed, "title", f"searchsvc: {query}")
    _text(feed, "subtitle", f"The {FEED_ENTRIES} newest articles matching {query}")
    _text(feed, "updated", _timestamp(max((updated for _, updated in entries),
                                          default=index_built)))
    _link(feed, "self", request.url, "application/atom+xml")
    page_args = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
    _link(feed, "alternate", url_for("pages.search", _external=True,
                                     **{**page_args, "sort": "newest"}), "text/html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", "searchsvc")
    _text(feed, "generator", "searchsvc", {"version": __version__})
    for hit, updated in entries:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", entry_id(hit.id))
        _text(entry, "title", hit.display_title)
        _text(entry, "updated", _timestamp(updated))
        _link(entry, "alternate", url_for("pages.article", article_id=hit.id, q=query,
                                          _external=True), "text/html")
        if link_url(hit.url):
            _link(entry, "related", link_url(hit.url), "text/html")
        if hit.source:
            entry_author = ET.SubElement(entry, "author")
            _text(entry_author, "name", hit.source)
        _text(entry, "summary", hit.snippet, {"type": "html"})
    return feed


def feed_id(req: SearchRequest) -> str:
    """A tag URI naming the search, not the address it was fetched from: the same whatever
    the host, the order of the parameters or the letter case the search ignores (words and
    filter values; not the operators AND, OR, NOT, TO or a `field:` name)."""
    terms = {"q": _fold_case(" ".join(req.q.split())),
             "source": req.source and req.source.lower(),
             "language": req.language and req.language.lower(),
             "from": req.date_from and req.date_from.isoformat(),
             "to": req.date_to and req.date_to.isoformat(),
             "story": req.story}
    return TAG + "search?" + urlencode({k: v for k, v in terms.items() if v}, quote_via=quote)


def entry_id(article_id: str) -> str:
    """A tag URI naming the article by its id, the same from every host."""
    return TAG + "articles/" + quote(article_id, safe="/:")


def _fold_case(query: str) -> str:
    parts = _KEEPS_CASE.split(query)  # odd parts: operators and field names, kept as typed
    return "".join(part if number % 2 else part.lower() for number, part in enumerate(parts))


def _entry_updated(hit: Hit, index_built: dt.datetime) -> dt.datetime:
    """The article's date; when it has none, when it was indexed (`index_built` for an
    article indexed by a searchsvc that did not record it)."""
    if hit.date:
        return dt.datetime.combine(hit.date, dt.time(), dt.timezone.utc)
    return hit.indexed or index_built


def _text(parent: ET.Element, tag: str, text: str, attrs: dict | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs or {})
    element.text = _NOT_XML.sub("", text)
    return element


def _link(parent: ET.Element, rel: str, href: str, mimetype: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "href": href, "type": mimetype})


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(root: ET.Element, mimetype: str) -> Response:
    body = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype=mimetype)
