"""Multi-article files of any size are read a piece at a time: bounded memory, the same
articles and ids whole or in parts, bad records reported and the rest read."""

import dataclasses
import hashlib
import json
import subprocess
import sys

import pytest

import searchsvc.articles as articles
import searchsvc.articles.streaming as streaming
from conftest import DATA, REPO
from searchsvc.articles import Article, FilePart, Problem, SourceFile, read_file, split_file
from searchsvc.errors import ArticleError

INGEST = DATA / "ingest"
OLD_LIMIT = 64 * 2**20
SENTENCES = [
    "Oil prices rose on Tuesday after producers agreed to extend output cuts into next year.",
    "The central bank left interest rates unchanged, citing slower growth in the second quarter.",
    "Wheat futures fell as rain in the plains eased fears of a poor harvest.",
    "Shares in the carmaker jumped after it reported record deliveries in Europe.",
    "The government said talks with unions over public sector pay would resume next week.",
    "Dockworkers at the port ended a three-day strike after a deal on overtime.",
    "The ministry forecast a trade surplus for the year, helped by strong exports of machinery.",
    "Analysts said the merger would create the country's largest insurer by premiums.",
]


def read_all(path, name=None, **options) -> list:
    return list(read_file(SourceFile(str(path), name or path.name, "sig"), **options))


def big_articles(count: int):
    """(id or None, record) for `count` articles of about a kilobyte; every tenth has no id."""
    for number in range(count):
        body = " ".join(SENTENCES[(number + k) % len(SENTENCES)] for k in range(11))
        record = {"title": f"Market report {number}", "body": body, "date": "2024-05-01",
                  "source": f"Wire {number % 40}", "language": "en"}
        if number % 10:
            record["id"] = f"r{number}"
        yield record.get("id"), record


@pytest.fixture(scope="module")
def big_exports(tmp_path_factory):
    """A JSON Lines export and a JSON list export, each larger than the old 64 MiB limit, and
    the ids their articles must get."""
    folder = tmp_path_factory.mktemp("big")
    lines, listed = folder / "export.jsonl", folder / "export.json"
    count = 72_000
    lines_ids, listed_ids = [], []
    with lines.open("w") as jsonl, listed.open("w") as array:
        array.write('{"status": "ok", "articles": [\n')
        for number, (key, record) in enumerate(big_articles(count), start=1):
            text = json.dumps(record)
            jsonl.write(text + "\n")
            array.write(text + (",\n" if number < count else "\n"))
            lines_ids.append(f"export.jsonl:{key or number}")
            listed_ids.append(f"export.json:{key or number}")
        array.write('], "count": %d}\n' % count)
    assert lines.stat().st_size > OLD_LIMIT and listed.stat().st_size > OLD_LIMIT
    return {lines: lines_ids, listed: listed_ids}


READER = """
import hashlib, json, sys
from searchsvc.articles import Article, SourceFile, read_file

def memory_kib(name):
    # /proc rather than getrusage: ru_maxrss keeps the peak of the forked pytest before exec.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(name + ":"))

path = sys.argv[1]
before = memory_kib("VmRSS")
ids = hashlib.sha256()
articles, problems, progress = 0, [], []
for item in read_file(SourceFile(path, path.rsplit("/", 1)[-1], "sig"), progress=progress.append):
    if isinstance(item, Article):
        articles += 1
        ids.update(item.id.encode() + b"\\n")
    else:
        problems.append(item.reason)
after = memory_kib("VmHWM")
print(json.dumps({"articles": articles, "ids": ids.hexdigest(), "problems": problems,
                  "progress_calls": len(progress), "bytes": sum(progress),
                  "growth_kib": after - before}))
"""


@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_export_larger_than_the_old_limit_is_read_whole_in_little_memory(big_exports, kind):
    path = next(p for p in big_exports if p.suffix == f".{kind}")
    run = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True,
                         text=True, cwd=REPO, check=True)
    seen = json.loads(run.stdout)
    expected = big_exports[path]
    assert (seen["articles"], seen["problems"]) == (len(expected), [])
    assert seen["ids"] == hashlib.sha256("".join(i + "\n" for i in expected).encode()).hexdigest()
    assert seen["bytes"] == path.stat().st_size and seen["progress_calls"] > 60
    # Reading the whole file into memory would grow the process by more than its 74 MB; a
    # megabyte at a time it grows by about 6 MiB.
    assert seen["growth_kib"] < 16 * 1024, seen


def mixed_json_lines() -> bytes:
    """A JSON Lines export with most of what real ones hold: records with and without ids,
    blank lines, CRLF ends, a Windows-1252 line among UTF-8 ones, and bad lines."""
    lines = []
    for number in range(1, 301):
        record = {"title": f"Harbour report {number}", "date": "2023-06-01",
                  "body": f"Ships docked: {number}. Crews rested."}
        if number % 3:
            record["id"] = f"h{number}"
        line = json.dumps(record, ensure_ascii=False).encode()
        if number % 7 == 0:
            line = b""
        elif number % 11 == 0:
            line += b"\r"
        elif number % 13 == 0:
            line = b'{"title": "broken", "body": '
        elif number % 17 == 0:
            line = ('{"id": "c%d", "title": "Café crème %d", "body": "Le café coûte 2 €."}'
                    % (number, number)).encode("cp1252")
        elif number % 19 == 0:
            line = json.dumps({"id": f"u{number}", "title": "Ünïcödé façade",
                               "body": "Zürich café ☕ naïve"}, ensure_ascii=False).encode()
        lines.append(line)
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("parts", [2, 3, 8])
@pytest.mark.parametrize("name, prefix", [("mixed.jsonl", b""), ("mixed.json", b""),
                                          ("bom.ndjson", b"\xef\xbb\xbf")])
def test_parts_give_the_articles_and_ids_of_the_whole_file(tmp_path, parts, name, prefix):
    path = tmp_path / name
    path.write_bytes(prefix + mixed_json_lines())
    source = SourceFile(str(path), name, "sig")
    whole = list(read_file(source))
    # 300 lines: 42 blank, 18 broken, 240 articles.
    assert len([i for i in whole if isinstance(i, Article)]) == 240

    pieces = split_file(source, parts)
    assert len(pieces) == parts
    data = path.read_bytes()
    assert pieces[0].start == 0 and pieces[-1].end == len(data)
    for before, after in zip(pieces, pieces[1:]):
        assert before.end == after.start and data[after.start - 1:after.start] == b"\n"
        assert after.first_line == data[:after.start].count(b"\n") + 1
    read_in_parts = []
    for piece in pieces:
        counted = []
        read_in_parts += read_file(source, part=piece, progress=counted.append)
        assert sum(counted) == piece.end - piece.start
    assert read_in_parts == whole


def test_what_cannot_be_split_is_one_part(tmp_path):
    listed = INGEST / "export.json"
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(mixed_json_lines().decode("cp1252", errors="replace").encode("utf-16"))
    for path in (listed, INGEST / "sample.sgm", utf16):
        size = path.stat().st_size
        assert split_file(SourceFile(str(path), path.name, "sig"), 4) == [FilePart(0, size)]
    assert len([i for i in read_all(utf16) if isinstance(i, Article)]) == 240
    with pytest.raises(ValueError, match="only JSON Lines files are read in parts"):
        read_all(listed, part=FilePart(0, 10))


def test_bad_lines_are_reported_and_every_other_line_read(tmp_path, monkeypatch):
    monkeypatch.setattr(articles, "MAX_FILE_BYTES", 2**20)
    path = tmp_path / "export.jsonl"
    good = '{"id": "%s", "title": "Story %s", "body": "Rain fell on the %s day."}'
    path.write_bytes(b"\n".join([
        (good % ("a", "a", "first")).encode(),
        b'{"id": "b", "title": "Half a line',
        b"[1, 2, 3]",
        ('{"id": "c", "title": "Long", "body": "%s"}' % ("x" * 2**20)).encode(),
        (good % ("d", "d", "dry")).encode("utf-8").replace(b"dry", b"caf\xe9"),
        b"[" * 100_000,
        '{"id": "e", "title": "Zürich", "body": "Snow in Zürich."}'.encode(),
        b'{"id": "f", "title": "Cut", "body": "The file stops he',
    ]))
    items = read_all(path)
    assert [(i.id, i.title, i.body) for i in items if isinstance(i, Article)] == [
        ("export.jsonl:a", "Story a", "Rain fell on the first day."),
        ("export.jsonl:d", "Story d", "Rain fell on the café day."),
        ("export.jsonl:e", "Zürich", "Snow in Zürich."),
    ]
    assert [(p.path.rsplit("/", 1)[-1], p.reason) for p in items if isinstance(p, Problem)] == [
        ("export.jsonl:2", "line 2: invalid JSON (Unterminated string starting at)"),
        ("export.jsonl:3", "item 3: not a JSON object"),
        ("export.jsonl:4", "line 4: longer than 1 MiB"),
        ("export.jsonl:6", "line 6: JSON nested too deeply"),
        ("export.jsonl:8", "line 8: invalid JSON (Unterminated string starting at), "
                           "cut off by the end of the file"),
    ]


ONE, TWO = ('{"id": "one", "title": "Canal reopens", "body": "Barges are back."}',
            '{"title": "Bridge repaired", "body": "Repairs finished early."}')


@pytest.mark.parametrize("text, problem", [
    (f'[{ONE},\n {TWO},\n {{"title": "Cut", "body": "The file stops he',
     "item 3: the file ends in the middle of the JSON (at line 3 column 45)"),
    (f'[{ONE},\n {TWO}', "the file ends in the middle of the JSON (at line 2 column 65)"),
    (f'[{ONE},\n {TWO},\n {{"title" "No colon"}}, {ONE}]',
     "item 3: invalid JSON at line 3 column 11: Expecting ':' delimiter"),
    (f'{{"status": "ok", "items": [{ONE}, {TWO}], "total": 2',
     "the file ends in the middle of the JSON (at line 1 column 173)"),
    (f'{{"items": [{ONE}, {TWO}]}} ]', "invalid JSON at line 1 column 147: Extra data"),
])
def test_a_json_list_that_breaks_off_keeps_the_articles_before(tmp_path, text, problem):
    path = tmp_path / "export.json"
    path.write_text(text)
    *found, last = read_all(path)
    assert [a.id for a in found] == ["export.json:one", "export.json:2"]
    assert last == Problem(str(path), f"{problem}; the articles before it are read")


def test_json_list_among_other_members_and_a_single_object(tmp_path, monkeypatch):
    path = tmp_path / "response.json"
    path.write_text(f'{{"status": "ok", "data": {{"page": 1}}, "results": [{ONE}, 5],'
                    f' "next": null}}')
    items = read_all(path)
    assert [getattr(i, "id", None) or i.reason for i in items] == [
        "response.json:one", "item 2: not a JSON object"]

    single = tmp_path / "single.json"
    padding = {f"note{n}": "n" * 100_000 for n in range(12)}
    single.write_text(json.dumps({**json.loads(TWO), **padding}, indent=1))
    (article,) = read_all(single)
    assert (article.id, article.title) == ("single.json", "Bridge repaired")
    monkeypatch.setattr(articles, "MAX_FILE_BYTES", 2**20)
    with pytest.raises(ArticleError, match="^the JSON object is larger than 1 MiB$"):
        read_all(single)


@pytest.mark.parametrize("name", ["export.jsonl", "export.json", "lines.json", "sample.sgm"])
def test_pieces_of_any_size_give_the_same_articles(monkeypatch, name):
    whole = read_all(INGEST / name)
    for chunk in (1, 5, 64):
        monkeypatch.setattr(streaming, "CHUNK_BYTES", chunk)
        assert read_all(INGEST / name) == whole, chunk


def test_reuters_sgml_with_crlf_or_cut_off(tmp_path, monkeypatch):
    sgml = (INGEST / "sample.sgm").read_bytes()
    stories = read_all(INGEST / "sample.sgm")
    crlf = tmp_path / "sample.sgm"
    crlf.write_bytes(sgml.replace(b"\n", b"\r\n"))
    monkeypatch.setattr(streaming, "CHUNK_BYTES", 7)
    assert read_all(crlf) == [dataclasses.replace(s, path=str(crlf)) for s in stories]

    cut = tmp_path / "cut.sgm"
    cut.write_bytes(sgml[:sgml.rindex(b"</REUTERS>") - 20])
    *found, last = read_all(cut)
    assert found == [dataclasses.replace(s, id=s.id.replace("sample", "cut"), path=str(cut))
                     for s in stories[:2]]
    assert last == Problem(str(cut), "the file ends inside its last <REUTERS> story; "
                                     "the articles before it are read")


def test_progress_comes_as_reading_goes_and_adds_up_to_the_size(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "CHUNK_BYTES", 256)
    path = tmp_path / "export.jsonl"
    path.write_bytes(mixed_json_lines())
    read = []
    for item in read_file(SourceFile(str(path), path.name, "sig"), progress=read.append):
        if isinstance(item, Article) and item.id.endswith(":h100"):
            assert 0 < sum(read) < path.stat().st_size / 2
    assert sum(read) == path.stat().st_size and len(read) > 10

    for name, content in (("image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
                          ("page.html", b"<html><body><p>Short</p></body></html>")):
        other = tmp_path / name
        other.write_bytes(content)
        read.clear()
        try:
            read_all(other, progress=read.append)
        except ArticleError:
            pass
        assert sum(read) == len(content), name
