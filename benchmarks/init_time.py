"""`quickscale init` wall time against `django-admin startproject` with Django's own template.

Both run as fresh processes, interleaved, in the same run; the figure is the ratio of medians.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from support import BIN, PYTHON, median, run

RUNS = 9


def main() -> None:
    quickscale: list[float] = []
    django: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for index in range(RUNS):
            name = f"bench{index}"
            quickscale.append(
                run([PYTHON, "-m", "quickscale", "init", name, "--directory", f"qs/{name}"], root)
            )
            django.append(run([str(BIN / "django-admin"), "startproject", name], root))
    qs, dj = median(quickscale), median(django)
    print(f"quickscale init            median {qs * 1000:7.0f} ms over {RUNS} runs")
    print(f"django-admin startproject  median {dj * 1000:7.0f} ms over {RUNS} runs")
    print(f"ratio (quickscale / django-admin): {qs / dj:.2f}x")


if __name__ == "__main__":
    main()
