"""Benchmark reading a big export: a JSON Lines file and a JSON list of the same articles.

Generates ~1 KB articles from Reuters-21578 sentences recombined (fixed seed; 40 sources,
dates 1985-2025, no language field, so each article's language is detected as in most
exports), then reads each file with read_file in a fresh process and prints CPU time, MB/s,
articles/s and how much the process grew; then the JSON Lines file split with split_file
and read in parallel processes, one per part.

Usage: python bench/reading.py [--articles N] [--parts N] [--corpora DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from searchsvc.articles import Article, SourceFile, find_files, read_file, split_file  # noqa: E402

DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sentences(corpora: Path) -> list[str]:
    files = find_files([corpora / "reuters21578"], excludes=["*.lc.txt", "cat-descriptions*"])
    found = []
    for source in files:
        for story in read_file(source):
            if isinstance(story, Article):
                found += (s for s in _SENTENCE.split(story.body.replace("\n\n", " "))
                          if 40 <= len(s) <= 300)
    return found


def generate(folder: Path, count: int, pool: list[str]) -> tuple[Path, Path]:
    """export.jsonl and export.json ({"articles": [...]}) holding the same `count` articles."""
    rng = random.Random(11)
    lines, listed = folder / "export.jsonl", folder / "export.json"
    with lines.open("w") as jsonl, listed.open("w") as array:
        array.write('{"articles": [\n')
        for number in range(count):
            body, size = [], 0
            while size < 950:
                body.append(rng.choice(pool))
                size += len(body[-1]) + 1
            record = {"id": f"a{number}", "title": body[0][:80], "body": " ".join(body[1:]),
                      "date": f"{rng.randint(1985, 2025)}-{rng.randint(1, 12):02}-"
                              f"{rng.randint(1, 28):02}",
                      "source": f"Wire {rng.randrange(40)}"}
            text = json.dumps(record, ensure_ascii=False)
            jsonl.write(text + "\n")
            array.write(text + (",\n" if number < count - 1 else "\n]}\n"))
    return lines, listed


def memory_kib(name: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(name + ":"))


def read_and_measure(path: str) -> dict:
    """Read one file whole (in this process) and measure it."""
    before = memory_kib("VmRSS")
    cpu, wall = time.process_time(), time.perf_counter()
    articles = problems = 0
    for item in read_file(SourceFile(path, Path(path).name, "sig")):
        if isinstance(item, Article):
            articles += 1
        else:
            problems += 1
    return {"articles": articles, "problems": problems, "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall, "growth_mib": (memory_kib("VmHWM") - before) / 1024}


def _read_part(job) -> tuple[int, float]:
    path, part = job
    cpu = time.process_time()
    count = sum(isinstance(i, Article) for i in read_file(SourceFile(path, "p", "s"), part=part))
    return count, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(read_and_measure(args.measure)))
        return 0
    if not (args.corpora / "reuters21578").is_dir():
        print(f"error: reuters21578 not found under {args.corpora} (see --corpora)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        lines, listed = folder / "export.jsonl", folder / "export.json"
        if not (lines.exists() and listed.exists()):
            started = time.perf_counter()
            generate(folder, args.articles, sentences(args.corpora))
            print(f"generated {args.articles:,} articles in {time.perf_counter() - started:.0f} s")
        print("| file | MB | articles | CPU s | MB/s (CPU) | articles/s (CPU) | wall s | "
              "process growth |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for path in (lines, listed):
            run = subprocess.run([sys.executable, __file__, "--measure", str(path)],
                                 capture_output=True, text=True, check=True)
            seen = json.loads(run.stdout)
            megabytes = path.stat().st_size / 1e6
            print(f"| {path.name} | {megabytes:,.0f} | {seen['articles']:,} | {seen['cpu']:.1f} | "
                  f"{megabytes / seen['cpu']:.1f} | {seen['articles'] / seen['cpu']:,.0f} | "
                  f"{seen['wall']:.1f} | {seen['growth_mib']:.1f} MiB |")

        started = time.perf_counter()
        parts = split_file(SourceFile(str(lines), lines.name, "sig"), args.parts)
        split_seconds = time.perf_counter() - started
        started = time.perf_counter()
        context = multiprocessing.get_context("fork")
        with context.Pool(len(parts)) as pool:
            done = pool.map(_read_part, [(str(lines), part) for part in parts])
        wall = time.perf_counter() - started
        print(f"\n{lines.name} in {len(parts)} parts: split in {split_seconds:.2f} s, read in "
              f"{wall:.1f} s wall ({sum(c for c, _ in done):,} articles, CPU per part "
              + ", ".join(f"{cpu:.1f} s" for _, cpu in done) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
