"""What the template source map costs: render time with it on, as a ratio to off.

Measured in-process, inside a generated project (a child process with the project's settings and
DEBUG on, as in development), with Django's test Client on the landing, sign-up and log-in pages.
"On" is the project's shipped DEBUG loaders: the cached loader around SourceMapLoader and the app
directories loader. "Off", the baseline, is the same loaders with Django's filesystem loader in
place of SourceMapLoader, also inside the cached loader. Each request is timed whole and for the
template rendering alone, warm (templates already in the cached loader) and cold (the cache
emptied before each request, as after a template edit in development), on and off taking
turns request by request so that both meet the same machine load. Goal: on / off ≤ 1.5.

Then, in a child with DEBUG off: the engine's loaders, to show that SourceMapLoader is not
installed at all (exactly no overhead), and that no page carries data-qs-src.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support import PYTHON, clean_env, django_setup, median, run

PROJECT = "renderbench"
PAGES = ("/", "/accounts/signup/", "/accounts/login/")
WARM_REQUESTS = 300  # per page and variant
COLD_REQUESTS = 100  # per page and variant
RATIO_GOAL = 1.5
HOST = "127.0.0.1"
SOURCE_MAP_LOADER = "quickscale.visual.loader.SourceMapLoader"
FILESYSTEM_LOADER = "django.template.loaders.filesystem.Loader"
MARK = b"data-qs-src="
Sample = tuple[float, float]  # seconds: the whole request, the template rendering in it
PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def without_source_map(loaders: list[Any]) -> list[Any]:
    """The loader list with the filesystem loader wherever SourceMapLoader is."""
    swapped: list[Any] = []
    for loader in loaders:
        if loader == SOURCE_MAP_LOADER:
            swapped.append(FILESYSTEM_LOADER)
        elif isinstance(loader, tuple | list) and len(loader) == 2:
            swapped.append((loader[0], without_source_map(list(loader[1]))))
        else:
            swapped.append(loader)
    return swapped


def loader_paths(loaders: list[Any]) -> list[str]:
    """Class paths of an engine's loader objects, nested loaders after their wrapper."""
    paths: list[str] = []
    for loader in loaders:
        paths.append(f"{type(loader).__module__}.{type(loader).__qualname__}")
        paths.extend(loader_paths(getattr(loader, "loaders", [])))
    return paths


class RenderClock:
    """Time spent in the outermost Template.render of Django's template backend."""

    def __init__(self) -> None:
        from django.template.backends.django import Template

        self.spent = 0.0
        self._depth = 0
        original: Callable[..., Any] = Template.render
        clock = self

        def render(self: Any, context: Any = None, request: Any = None) -> Any:
            clock._depth += 1
            started = time.perf_counter()
            try:
                return original(self, context, request)
            finally:
                clock._depth -= 1
                if clock._depth == 0:
                    clock.spent += time.perf_counter() - started

        Template.render = render  # type: ignore[method-assign]

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


def backends(variants: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A Django template backend for each TEMPLATES setting, built as Django builds its own."""
    from django.template.utils import EngineHandler

    return {name: EngineHandler(templates)["django"] for name, templates in variants.items()}


@contextmanager
def using(backend: Any) -> Iterator[None]:
    """Requests render with `backend` (its cached loader kept from one use to the next)."""
    from django.template import engines

    engines._engines["django"] = backend  # type: ignore[attr-defined]
    yield


def measure(client: Any, clock: RenderClock, path: str, backend: Any, cold: bool) -> Sample:
    if cold:
        for loader in backend.engine.template_loaders:
            loader.reset()
    with using(backend):
        clock.take()
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise AssertionError(f"{path} answered {response.status_code}")
    return elapsed, clock.take()


def child_debug_on() -> None:
    from django.conf import settings
    from django.test import Client

    shipped = copy.deepcopy(settings.TEMPLATES)
    plain = copy.deepcopy(settings.TEMPLATES)
    plain[0]["OPTIONS"]["loaders"] = without_source_map(plain[0]["OPTIONS"]["loaders"])
    engines = backends({"on": shipped, "off": plain})
    for name, backend in engines.items():
        print(f"map {name:3s} loaders: {' > '.join(loader_paths(backend.engine.template_loaders))}")
    client = Client(HTTP_HOST=HOST)
    clock = RenderClock()
    # samples[page][variant][kind]: one (request, render) time per request. On and off take
    # turns request by request, each going first every other time, so both meet the same load.
    samples: dict[str, dict[str, dict[str, list[Sample]]]] = {
        page: {name: {"warm": [], "cold": []} for name in engines} for page in PAGES
    }
    sizes: dict[str, dict[str, tuple[int, int]]] = {page: {} for page in PAGES}
    for page in PAGES:
        for name, backend in engines.items():
            with using(backend):
                body = client.get(page).content  # fills the cached loader
            sizes[page][name] = (len(body), body.count(MARK))
        for kind, requests in (("warm", WARM_REQUESTS), ("cold", COLD_REQUESTS)):
            for turn in range(requests):
                order = list(engines) if turn % 2 == 0 else list(reversed(engines))
                for name in order:
                    sample = measure(client, clock, page, engines[name], kind == "cold")
                    samples[page][name][kind].append(sample)
    print(f"median per request; warm: {WARM_REQUESTS} requests each, cold: {COLD_REQUESTS}")
    for page in PAGES:
        (on_size, on_marks), (off_size, off_marks) = sizes[page]["on"], sizes[page]["off"]
        print(
            f"{page}: HTML {on_size} bytes with the map ({on_marks} data-qs-src), "
            f"{off_size} without ({off_marks}); size ratio {on_size / off_size:.2f}"
        )
        for kind in ("warm", "cold"):
            on, off = samples[page]["on"][kind], samples[page]["off"][kind]
            request_on, request_off = median([s[0] for s in on]), median([s[0] for s in off])
            render_on, render_off = median([s[1] for s in on]), median([s[1] for s in off])
            print(
                f"  {kind}: request {request_on * 1000:6.2f} ms on / {request_off * 1000:6.2f} "
                f"ms off = {request_on / request_off:.2f}x; template render "
                f"{render_on * 1000:6.2f} / {render_off * 1000:6.2f} ms = "
                f"{render_on / render_off:.2f}x (goal ≤ {RATIO_GOAL})"
            )


def child_debug_off() -> None:
    from django.conf import settings
    from django.template import engines
    from django.test import Client
    from django.test.utils import override_settings

    loaders: list[str] = []
    for engine in engines.all():
        inner = getattr(engine, "engine", None)
        if inner is not None:
            loaders.extend(loader_paths(inner.template_loaders))
    print(f"DEBUG={settings.DEBUG}: loaders: {' > '.join(loaders)}")
    print(f"  SourceMapLoader installed: {SOURCE_MAP_LOADER in loaders}")
    apps = settings.INSTALLED_APPS
    print(f"  django_browser_reload installed: {'django_browser_reload' in apps}")
    client = Client(HTTP_HOST=HOST)
    # No collectstatic here: the manifest storage of production would refuse {% static %}, and
    # WhiteNoise would warn that STATIC_ROOT does not exist.
    warnings.filterwarnings("ignore", message="No directory at")
    with override_settings(STORAGES=PLAIN_STORAGES):
        for page in PAGES:
            response = client.get(page)
            marks = response.content.count(MARK)
            print(f"  {page}: {response.status_code}, data-qs-src attributes: {marks}")
    print(f"  quickscale.visual.loader imported: {'quickscale.visual.loader' in sys.modules}")


def child(project: Path, name: str, mode: str) -> None:
    django_setup(project, name)
    if mode == "on":
        child_debug_on()
    else:
        child_debug_off()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / PROJECT
        run([PYTHON, "-m", "quickscale", "init", PROJECT, "--directory", str(project)], root)
        run([PYTHON, "manage.py", "migrate", "--noinput"], project, clean_env(DEBUG="True"))
        script = str(Path(__file__).resolve())
        environments = {
            "on": clean_env(DEBUG="True"),
            "off": clean_env(
                DEBUG="False",
                ALLOWED_HOSTS=HOST,
                BEHIND_HTTPS_PROXY="False",
                SECURE_SSL_REDIRECT="False",
            ),
        }
        for mode, env in environments.items():
            command = [PYTHON, script, "child", str(project), PROJECT, mode]
            sys.stdout.flush()
            subprocess.run(command, cwd=project, env=env, check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        main()
