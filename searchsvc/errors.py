"""The errors a user can cause, one class each, mapped once to HTTP statuses and CLI exits."""


class SearchsvcError(Exception):
    """Base class: raised for any problem the user can act on; the message says what to do."""


class ArticleError(SearchsvcError):
    """Raised when a file cannot be read as one or more articles (the message is the reason)."""


class FolderSettingError(SearchsvcError):
    """Raised when what a folder is said to hold (its articles' source, language or time
    zone, given to `searchsvc index` or read from its .searchsvc.json) cannot be used."""


class QueryError(SearchsvcError):
    """Raised when a query or a search parameter is malformed or out of bounds."""


class ArticleNotFound(SearchsvcError):
    """Raised when no indexed article has the requested id."""


class IndexMissing(SearchsvcError):
    """Raised when there is no usable index at the configured path."""


class IndexWriteError(SearchsvcError):
    """Raised when a new index generation cannot be written (a full disk, say); the index in
    use is left as it was."""


class IndexBusy(SearchsvcError):
    """Raised when another indexing run holds the index lock."""


class SettingError(SearchsvcError):
    """Raised when a SEARCHSVC_* setting cannot be understood."""


class ReplicationError(SearchsvcError):
    """Raised when a generation cannot be published, or fetched from the publisher whole;
    the replica keeps serving the generation it has."""


class ShardUnavailable(SearchsvcError):
    """Raised when a shard of a sharded index cannot answer (its worker died or the cluster
    cannot be reached); nothing is answered from the other shards alone."""
