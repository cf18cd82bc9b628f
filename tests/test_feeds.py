"""The Atom feed as a feed reader polls it, over real HTTP against `searchsvc serve`: what is
new is told by each entry's `id` and `updated`, so they must depend on the archive only,
never on when, from which host or with which spelling of the address the feed is fetched."""

import datetime as dt
import shutil
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import DATA, LiveServer
from searchsvc.indexing import update_index

ATOM = "{http://www.w3.org/2005/Atom}"
UNDATED = "seeds/bbc_style.txt"  # headline-first text: no date


def read_feed(live, params: dict, **kwargs) -> ET.Element:
    response = live.get("/search.atom", params=params, **kwargs)
    assert response.status_code == 200, response.text[:300]
    return ET.fromstring(response.content)


def entries(feed: ET.Element) -> dict[str, str]:
    """Entry link (the article page, without the query) -> entry `updated`."""
    return {entry.find(f"{ATOM}link[@rel='alternate']").get("href").split("?")[0]:
            entry.findtext(f"{ATOM}updated") for entry in feed.iter(f"{ATOM}entry")}


def atom_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """`searchsvc serve` over an undated article (BBC style) and a dated one, with the times
    before and after they were indexed."""
    seeds = tmp_path_factory.mktemp("feeds") / "seeds"
    seeds.mkdir()
    shutil.copy(DATA / "articles" / "bbc_style.txt", seeds)
    shutil.copy(DATA / "newsroom" / "harbour-strike.txt", seeds)
    before = now().replace(microsecond=0)
    update_index(seeds.parent / "index", [seeds], progress=False)
    after = now()
    live = LiveServer(seeds.parent / "index", seeds)
    yield live, seeds, before, after
    live.stop()


def test_an_undated_article_is_as_new_as_its_indexing_at_every_poll(archive):
    live, _, before, after = archive
    first = read_feed(live, {"q": "barley"})  # only the undated article has the word
    time.sleep(1.1)
    second = read_feed(live, {"q": "barley"})
    assert list(entries(first)) == [f"{live.url}/articles/{UNDATED}"]
    assert entries(first) == entries(second)
    updated = atom_time(entries(first)[f"{live.url}/articles/{UNDATED}"])
    assert before <= updated <= after
    assert first.findtext(f"{ATOM}updated") == second.findtext(f"{ATOM}updated")
    assert atom_time(first.findtext(f"{ATOM}updated")) == updated


def test_beside_dated_articles_an_undated_one_keeps_its_indexing_time(archive):
    live, _, before, after = archive
    found = entries(read_feed(live, {"q": "harbour"}))
    assert found[f"{live.url}/articles/seeds/harbour-strike.txt"] == "2024-04-11T00:00:00Z"
    assert before <= atom_time(found[f"{live.url}/articles/{UNDATED}"]) <= after


def test_an_undated_article_indexed_later_is_newer_and_the_others_stay(archive):
    live, seeds, _, _ = archive
    earlier = entries(read_feed(live, {"q": "harbour"}))
    time.sleep(1.1)
    (seeds / "harbour_late.txt").write_text(
        "Harbour pilots return to work\n\nThe harbour pilots ended their strike on Friday.\n")
    before = now().replace(microsecond=0)
    update_index(seeds.parent / "index", [seeds], progress=False)
    after = now()
    later = entries(read_feed(live, {"q": "harbour"}))
    added = f"{live.url}/articles/seeds/harbour_late.txt"
    assert before <= atom_time(later.pop(added)) <= after
    assert later == earlier


def test_an_empty_feed_is_dated_by_the_last_indexing_not_the_request(archive):
    live, _, _, _ = archive
    first = read_feed(live, {"q": "zanzibarquux"})
    time.sleep(1.1)
    second = read_feed(live, {"q": "zanzibarquux"})
    assert first.find(f"{ATOM}entry") is None
    assert first.findtext(f"{ATOM}updated") == second.findtext(f"{ATOM}updated")
    assert atom_time(first.findtext(f"{ATOM}updated")) < now() - dt.timedelta(seconds=1)


def test_feed_id_names_the_search_whatever_the_host_order_or_letter_case(archive):
    live, _, _, _ = archive
    ids = {read_feed(live, params, headers=headers).findtext(f"{ATOM}id")
           for params, headers in [
               ({"q": "harbour strike", "source": "AP"}, {}),
               ({"source": "ap", "q": "Harbour  STRIKE"}, {}),
               ({"q": "HARBOUR strike", "source": "Ap"}, {"Host": "News.Example.org"}),
               ({"q": "harbour strike", "source": "AP", "sort": "oldest", "from": ""},
                {"Host": "localhost:8080"})]}
    assert len(ids) == 1
    feed_id = ids.pop()
    assert feed_id.startswith("tag:searchsvc,")
    assert "127.0.0.1" not in feed_id and "example" not in feed_id.lower()
    # different searches, different feeds: the operators keep their case
    others = {read_feed(live, params).findtext(f"{ATOM}id") for params in [
        {"q": "harbour strike"}, {"q": "harbour AND strike", "source": "AP"},
        {"q": "harbour and strike", "source": "AP"},
        {"q": "harbour strike", "source": "AP", "to": "2024-12-31"}]}
    assert len(others) == 4 and feed_id not in others


def test_entry_ids_name_the_article_not_the_host(archive):
    live, _, _, _ = archive
    ids = [[entry.findtext(f"{ATOM}id") for entry in read_feed(
        live, {"q": "harbour"}, headers=headers).iter(f"{ATOM}entry")]
        for headers in ({}, {"Host": "news.example.org"})]
    assert ids[0] == ids[1]
    assert "tag:searchsvc,2026:articles/seeds/harbour-strike.txt" in ids[0]
    assert not any("127.0.0.1" in entry_id or "example" in entry_id for entry_id in ids[0])
