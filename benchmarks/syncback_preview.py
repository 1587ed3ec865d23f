"""Sync-back preview (`plan_build`) over a 500-file template with 50 files changed in the
project, against `git diff --no-index --stat` over the same two trees in the same run.

The template is the real one plus generated HTML, CSS/JS and `*.py-tpl` files, committed in a
throwaway git checkout; the project is generated from it in this process. Both sides run once
(the first run, reported apart), then RUNS times interleaved; the figure is the ratio of the
medians of those (goal: at most 3). The template compile checks (`plan_validate`) are timed
apart, with a standalone engine, and left out of the figure. Peak memory comes from children
run for the purpose: one that builds the plan, one that only imports the same modules; each
one's peak RSS is read with getrusage(RUSAGE_CHILDREN) by a small launcher process of its own.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from support import PYTHON, clean_env, median

from quickscale.generator.init import project_init
from quickscale.generator.templates import TEMPLATE_DIR, template_files
from quickscale.messages import Console
from quickscale.syncback.plan import Plan, plan_build

TEMPLATE_FILES = 500  # in the template, its own files included
PY_TPL_FILES = 10
CSS_FILES = 36
JS_FILES = 24
MIN_LINES = 30
MAX_LINES = 150
LONGEST_BLOCK = 8  # lines in the longest generated snippet
PAGE_SHARE = 0.4  # of the generated HTML files: full pages extending base.html; others partials
SECTIONS = ("catalog", "billing", "docs", "team", "support", "reports", "settings", "blog")
CHANGED_HTML = 30
CHANGED_STATIC = 10
CHANGED_PY = 10
SEED = 20_240_501
RUNS = 15
RSS_RUNS = 3
PROJECT = "bench_site"
TEMPLATE_PREFIX = Path("quickscale") / "project_template"
GIT_IDENTITY = ("-c", "user.email=bench@example.com", "-c", "user.name=Bench")
# Tag libraries the template loads that a configuration-less Django does not know.
EXTRA_LIBRARIES = {
    "allauth": "allauth.templatetags.allauth",
    "django_htmx": "django_htmx.templatetags.django_htmx",
    "quickscale": "quickscale.templatetags.quickscale",
}
IMPORTS_CODE = "import git\nimport quickscale.syncback.plan\n"
PREVIEW_CODE = (
    IMPORTS_CODE
    + "import sys\nfrom pathlib import Path\n"
    + "quickscale.syncback.plan.plan_build("
    + "project_dir=Path(sys.argv[1]), template_dir=Path(sys.argv[2]))\n"
)
# Runs argv[1:], then prints its peak RSS (KiB) and wall time (s).
LAUNCHER_CODE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "elapsed = time.perf_counter() - started\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, elapsed)\n"
)
MS = 1000
KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class Timings:
    cold: float
    warm: list[float]

    @property
    def median(self) -> float:
        return median(self.warm)


# The template: a git checkout holding the real template and generated files.


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, check=True, capture_output=True)


def build_checkout(root: Path, rng: random.Random) -> Path:
    """A committed git checkout whose template holds TEMPLATE_FILES files; its template."""
    repo = root / "checkout"
    template = repo / TEMPLATE_PREFIX
    shutil.copytree(TEMPLATE_DIR, template, ignore=shutil.ignore_patterns("__pycache__"))
    own = len(template_files(PROJECT, template))
    html = TEMPLATE_FILES - own - PY_TPL_FILES - CSS_FILES - JS_FILES
    for relative, text in generated_files(html, rng):
        path = template / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    total = len(template_files(PROJECT, template))
    if total != TEMPLATE_FILES:
        raise RuntimeError(f"the template holds {total} files, not {TEMPLATE_FILES}")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "template")
    return template


def generated_files(html: int, rng: random.Random) -> Iterator[tuple[str, str]]:
    for index in range(html):
        section = SECTIONS[index % len(SECTIONS)]
        if rng.random() < PAGE_SHARE:
            yield f"templates/{section}/page_{index:03d}.html", html_page(index, section, rng)
        else:
            yield f"templates/{section}/part_{index:03d}.html", html_partial(index, section, rng)
    for index in range(CSS_FILES):
        yield f"static/css/{SECTIONS[index % len(SECTIONS)]}_{index:02d}.css", css(index, rng)
    for index in range(JS_FILES):
        yield f"static/js/{SECTIONS[index % len(SECTIONS)]}_{index:02d}.js", js(index, rng)
    for index in range(PY_TPL_FILES):
        yield f"project_name/feature_{index:02d}.py-tpl", py_tpl(index, rng)


def _lines_count(rng: random.Random) -> int:
    """A file's line budget: filling it falls short by less than the longest block."""
    return rng.randint(MIN_LINES + LONGEST_BLOCK, MAX_LINES)


def _filled(head: list[str], block: Callable[[int], list[str]], limit: int) -> list[str]:
    """`head`, then block(0), block(1), … for as long as the whole stays within `limit` lines."""
    lines, number = list(head), 0
    while len(lines) + len(more := block(number)) <= limit:
        lines.extend(more)
        number += 1
    return lines


def _html_unit(name: str, unit: int, rng: random.Random) -> list[str]:
    """A balanced snippet of markup and template tags."""
    kind = rng.randrange(5)
    if kind == 0:
        return [f'<p class="content">Paragraph {unit} of {name}: {{{{ user.email }}}}.</p>']
    if kind == 1:
        return [
            f'<ul class="list" id="{name}-{unit}">',
            "  {% for item in items %}",
            "  <li>{{ item.name }} · {{ item.price|floatformat:2 }}</li>",
            "  {% empty %}",
            "  <li>No entries yet.</li>",
            "  {% endfor %}",
            "</ul>",
        ]
    if kind == 2:
        return [
            "{% if user.is_authenticated %}",
            f'  <a class="button is-primary" href="{{% url \'home\' %}}">Go {unit}</a>',
            "{% else %}",
            '  <a class="button" href="{% url \'account_login\' %}">Sign in</a>',
            "{% endif %}",
        ]
    if kind == 3:
        return [
            '<div class="card">',
            '  <header class="card-header">',
            f'    <p class="card-header-title">{name.title()} card {unit}</p>',
            "  </header>",
            '  <div class="card-content">',
            f'    <div class="content">{{{{ summary|default:"Card {unit}" }}}}</div>',
            "  </div>",
            "</div>",
        ]
    return [f'<img src="{{% static \'img/logo.svg\' %}}" alt="{name} {unit}">']


def _html(head: list[str], tail: list[str], name: str, rng: random.Random) -> str:
    limit = _lines_count(rng) - len(tail)
    lines = _filled(head, lambda unit: _html_unit(name, unit, rng), limit)
    return "\n".join([*lines, *tail]) + "\n"


def html_page(index: int, section: str, rng: random.Random) -> str:
    head = [
        '{% extends "base.html" %}',
        "{% load static %}",
        f"{{% block title %}}{section.title()} {index}{{% endblock title %}}",
        "{% block content %}",
        f'<section class="section" id="{section}-{index}">',
        f'<h1 class="title">{section.title()} page {index}</h1>',
    ]
    tail = ["</section>", "{% endblock content %}"]
    return _html(head, tail, f"{section}-{index}", rng)


def html_partial(index: int, section: str, rng: random.Random) -> str:
    head = ["{% load static %}", f'<div class="component {section}" id="{section}-{index}">']
    return _html(head, ["</div>"], f"{section}-{index}", rng)


def css(index: int, rng: random.Random) -> str:
    def rule(number: int) -> list[str]:
        return [
            f".s{index}-rule-{number} {{",
            f"  padding: {rng.randint(0, 4)}rem {rng.randint(0, 4)}rem;",
            f"  gap: 0.{rng.randint(1, 9)}rem;",
            f"  color: #{rng.randrange(0x1000000):06x};",
            "}",
            "",
        ]

    head = [f"/* Styles for section {index}. */"]
    return "\n".join(_filled(head, rule, _lines_count(rng))) + "\n"


def js(index: int, rng: random.Random) -> str:
    def function(number: int) -> list[str]:
        return [
            f"function section{index}Step{number}(root) {{",
            f"  const items = root.querySelectorAll(\"[data-step='{number}']\");",
            f'  items.forEach((item) => item.classList.toggle("is-{rng.randrange(9)}"));',
            "  return items.length;",
            "}",
            "",
        ]

    head = [f"// Behaviour of section {index}.", '"use strict";', ""]
    return "\n".join(_filled(head, function, _lines_count(rng))) + "\n"


def py_tpl(index: int, rng: random.Random) -> str:
    def function(number: int) -> list[str]:
        return [
            "",
            "",
            f"def step_{number}(value: int) -> int:",
            f'    """Step {number} of {{{{ project_name }}}}."""',
            f'    logger.debug("step {number} of %s", SETTING)',
            f"    return value * {rng.randint(2, 9)} + {number}",
        ]

    head = [
        f'"""Feature {index} of {{{{ project_title }}}}."""',
        "",
        "from __future__ import annotations",
        "",
        "import logging",
        "",
        f'logger = logging.getLogger("{{{{ project_name }}}}.feature_{index:02d}")',
        f'SETTING = "{{{{ project_name|upper }}}}_FEATURE_{index:02d}"',
    ]
    return "\n".join(_filled(head, function, _lines_count(rng))) + "\n"


# The project: generated from the checkout, then 50 of its files changed.


def generate(template: Path, parent: Path) -> Path:
    console = Console(out=io.StringIO(), err=io.StringIO())
    result = project_init(
        name=PROJECT, directory=str(parent / PROJECT), console=console, template_dir=template
    )
    return result.project_dir


def change_files(project: Path, template: Path, rng: random.Random) -> list[str]:
    """Change CHANGED_HTML, CHANGED_STATIC and CHANGED_PY project files; their paths."""
    files = template_files(PROJECT, template)
    html = [f.target for f in files if f.target.endswith(".html")]
    static = [f.target for f in files if f.target.endswith((".css", ".js"))]
    python = [f.target for f in files if f.rendered and f.target.endswith(".py")]
    chosen = {
        **dict.fromkeys(rng.sample(html, CHANGED_HTML), change_html),
        **dict.fromkeys(rng.sample(static, CHANGED_STATIC), change_static),
        **dict.fromkeys(rng.sample(python, CHANGED_PY), change_python),
    }
    for number, (target, change) in enumerate(sorted(chosen.items())):
        path = project / target
        path.write_text(change(path.read_text(encoding="utf-8"), number), encoding="utf-8")
    return sorted(chosen)


def change_html(text: str, number: int) -> str:
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    lines.insert(middle, f'<p class="notice">Edited in the project ({number}).</p>\n')
    return "".join(lines)


def change_static(text: str, number: int) -> str:
    return text + f"/* Edited in the project ({number}). */\n"


def change_python(text: str, number: int) -> str:
    return text + f"# Edited in the project ({number}).\n# A second comment line.\n"


# Measurements.


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def git_diff_stat(template: Path, project: Path) -> None:
    result = subprocess.run(
        ["git", "diff", "--no-index", "--stat", str(template), str(project)],
        check=False,
        capture_output=True,
    )
    if result.returncode not in (0, 1):
        raise subprocess.CalledProcessError(result.returncode, result.args, stderr=result.stderr)


def measure_times(template: Path, project: Path) -> tuple[Timings, Timings]:
    """plan_build and git diff, each once cold, then RUNS times interleaved."""

    def preview() -> None:
        plan_build(project_dir=project, template_dir=template)

    def baseline() -> None:
        git_diff_stat(template, project)

    cold_preview, cold_baseline = timed(preview), timed(baseline)
    warm_preview: list[float] = []
    warm_baseline: list[float] = []
    for _ in range(RUNS):
        warm_preview.append(timed(preview))
        warm_baseline.append(timed(baseline))
    return Timings(cold_preview, warm_preview), Timings(cold_baseline, warm_baseline)


def measure_validate(template: Path, project: Path) -> tuple[float, Timings, int] | None:
    """Engine set-up time, plan_validate timings on fresh plans, files it failed; None when
    no standalone engine can be had in this process."""
    from django.conf import settings

    from quickscale.syncback.validate import plan_validate, standalone_engine

    if not settings.configured:  # startproject configures stub settings when none are
        return None
    started = time.perf_counter()
    engine = standalone_engine(EXTRA_LIBRARIES)
    setup = time.perf_counter() - started
    runs: list[float] = []
    failed = 0
    for _ in range(RUNS + 1):
        plan = plan_build(project_dir=project, template_dir=template)
        started = time.perf_counter()
        failed = len(plan_validate(plan, engine=engine))
        runs.append(time.perf_counter() - started)
    return setup, Timings(runs[0], runs[1:]), failed


def peak_rss(code: str, *args: str) -> tuple[float, float]:
    """Median wall time (s) and peak RSS (bytes) of `python -c code args` over RSS_RUNS.

    A small launcher runs it: a process exec'd from this one, grown big, would inherit this
    one's peak RSS as its own starting figure."""
    times: list[float] = []
    peaks: list[float] = []
    for _ in range(RSS_RUNS):
        launched = subprocess.run(
            [PYTHON, "-c", LAUNCHER_CODE, PYTHON, "-c", code, *args],
            env=clean_env(),
            check=True,
            capture_output=True,
            text=True,
        )
        peak, elapsed = launched.stdout.split()
        peaks.append(int(peak) * KIB)  # Linux counts ru_maxrss in KiB
        times.append(float(elapsed))
    return median(times), median(peaks)


def statuses(plan: Plan) -> str:
    counts = Counter(f"{f.status.value}/{f.change.value}" for f in plan.files)
    return ", ".join(f"{key}: {count}" for key, count in sorted(counts.items()))


def report(
    plan: Plan,
    changed: list[str],
    times: tuple[Timings, Timings],
    validate: tuple[float, Timings, int] | None,
    memory: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    preview, baseline = times
    print(
        f"template files: {TEMPLATE_FILES}; project files changed: {len(changed)} "
        f"({CHANGED_HTML} HTML, {CHANGED_STATIC} CSS/JS, {CHANGED_PY} rendered .py)"
    )
    print(f"plan: {len(plan.files)} file(s) reported — {statuses(plan)}")
    unexpected = sorted(set(changed) ^ {f.path for f in plan.files})
    if unexpected:
        print(f"  reported or changed but not both: {', '.join(unexpected)}")
    for file in plan.files:
        if file.reason:
            print(f"  {file.status.value:<13}{file.path}  ({file.reason})")
    print(
        f"plan_build (preview)             median {preview.median * MS:7.1f} ms "
        f"over {RUNS} warm runs; first run {preview.cold * MS:7.1f} ms"
    )
    print(
        f"git diff --no-index --stat       median {baseline.median * MS:7.1f} ms "
        f"over {RUNS} warm runs; first run {baseline.cold * MS:7.1f} ms"
    )
    print(f"ratio (plan_build / git diff): {preview.median / baseline.median:.2f}x (goal <= 3)")
    if validate is None:
        print("plan_validate: skipped (no configured settings for a standalone engine)")
    else:
        setup, checks, failed = validate
        print(
            f"plan_validate (not in the ratio) median {checks.median * MS:7.1f} ms "
            f"over {RUNS} runs; first run {checks.cold * MS:7.1f} ms; "
            f"engine set-up {setup * MS:.1f} ms; {failed} file(s) failed their check"
        )
    (preview_time, preview_rss), (imports_time, imports_rss) = memory
    print(
        f"peak RSS: preview child {preview_rss / MIB:6.1f} MB ({preview_time * MS:.0f} ms), "
        f"imports-only child {imports_rss / MIB:6.1f} MB ({imports_time * MS:.0f} ms), "
        f"difference {(preview_rss - imports_rss) / MIB:.1f} MB "
        f"(medians of {RSS_RUNS} runs each)"
    )


def main() -> None:
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = build_checkout(root, rng)
        project = generate(template, root / "projects")
        changed = change_files(project, template, rng)
        times = measure_times(template, project)
        plan = plan_build(project_dir=project, template_dir=template)
        validate = measure_validate(template, project)
        memory = (
            peak_rss(PREVIEW_CODE, str(project), str(template)),
            peak_rss(IMPORTS_CODE),
        )
        report(plan, changed, times, validate, memory)


if __name__ == "__main__":
    main()
