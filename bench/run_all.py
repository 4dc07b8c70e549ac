"""Run every bench/bench_*.py in turn, printing each one's output (``make bench``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the Makefile does; see README.md
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"==> {script.relative_to(HERE.parent)}", flush=True)
        result = subprocess.run([sys.executable, str(script)], env=env, check=False)
        if result.returncode != 0:
            failed.append(script.name)
        print(flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
