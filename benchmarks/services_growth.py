"""How the shipped services' work grows with their input, on the inputs an attacker would pick.

For each service and adversarial input (one unit repeated, then a tail), the CPU time of a call
as the API makes it (schema check, price, run) at the schema's maximum length and at an eighth
of it. Linear work grows about 8x; quadratic, about 64x. As a baseline measured in the same run,
the same two inputs through one `str.split()`, which is linear. The last line times the
sentence pattern the service used to have on the input that made it quadratic.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

GROWTH = 8
REPEATS = 5
INPUTS = [(".", "a"), ("!", "a"), ("a.", "a"), ("'", "a"), ("a ", ""), ("é", "")]
OLD_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


def cpu(work, *args) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.thread_time()
        work(*args)
        samples.append(time.thread_time() - started)
    return min(samples)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.conf import settings

    settings.configure()  # the services read QuickScale's defaults; they need no database
    from quickscale.apps.services import examples  # noqa: F401  (registers the services)
    from quickscale.apps.services.registry import registry

    def call(service, text):
        data = {"text": text}
        service.validate(data)
        service.cost_for(data)
        service.run(data)

    print(f"{'service':<16}{'input':<12}{'at max':>10}{'growth':>9}{'split() growth':>16}")
    ratios = []
    for name in ("text_statistics", "keywords", "sentiment"):
        service = registry.get(name)
        longest = service.input_schema["properties"]["text"]["maxLength"]
        for unit, tail in INPUTS:
            size = longest - len(tail)
            small = unit * (size // GROWTH // len(unit)) + tail
            large = unit * (size // len(unit)) + tail
            growth = cpu(call, service, large) / max(cpu(call, service, small), 1e-6)
            baseline = cpu(str.split, large) / max(cpu(str.split, small), 1e-6)
            ratios.append(growth / baseline)
            label = repr(unit + "…" + tail)
            print(
                f"{name:<16}{label:<12}{cpu(call, service, large) * 1000:>8.2f}ms"
                f"{growth:>8.1f}x{baseline:>15.1f}x"
            )
    print(
        f"growth relative to split(): median {statistics.median(ratios):.2f}, "
        f"worst {max(ratios):.2f} (1.0 is linear; quadratic would be about {GROWTH})"
    )
    small, large = "." * 1_000 + "a", "." * 8_000 + "a"
    old = cpu(OLD_SENTENCE_END.findall, large) / cpu(OLD_SENTENCE_END.findall, small)
    print(f"the former sentence pattern on '.'*n+'a': {old:.0f}x for {GROWTH}x the input")


if __name__ == "__main__":
    main()
