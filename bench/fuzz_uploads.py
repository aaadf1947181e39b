"""What refusing a crafted upload costs: time to the one-line answer and memory, per case.

    PYTHONPATH=. python bench/fuzz_uploads.py [--isolate N]

Runs every case of tests/fuzz_files.py through its loader (the library call the page makes) in
this process and prints one JSON line per case (seconds to refuse, traced Python/numpy peak),
then a summary: cases, refused with one line, slowest refusal, largest traced peak and the
process's peak resident memory. ``--isolate N`` also runs the N costliest cases each in a fresh
process and prints that process's peak resident memory beside one that only imports (what one
upload costs the web process, torch included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from tests.fuzz_files import ALL, Case


def feed(case: Case, filename: str, data: bytes) -> str:
    from ae_core.apps.recommender import index_ratings, read_ratings
    from ae_core.checkpoints import import_zip
    from ae_core.data import store_upload
    from ae_core.data.images import read_image
    from ae_core.system.paths import upload_dir, user_models_dir

    try:
        if case.kind == "model_zip":
            import_zip(data, user_models_dir() / "upload", owner="bench")
        elif case.kind == "dataset":
            store_upload(data, filename, upload_dir("bench"))
        elif case.kind == "ratings":
            index_ratings(read_ratings(data, filename))
        else:
            read_image(data, name=filename)
    except ValueError as exc:
        return str(exc)
    return ""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(case: Case, root: Path) -> dict:
    from tests.fuzz_files import server_files

    os.environ["LATENT_LAB_HOME"] = str(root / case.name / "home")
    filename, data = case.make(server_files(root / case.name))
    tracemalloc.start()
    start = time.perf_counter()
    message = feed(case, filename, data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "case": case.name,
        "refused": bool(message) and "\n" not in message,
        "seconds": round(seconds, 4),
        "traced_peak_mb": round(peak / 1e6, 1),
        "message": message[:120],
    }


def isolated(name: str | None) -> float:
    """Peak resident memory (MB) of a fresh process that imports the loaders and refuses case
    ``name`` (None: imports only)."""
    run = f"one(next(c for c in ALL if c.name == {name!r}), pathlib.Path(tempfile.mkdtemp()));" if name else ""
    code = (
        "import resource, tempfile, pathlib, torch, ae_core.checkpoints, ae_core.data, ae_core.apps.recommender;"
        "from bench.fuzz_uploads import one; from tests.fuzz_files import ALL;"
        f"{run}print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--isolate", type=int, default=0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        one(ALL[0], Path(scratch) / "warm-up")  # imports and first-call costs, not counted
        for case in ALL:
            rows.append(one(case, Path(scratch)))
            print(json.dumps(rows[-1]))
    slowest = max(rows, key=lambda r: r["seconds"])
    largest = max(rows, key=lambda r: r["traced_peak_mb"])
    summary = {
        "cases": len(rows),
        "refused_in_one_line": sum(r["refused"] for r in rows),
        "slowest_refusal": [slowest["case"], slowest["seconds"]],
        "largest_traced_peak_mb": [largest["case"], largest["traced_peak_mb"]],
        "process_peak_rss_mb": round(peak_rss_mb()),
    }
    if args.isolate:
        costly = sorted(rows, key=lambda r: -r["traced_peak_mb"])[: args.isolate]
        summary["fresh_process_peak_rss_mb"] = {"imports only": round(isolated(None))}
        for row in costly:
            summary["fresh_process_peak_rss_mb"][row["case"]] = round(isolated(row["case"]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
