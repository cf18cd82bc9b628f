"""The `searchsvc` command as a user runs it: output and exit statuses."""

import os
import shutil

import pytest

from conftest import DATA, REPO, run_cli


def make_site(tmp_path):
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return tmp_path


def test_index_defaults_to_seeds_and_reports_counts(tmp_path):
    site = make_site(tmp_path)
    result = run_cli("index", cwd=site)
    assert result.returncode == 0, result.stderr
    assert "1 articles in the index (1 indexed, 0 removed" in result.stdout
    assert "files: 1 added, 0 changed, 0 removed, 0 unchanged, 0 skipped" in result.stdout
    assert (site / "index" / "CURRENT").is_file()

    again = run_cli("index", cwd=site)
    assert again.returncode == 0
    assert "files: 0 added, 0 changed, 0 removed, 1 unchanged, 0 skipped" in again.stdout


def test_index_path_from_environment(tmp_path):
    site = make_site(tmp_path)
    result = run_cli("index", "seeds", cwd=site, env={**__import__("os").environ,
                                                       "SEARCHSVC_INDEX": str(tmp_path / "elsewhere")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere" / "CURRENT").is_file()


def test_index_reports_skipped_files_and_exits_1(tmp_path):
    site = make_site(tmp_path)
    (site / "seeds" / "empty.txt").write_text("")
    (site / "seeds" / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    result = run_cli("index", cwd=site)
    assert result.returncode == 1
    assert "1 articles in the index" in result.stdout
    assert "empty.txt: empty file" in result.stdout
    assert "binary.txt: binary file, not text" in result.stdout


def test_index_missing_path_is_an_error(tmp_path):
    result = run_cli("index", tmp_path / "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_search_prints_ranked_results_with_snippets(tmp_path):
    site = make_site(tmp_path)
    run_cli("index", cwd=site)
    result = run_cli("search", "Gaganyaan", cwd=site)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 results in ")
    assert "1. Russia and India are set to expand their cooperation in space exploration" in lines
    assert "   2025-03-01 · TASS · seeds/000_ab47da293521407e.txt" in lines
    assert any("ambitious Gaganyaan mission" in line for line in lines)


def test_search_without_match_exits_1(tmp_path):
    site = make_site(tmp_path)
    run_cli("index", cwd=site)
    result = run_cli("search", "zanzibarquux", cwd=site)
    assert result.returncode == 1
    assert result.stdout.startswith("0 results in ")


def test_search_bad_query_exits_2_with_message(tmp_path):
    site = make_site(tmp_path)
    run_cli("index", cwd=site)
    result = run_cli("search", "*", cwd=site)
    assert result.returncode == 2
    assert "Error: bad query: a bare * would match every article" in result.stderr


def test_search_without_index_says_how_to_build_it(tmp_path):
    result = run_cli("search", "space", "--index", tmp_path / "none", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `searchsvc index` to build it" in result.stderr


def test_search_suggests_a_spelling(tmp_path):
    site = make_site(tmp_path)
    run_cli("index", cwd=site)
    result = run_cli("search", "cosmonout", cwd=site)
    assert "Did you mean: cosmonaut" in result.stdout


@pytest.mark.parametrize("setting, value, message", [
    ("SEARCHSVC_RESULTS_CACHE", "lots", "SEARCHSVC_RESULTS_CACHE must be a whole number"),
    ("SEARCHSVC_RESULTS_CACHE", "-1", "SEARCHSVC_RESULTS_CACHE must be a whole number"),
    ("SEARCHSVC_RATE_LIMIT", "fast", "SEARCHSVC_RATE_LIMIT must look like 120/minute"),
])
def test_serve_refuses_a_bad_setting_with_its_message(tmp_path, setting, value, message):
    site = make_site(tmp_path)
    result = run_cli("serve", "--port", "1", cwd=site, env={**os.environ, setting: value})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_builds_a_missing_index_first(tmp_path):
    from conftest import LiveServer

    site = make_site(tmp_path)
    shutil.copy(DATA / "articles" / "bbc_style.txt", site / "seeds")
    live = LiveServer(site / "index", site / "seeds")
    try:
        assert live.get("/healthz").json()["articles"] == 2
        assert live.get("/api/search", params={"q": "barley"}).json()["total"] == 1
    finally:
        live.stop()


def test_serve_serves_an_existing_index_without_a_seeds_folder(tmp_path):
    """An index built elsewhere is served from any folder: no seeds folder is needed."""
    from conftest import LiveServer

    site = make_site(tmp_path)
    assert run_cli("index", "--index", site / "index", site / "seeds").returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    live = LiveServer(site / "index", None, cwd=elsewhere)
    try:
        assert live.get("/healthz").json()["articles"] == 1
        assert live.get("/api/search", params={"q": "Gaganyaan"}).json()["total"] == 1
    finally:
        live.stop()


def test_serve_without_an_index_or_seeds_says_what_to_do(tmp_path):
    result = run_cli("serve", "--index", tmp_path / "index", "--port", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert "no index at" in result.stderr and "searchsvc index" in result.stderr
    assert "Traceback" not in result.stderr
