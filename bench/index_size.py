"""What each part of an index costs on disk: Whoosh's stored articles and id terms, and each
array of the analysed text (postings, frequencies, positions, term tables, lengths, columns,
vocabulary), summed over the current generation's segments; and, from a sample of stored
articles, what each stored field adds to the stored column.

Usage: python bench/index_size.py INDEX_DIR [--sample 2000]
"""

from __future__ import annotations

import argparse
import pickle
import random
import re
import sys
import zlib
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import index as whoosh_index  # noqa: E402

from searchsvc.indexing import IndexStore  # noqa: E402

_SEGMENT_FILE = re.compile(r"^MAIN_[0-9a-z]+\.(.+)$")


def parts(generation: Path) -> dict[str, int]:
    """Bytes per kind of file (the part of the name after the segment id)."""
    sizes: dict[str, int] = defaultdict(int)
    for path in generation.iterdir():
        if not path.is_file():
            continue
        match = _SEGMENT_FILE.match(path.name)
        kind = match.group(1) if match else path.name
        kind = {"_stored.col": "Whoosh: stored articles", "pst": "Whoosh: id term postings",
                "trm": "Whoosh: id term tables", "seg": "Whoosh: segment (compound)"}.get(
            re.sub(r"^_\w+_len\.col$", "lengths.col", kind), kind)
        sizes[kind] += path.stat().st_size
    return dict(sizes)


def stored_field_costs(generation: Path, sample: int) -> dict[str, float]:
    """Share of the stored column each field takes: how much smaller a sample of stored
    articles compresses (as Whoosh stores them, one zlib-compressed pickle each) without it."""
    ix = whoosh_index.open_dir(str(generation))
    with ix.reader() as reader:
        docnums = list(reader.all_doc_ids())
        chosen = random.Random(7).sample(docnums, min(sample, len(docnums)))
        documents = [reader.stored_fields(n) for n in chosen]
    whole = sum(len(zlib.compress(pickle.dumps(d, 2))) for d in documents)
    names = sorted({name for d in documents for name in d})
    return {name: 1 - sum(len(zlib.compress(pickle.dumps({k: v for k, v in d.items()
                                                           if k != name}, 2)))
                          for d in documents) / whole
            for name in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    generation = IndexStore(args.index).current()
    if generation is None:
        print(f"{args.index}: no index there", file=sys.stderr)
        return 2
    sizes = parts(generation)
    total = sum(sizes.values())
    print(f"{generation}: {total / 2**20:,.1f} MiB")
    for kind, size in sorted(sizes.items(), key=lambda item: -item[1]):
        if size >= total / 1000:
            print(f"  {size / 2**20:9,.1f} MiB  {100 * size / total:5.1f}%  {kind}")
    print("stored fields, share of the stored articles (a sample):")
    for name, share in sorted(stored_field_costs(generation, args.sample).items(),
                              key=lambda item: -item[1]):
        print(f"  {100 * share:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
