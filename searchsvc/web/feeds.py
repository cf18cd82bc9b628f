"""Machine-readable views for browsers and feed readers: an OpenSearch description, so a
browser can add searchsvc as a search engine, and an Atom feed of a query's newest matches,
so a saved query becomes an alert."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, request, url_for

from .. import __version__
from ..searching import Results
from .pages import link_url
from .params import FEED_ENTRIES, feed_request

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
MOZ = "http://www.mozilla.org/2006/browser/search/"
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
    results = current_app.extensions["searchsvc"].search(feed_request(request.args))
    return _xml(atom_feed(results), "application/atom+xml")


def atom_feed(results: Results) -> ET.Element:
    """The feed: one entry per hit, newest first, each linking to its article page."""
    query = results.request.q
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "id", request.url)
    _text(feed, "title", f"searchsvc: {query}")
    _text(feed, "subtitle", f"The {FEED_ENTRIES} newest articles matching {query}")
    dates = [hit.date for hit in results.hits if hit.date]
    feed_updated = _timestamp(max(dates)) if dates else _now()
    _text(feed, "updated", feed_updated)
    _link(feed, "self", request.url, "application/atom+xml")
    page_args = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
    _link(feed, "alternate", url_for("pages.search", _external=True,
                                     **{**page_args, "sort": "newest"}), "text/html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", "searchsvc")
    _text(feed, "generator", "searchsvc", {"version": __version__})
    for hit in results.hits:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", url_for("pages.article", article_id=hit.id, _external=True))
        _text(entry, "title", hit.title)
        _text(entry, "updated", _timestamp(hit.date) if hit.date else feed_updated)
        _link(entry, "alternate", url_for("pages.article", article_id=hit.id, q=query,
                                          _external=True), "text/html")
        if link_url(hit.url):
            _link(entry, "related", link_url(hit.url), "text/html")
        if hit.source:
            entry_author = ET.SubElement(entry, "author")
            _text(entry_author, "name", hit.source)
        _text(entry, "summary", hit.snippet, {"type": "html"})
    return feed


def _text(parent: ET.Element, tag: str, text: str, attrs: dict | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs or {})
    element.text = _NOT_XML.sub("", text)
    return element


def _link(parent: ET.Element, rel: str, href: str, mimetype: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "href": href, "type": mimetype})


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml(root: ET.Element, mimetype: str) -> Response:
    body = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype=mimetype)
