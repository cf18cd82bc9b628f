"""The main loop of a load process (tests/load_process.py, tests/balancer_load.py): worker
threads send requests until a stop file appears, while the load's summary is written to a
progress file for the test to read; the final summary is written at the end."""

import json
import threading
import time
from pathlib import Path


def drive(load, threads: int, stop_file: str, progress_file: str, summary_file: str) -> None:
    """Run `load.run(stop)` in `threads` threads until `stop_file` exists; `load.summary()`
    is written to `progress_file` as it goes and to `summary_file` at the end."""
    stop = Path(stop_file)
    workers = [threading.Thread(target=load.run, args=(stop,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while not stop.exists():
        Path(progress_file + ".tmp").write_text(json.dumps(load.summary()))
        Path(progress_file + ".tmp").replace(progress_file)
        time.sleep(0.2)
    for worker in workers:
        worker.join()
    Path(summary_file).write_text(json.dumps(load.summary()))
