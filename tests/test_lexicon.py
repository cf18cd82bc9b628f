"""The sorted word tables every term, vocabulary and completion lookup goes through
(searchsvc.lexicon): looked up as a sorted list of the same words is."""

import bisect
import random

from searchsvc.lexicon import Lexicon


def test_a_lexicon_finds_what_a_sorted_list_finds(tmp_path):
    """Words of 1 to 12 bytes, many sharing their first 8 (`internat...`), some of several
    bytes a letter; looked up as saved and as reopened from disk, with probes that are no
    word (a NUL, as the spelling automaton sends)."""
    draw = random.Random(7)
    letters = ["a", "b", "n", "t", "é", "ж"]
    heads = ["", "internat", "intern", "governme", "a"]
    words = sorted({(draw.choice(heads) + "".join(draw.choice(letters)
                                                  for _ in range(draw.randint(0, 5))))
                    .encode("utf-8") for _ in range(3000)} - {b""})
    Lexicon.build(words).save(tmp_path / "words")
    probes = words + [word + b"a" for word in words[::7]] + [word[:-1] for word in words[::5]] \
        + [b"", b"\xff", b"internat", b"internata", b"intern\xc3"] \
        + [word[:3] + b"\0" for word in words[::11]]  # a spelling automaton's probes
    for lexicon in (Lexicon.build(words), Lexicon.open(tmp_path / "words")):
        assert len(lexicon) == len(words)
        assert lexicon.words() == words
        for probe in probes:
            first = bisect.bisect_left(words, probe)
            assert lexicon.first_from(probe) == first, probe
            assert lexicon.find(probe) == (first if probe in words else -1), probe
            start, end = lexicon.prefix_range(probe)
            assert lexicon.words(start, end) == [w for w in words if w.startswith(probe)]
