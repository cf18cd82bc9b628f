"""Access: the service changes nothing on request (no write endpoint), admin endpoints (if any
are added) need the configured token, and a per-client rate limit can be switched on."""

import pytest
import requests

from conftest import LiveServer
from robustness import WRITE_METHODS, app_routes, report_figure
from searchsvc.errors import SettingError
from searchsvc.web import create_app
from searchsvc.web.ratelimit import parse_rate

SEED_ID = "seeds/000_ab47da293521407e.txt"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_admin(route) -> bool:
    return route.rule.startswith("/admin") or "/admin/" in route.rule


def test_only_admin_routes_accept_write_methods():
    writable = [str(route) for route in app_routes()
                if route.methods - READ_METHODS and not is_admin(route)]
    assert writable == []


def test_no_route_accepts_a_write_by_default(server, pytestconfig):
    tried = 0
    for route in app_routes():
        path = route.path({name: SEED_ID for name in route.arguments})
        for method in WRITE_METHODS:
            response = requests.request(method, server.url + path, data={"q": "space"},
                                        timeout=30)
            tried += 1
            assert response.status_code in (401, 403, 404, 405), (method, path,
                                                                  response.status_code)
            message = (response.json()["error"]["message"] if path.startswith("/api/")
                       else response.text)
            assert message.strip(), (method, path)
    report_figure(pytestconfig, f"write requests refused: {tried} ({len(WRITE_METHODS)} methods "
                                f"x {tried // len(WRITE_METHODS)} routes)")


def test_admin_routes_refuse_requests_without_the_configured_token(index_dir):
    admin = [route for route in app_routes() if is_admin(route)]
    if not admin:
        pytest.skip("the app has no admin endpoint, so there is nothing to guard")
    unconfigured = create_app({"INDEX_DIR": str(index_dir)}).test_client()
    configured = create_app({"INDEX_DIR": str(index_dir), "ADMIN_TOKEN": "s3cret"}).test_client()
    for route in admin:
        path = route.path({name: SEED_ID for name in route.arguments})
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            assert unconfigured.open(path, method=method).status_code in (401, 403, 404)
            assert configured.open(path, method=method).status_code in (401, 403)
            wrong = configured.open(path, method=method, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code in (401, 403)


class FakeClock:
    """Stands in for time.monotonic so the tests move time forward without waiting."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limited_client(index_dir, limit: str, remote_addr: str = "192.0.2.1"):
    app = create_app({"INDEX_DIR": str(index_dir), "RATE_LIMIT": limit})
    clock = FakeClock()
    app.extensions["rate_limiter"].clock = clock
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return app, client, clock


def test_rate_limit_is_off_by_default(index_dir):
    app = create_app({"INDEX_DIR": str(index_dir)})
    assert "rate_limiter" not in app.extensions
    client = app.test_client()
    statuses = {client.get("/api/search", query_string={"q": "space"}).status_code
                for _ in range(300)}
    assert statuses == {200}


def test_rate_limit_refuses_a_client_over_the_limit_with_429(index_dir):
    app, client, clock = limited_client(index_dir, "5/minute")
    assert [client.get("/api/search", query_string={"q": "space"}).status_code
            for _ in range(5)] == [200] * 5
    refused = client.get("/api/search", query_string={"q": "space"})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["message"] == (
        "too many requests: the limit is 5/minute per client; try again in 12 s")
    assert refused.headers["Retry-After"] == "12"
    page = client.get("/search", query_string={"q": "space"})
    assert page.status_code == 429 and "too many requests" in page.get_data(as_text=True)

    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    assert other.get("/api/search", query_string={"q": "space"}).status_code == 200

    assert client.get("/healthz").status_code == 200  # probes are not limited
    assert client.get("/static/style.css").status_code == 200

    clock.now += 12
    assert client.get("/api/search", query_string={"q": "space"}).status_code == 200
    assert client.get("/api/search", query_string={"q": "space"}).status_code == 429
    clock.now += 60
    assert [client.get("/", query_string={"q": "space"}).status_code
            for _ in range(6)] == [200] * 5 + [429]


def test_rate_limit_setting_is_checked():
    assert parse_rate("120/minute") == (120, 60)
    assert parse_rate("10/seconds") == (10, 1)
    assert parse_rate(" 5000 / day ") == (5000, 86400)
    for bad in ("fast", "0/minute", "10/fortnight", "-1/second", "1.5/minute"):
        with pytest.raises(SettingError, match="RATE_LIMIT must look like 120/minute"):
            create_app({"INDEX_DIR": "unused", "RATE_LIMIT": bad})


def test_results_cache_setting_sizes_the_cache():
    """SEARCHSVC_RESULTS_CACHE=0 computes every search (bench/speed.py serves that way)."""
    assert create_app({"INDEX_DIR": "unused", "RESULTS_CACHE": "0"}
                      ).extensions["searchsvc"].cache.entries == 0
    assert create_app({"INDEX_DIR": "unused", "RESULTS_CACHE": "50"}
                      ).extensions["searchsvc"].cache.entries == 50
    with pytest.raises(SettingError, match="SEARCHSVC_RESULTS_CACHE must be a whole number"):
        create_app({"INDEX_DIR": "unused", "RESULTS_CACHE": "1.5"})


def test_rate_limit_over_http_counts_the_peer_not_its_headers(seeds_dir, index_dir, monkeypatch,
                                                             pytestconfig):
    monkeypatch.setenv("SEARCHSVC_RATE_LIMIT", "20/hour")
    live = LiveServer(index_dir, seeds_dir, workers=1)
    try:
        statuses = [live.get("/api/search", params={"q": "space"},
                             headers={"X-Forwarded-For": f"198.51.100.{n}",
                                      "X-Real-IP": f"198.51.100.{n}"}).status_code
                    for n in range(30)]
        refused = live.get("/api/search", params={"q": "space"})
    finally:
        live.stop()
    assert statuses == [200] * 20 + [429] * 10
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    report_figure(pytestconfig, "rate limit over HTTP: 20 of 30 requests served, 10 refused "
                                "with 429 (spoofed X-Forwarded-For ignored)")


def test_server_opens_no_control_socket(seeds_dir, index_dir, tmp_path, monkeypatch):
    """gunicorn (25.1+) would open a control socket that can stop or reload the server."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    live = LiveServer(index_dir, seeds_dir, workers=1)
    try:
        assert live.get("/healthz").status_code == 200
        assert list(tmp_path.rglob("*.ctl")) == []
    finally:
        live.stop()
