"""Reading the seed format and headline-first plain text."""

from pathlib import Path

import pytest

from conftest import REPO
from searchsvc.articles import SourceFile, find_files, read_file
from searchsvc.articles.model import headline_from


def read_one(path: Path, id: str = "a.txt"):
    (article,) = read_file(SourceFile(str(path), id, "sig"))
    return article


def test_seed_article_fields():
    (source,) = find_files([REPO / "seeds"])
    assert source.id == "seeds/000_ab47da293521407e.txt"
    (article,) = read_file(source)
    assert article.title == "Russia and India are set to expand their cooperation in space exploration"
    assert str(article.date) == "2025-03-01"
    assert article.source == "TASS"
    assert article.language == "en"
    assert article.body.startswith("Russia and India are set to expand")
    assert article.body.endswith("their expanding space cooperation.")
    assert article.body.count("\n\n") == 7


def test_seed_headers_with_stray_spaces_and_extra_keys(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("  date   2024-01-02  \n title  Port strike ends \nsource: AP\n"
                    "url https://example.com/a\nlanguage en-GB\n\nDockers return to work.\n\n"
                    "The strike lasted a week.\n\nAP\n")
    article = read_one(path)
    assert (article.title, str(article.date), article.source, article.url, article.language) == \
        ("Port strike ends", "2024-01-02", "AP", "https://example.com/a", "en")
    assert article.body == "Dockers return to work.\n\nThe strike lasted a week."


def test_headline_first_text(tmp_path):
    path = tmp_path / "b.txt"
    path.write_text("Ad sales boost Time Warner profit\n\nQuarterly profits jumped 76%.\n\n"
                    "The firm benefited from sales.\n")
    article = read_one(path)
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.body == "Quarterly profits jumped 76%.\n\nThe firm benefited from sales."
    assert article.source is None and article.date is None


@pytest.mark.parametrize("body, headline", [
    ("Short lead. More text.", "Short lead"),
    ("Russia and India are set to expand their cooperation in space exploration, as announced "
     "by a cosmonaut during the forum.", "Russia and India are set to expand their cooperation in space exploration"),
    ("A" + " very" * 40 + " long sentence without commas.", "A" + " very" * 17 + "…"),
])
def test_headline_derived_from_lead(body, headline):
    assert headline_from(body) == headline
