"""Run the app under gunicorn: worker processes for both cores, threads for slow clients."""

import os

from gunicorn.app.base import BaseApplication

from .web import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, app_config: dict):
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.app_config)


def serve(index_dir: str, host: str, port: int, workers: int | None = None, threads: int = 4,
          access_log: bool = False) -> None:
    """Serve until interrupted. Each worker process builds its own app (and Searchers)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or max(2, os.cpu_count() or 1),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
    }
    _Gunicorn(options, {"INDEX_DIR": index_dir}).run()
