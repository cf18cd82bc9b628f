"""The HTML pages: search box, results, article. Each renders the object the API returns."""

import calendar
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for

from ..errors import QueryError
from .histogram import date_histogram
from .params import RELATED_LIMIT, results_context, search_request

bp = Blueprint("pages", __name__)

PAGE_LANGUAGE = "en"
FACET_TITLES = {"source": "Source", "language": "Language"}
NO_VALUE = {"source": "No source", "language": "Unknown", "month": "Undated"}
FACETS_SHOWN = 10
# Names for the language codes CLD2 gives that news is most often written in.
LANGUAGE_NAMES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian",
    "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish",
    "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "no": "Norwegian", "om": "Oromo",
    "pa": "Punjabi", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "rw": "Kinyarwanda", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "ti": "Tigrinya",
    "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "xh": "Xhosa", "yi": "Yiddish", "yo": "Yoruba", "zh": "Chinese",
    "zu": "Zulu", "und": "Undetermined",
}
SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "oldest": "Oldest"}
FILTER_PARAMS = ("source", "language", "from", "to", "story")
FILTER_LABELS = {"source": "Source", "language": "Language", "from": "From", "to": "To",
                 "story": "Story"}
PRESETS = (("week", "Past week"), ("month", "Past month"), ("year", "Past year"))


@dataclass(frozen=True)
class Preset:
    """A date range to filter to in one click, counted back from `end`."""

    label: str
    date_from: dt.date
    date_to: dt.date
    current: bool


@bp.app_template_filter("link_url")
def link_url(url: str | None) -> str | None:
    """Only http(s) addresses become links; anything else (javascript:, data:) is not one."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


@bp.app_template_filter("language_name")
def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code, code) if code else NO_VALUE["language"]


@bp.app_template_filter("lang_attribute")
def lang_attribute(code: str | None) -> str | None:
    """The `lang` attribute of text in language `code` on an English page: None where the
    page's own lang holds, "" (unknown, as HTML has it) for an undetermined language."""
    if code == PAGE_LANGUAGE:
        return None
    return "" if not code or code == "und" else code


@bp.app_template_global("search_url")
def search_url(endpoint: str = "pages.search", **changes) -> str:
    """This search's address with `changes` applied (None removes a parameter). A change of
    anything but the page goes back to page 1."""
    args = request.args.to_dict()
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(endpoint, **args)


@bp.app_template_global("page_url")
def page_url(page: int) -> str:
    return search_url(page=page)


@bp.app_template_global("article_url")
def article_url(article_id: str) -> str:
    """An article's page, carrying this search (query, filters, sort and page) so that the
    page links back to the same results and marks the same words."""
    return url_for("pages.article", article_id=article_id, **results_context(request.args))


@bp.get("/")
def home():
    return render_template("index.html", query="")


@bp.get("/search")
def search():
    query = request.args.get("q", "")
    try:
        results = current_app.extensions["searchsvc"].search(search_request(request.args))
    except QueryError as exc:
        return render_template("results.html", query=query, results=None, error=str(exc)), 400
    active = [(name, request.args[name]) for name in FILTER_PARAMS if request.args.get(name)]
    req = results.request
    today = dt.date.today()
    presets = date_presets(results.newest, today, req.date_from, req.date_to)
    return render_template(
        "results.html", query=query, results=results, error=None, active_filters=active,
        filter_labels=FILTER_LABELS, no_value=NO_VALUE,
        facets=[(name, FACET_TITLES[name], results.facets.get(name, []))
                for name in FACET_TITLES],
        facets_shown=FACETS_SHOWN,
        histogram=date_histogram(results.facets.get("month", []),
                                 results.facets.get("day", []), req.date_from, req.date_to),
        undated=sum(f.count for f in results.facets.get("month", []) if f.value is None),
        presets=presets, sort_labels=SORT_LABELS,
        counted_from=presets[0].date_to if presets[0].date_to != today else None)


@bp.get("/articles/<path:article_id>")
def article(article_id):
    kept = results_context(request.args)
    index = current_app.extensions["searchsvc"]
    found = index.article(article_id, q=kept.get("q"))
    related = index.related(article_id, limit=RELATED_LIMIT[0])
    back = url_for("pages.search", **kept) if kept.get("q") else None
    return render_template("article.html", query=kept.get("q", ""), article=found,
                           related=related, back=back)


def date_presets(newest: dt.date | None, today: dt.date, date_from: dt.date | None,
                 date_to: dt.date | None) -> list[Preset]:
    """Past week, month and year: up to today, or up to the newest match when the archive
    is older than that, so that a preset never comes up empty."""
    presets = []
    for span, label in PRESETS:
        end = today
        if newest is not None and newest < _back(today, span):
            end = newest
        start = _back(end, span) + dt.timedelta(days=1)
        presets.append(Preset(label, start, end, (date_from, date_to) == (start, end)))
    return presets


def _back(day: dt.date, span: str) -> dt.date:
    """The same day a week, a month or a year before `day` (the month's last day where it
    has no such day)."""
    if span == "week":
        return day - dt.timedelta(days=7)
    year, month = divmod(day.year * 12 + day.month - 1 - (12 if span == "year" else 1), 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
