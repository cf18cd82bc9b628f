"""A per-client request limit, off unless configured (RATE_LIMIT, e.g. "120/minute").

Each client address gets a token bucket: bursts up to the limit pass, then requests are refused
with 429 and Retry-After until tokens flow back. The buckets live in each server process, so
with several gunicorn workers a client may get up to the limit once per worker."""

import math
import threading
import time

from flask import Flask, request

from ..errors import SettingError
from .errors import error_response

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
EXEMPT_ENDPOINTS = ("api.healthz", "static")  # health probes, and the files every page loads
PRUNE_AT_CLIENTS = 10_000


def parse_rate(text: str) -> tuple[int, int]:
    """"120/minute" -> (120, 60): requests allowed, and the period in seconds."""
    count, _, unit = str(text).strip().partition("/")
    period = PERIODS.get(unit.strip().lower().removesuffix("s"))
    if not count.strip().isdigit() or int(count) < 1 or period is None:
        raise SettingError(f"SEARCHSVC_RATE_LIMIT must look like 120/minute (a number of "
                           f"requests per {', '.join(PERIODS)}), not {text!r}")
    return int(count), period


class RateLimiter:
    """Token buckets by client: `wait(client)` is 0 when a request may pass (and takes a
    token), else the seconds until one may."""

    def __init__(self, limit: int, period: float, clock=time.monotonic):
        self.capacity = limit
        self.per_second = limit / period
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        now = self.clock()
        with self._lock:
            if len(self._buckets) >= PRUNE_AT_CLIENTS:
                self._prune(now)
            tokens, then = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.per_second)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.per_second

    def _prune(self, now: float) -> None:
        """Forget clients whose buckets have filled up again: they are as good as new."""
        self._buckets = {client: (tokens, then) for client, (tokens, then) in self._buckets.items()
                         if tokens + (now - then) * self.per_second < self.capacity}


def init_app(app: Flask) -> None:
    """Refuse requests over the configured rate with 429; do nothing when RATE_LIMIT is unset."""
    setting = app.config.get("RATE_LIMIT")
    if not setting:
        return
    limiter = RateLimiter(*parse_rate(setting))
    app.extensions["rate_limiter"] = limiter

    @app.before_request
    def limit_rate():
        if request.endpoint in EXEMPT_ENDPOINTS:
            return
        wait = limiter.wait(request.remote_addr or "unknown")
        if wait:
            seconds = math.ceil(wait)
            response = app.make_response(error_response(
                429, "too_many_requests",
                f"too many requests: the limit is {setting} per client; try again in {seconds} s"))
            response.headers["Retry-After"] = str(seconds)
            return response
