"""Searching an index folder: `SearchIndex.search` takes a `SearchRequest` and gives
`Results`, the one search behind the page, the API, the feeds and the CLI.

The package holds one idea a module: `querying` (text to query), `index` (the search and the
per-generation state), `stories` (collapsing and facets), `snippets` (highlighting),
`spelling` (did you mean), `suggestions` (completions) and `related` (more like this).
"""

from .index import FACETS, MAX_RELATED, MAX_SUGGESTIONS, SearchIndex
from .querying import (MAX_CLAUSES, MAX_EXPANSIONS, MAX_FUZZY_EDITS, MAX_FUZZY_TERMS,
                       MIN_PREFIX_CHARS)
from .results import (MAX_PER_PAGE, MAX_QUERY_CHARS, MAX_RESULT_WINDOW, SORTS, FacetCount, Hit,
                      Results, SearchRequest, StoredArticle)
from .spelling import MAX_CORRECTIONS

__all__ = ["FACETS", "MAX_CLAUSES", "MAX_CORRECTIONS", "MAX_EXPANSIONS", "MAX_FUZZY_EDITS",
           "MAX_FUZZY_TERMS", "MAX_PER_PAGE", "MAX_QUERY_CHARS", "MAX_RELATED",
           "MAX_RESULT_WINDOW", "MAX_SUGGESTIONS", "MIN_PREFIX_CHARS", "SORTS", "FacetCount",
           "Hit", "Results", "SearchIndex", "SearchRequest", "StoredArticle"]
