"""Repeated searches are answered from the results cache, never with stale results."""

from conftest import run_cli
from searchsvc.indexing import update_index
from searchsvc.searching import SearchIndex, SearchRequest


def write_seed(folder, name, title, body):
    (folder / name).write_text(f"date 2024-03-01\ntitle {title}\n\n{body}\n\nWire\n")


def harbour_index(tmp_path):
    """A seeds folder with one harbour story, indexed; (seeds folder, SearchIndex)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_seed(seeds, "a.txt", "Harbour reopens", "The harbour reopened to ships.")
    update_index(tmp_path / "index", [seeds], progress=False)
    return seeds, SearchIndex(tmp_path / "index")


def test_a_repeated_search_is_answered_from_the_cache(tmp_path):
    _, index = harbour_index(tmp_path)
    first = index.search(SearchRequest("harbour"))
    again = index.search(SearchRequest("harbour"))
    assert again.hits is first.hits and again.facets is first.facets
    assert [h.id for h in again.hits] == ["seeds/a.txt"]
    other_page = index.search(SearchRequest("harbour", per_page=5))
    assert other_page.hits is not first.hits


def test_a_new_index_generation_is_searched_afresh(tmp_path):
    seeds, index = harbour_index(tmp_path)
    assert index.search(SearchRequest("harbour")).total == 1

    write_seed(seeds, "b.txt", "Harbour closes", "Storms closed the harbour.")
    assert run_cli("index", seeds, "--index", tmp_path / "index").returncode == 0
    assert sorted(h.id for h in index.search(SearchRequest("harbour")).hits) == [
        "seeds/a.txt", "seeds/b.txt"]


def test_the_cache_keeps_the_latest_searches_only(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_seed(seeds, "a.txt", "Harbour reopens", "The harbour reopened to ships at dawn.")
    update_index(tmp_path / "index", [seeds], progress=False)
    index = SearchIndex(tmp_path / "index", cache_entries=2)
    first = index.search(SearchRequest("harbour"))
    index.search(SearchRequest("ships"))
    assert index.search(SearchRequest("harbour")).hits is first.hits
    index.search(SearchRequest("dawn"))
    index.search(SearchRequest("ships"))  # "harbour" is now the least recently used
    index.search(SearchRequest("reopened"))
    assert index.search(SearchRequest("harbour")).hits is not first.hits

    uncached = SearchIndex(tmp_path / "index", cache_entries=0)
    assert uncached.search(SearchRequest("harbour")).hits is not uncached.search(
        SearchRequest("harbour")).hits
