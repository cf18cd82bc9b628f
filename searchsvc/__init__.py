"""searchsvc: full-text search over a folder of news articles (Whoosh + Flask)."""

__version__ = "0.1.0"
