"""The `quickscale` command line."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import quickscale
from quickscale.exceptions import ExitCode, QuickscaleError
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.messages import Console

if TYPE_CHECKING:
    from quickscale.syncback.run import Options


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        Console().error(message, hint=f"Run `{self.prog} --help` to see how it is used.")
        raise SystemExit(ExitCode.USAGE)


def _init(args: argparse.Namespace, console: Console) -> int:
    from quickscale.generator.init import project_init

    result = project_init(
        name=args.name, directory=args.directory, title=args.title, console=console
    )
    console.success(f"Created {result.name.title} in {result.project_dir}")
    console.plain("")
    console.plain("Next steps:")
    console.plain(f"  cd {shlex.quote(str(result.project_dir))}")
    console.plain("  python manage.py migrate")
    console.plain("  python manage.py runserver")
    return ExitCode.OK


def _sync_back(args: argparse.Namespace, console: Console) -> int:
    from quickscale.syncback.location import project_settings_load
    from quickscale.syncback.run import syncback_run
    from quickscale.syncback.terminal import syncback_report

    options = syncback_options(args, Path(args.project_dir))
    # The project's own settings first: they say which template it syncs with, as they do
    # for the management command and the admin panel.
    project_settings_load(options.project_dir)
    return syncback_report(syncback_run(options), console, as_json=args.json)


def syncback_options(args: argparse.Namespace, project_dir: Path) -> Options:
    from quickscale.syncback.run import Options

    return Options(
        project_dir=project_dir.expanduser().resolve(),
        mode=args.mode or "preview",
        include_new=args.include_new,
        include_deleted=args.include_deleted,
        only=args.only or [],
        force=args.force,
        commit=args.commit,
    )


def syncback_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `quickscale sync-back`, shared with `manage.py quickscale_syncback`."""
    modes = parser.add_mutually_exclusive_group()
    for mode, text in (
        ("preview", "show what would change in the template (the default)"),
        ("apply", "write the changes into the template (needs a checkout)"),
        ("check", "exit 1 when the project holds changes that are not in the template"),
        ("adopt", "record the current template as the base of a project without a manifest"),
    ):
        modes.add_argument(f"--{mode}", dest="mode", action="store_const", const=mode, help=text)
    parser.add_argument(
        "--include-new", action="store_true", help="offer new templates/ and static/ files"
    )
    parser.add_argument(
        "--include-deleted", action="store_true", help="offer files deleted in the project"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="PATH", help="only these project files or folders"
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument(
        "--force", action="store_true", help="overwrite template files with uncommitted changes"
    )
    parser.add_argument(
        "--commit", action="store_true", help="commit the written files to the checkout"
    )


def _generate_service(args: argparse.Namespace, console: Console) -> int:
    from quickscale.generator.service import service_generate

    result = service_generate(name=args.name, start=Path.cwd())
    console.success(f"Created the service '{result.name}' ({result.class_name}):")
    for path in (result.module, result.test):
        console.plain(f"  {path.relative_to(result.project_dir)}")
    console.plain("")
    console.plain("Next steps:")
    if Path.cwd().resolve() != result.project_dir:
        console.plain(f"  cd {shlex.quote(str(result.project_dir))}")
    console.plain(
        f"  edit {result.module.relative_to(result.project_dir)}: its cost, schema and run()"
    )
    console.plain(f"  python manage.py test tests.test_service_{result.name}")
    return ExitCode.OK


def _template_path(args: argparse.Namespace, console: Console) -> int:
    console.plain(str(TEMPLATE_DIR))
    return ExitCode.OK


def _version(args: argparse.Namespace, console: Console) -> int:
    console.plain(quickscale.__version__)
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="quickscale",
        description="Generate production-ready Django SaaS projects.",
    )
    parser.add_argument("--version", action="version", version=quickscale.__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    init = commands.add_parser(
        "init",
        help="generate a new project",
        description=(
            "Generate a new project. NAME may be a human name such as 'my-saas-app'; "
            "the Python package name is derived from it ('my_saas_app')."
        ),
    )
    init.add_argument("name", metavar="NAME", help="the project's name")
    init.add_argument(
        "--directory",
        metavar="DIR",
        help="folder to generate into (default: ./NAME); must be new or empty",
    )
    init.add_argument("--title", help="the name shown on the site (default: derived from NAME)")
    init.add_argument(
        "--no-input", action="store_true", help="never prompt (init never prompts today)"
    )
    init.set_defaults(handler=_init)

    path = commands.add_parser(
        "template-path",
        help="print the folder of the project template",
        description=(
            "Print the project template's folder, for "
            'django-admin startproject --template="$(quickscale template-path)" NAME.'
        ),
    )
    path.set_defaults(handler=_template_path)

    sync = commands.add_parser(
        "sync-back",
        help="push changes made in a generated project back into the template",
        description=(
            "Compare a generated project with the template it came from and turn its changes "
            "into changes to the template, merged three-way with the template's own changes."
        ),
    )
    sync.add_argument(
        "project_dir", metavar="PROJECT_DIR", nargs="?", default=".", help="default: ."
    )
    syncback_arguments(sync)
    sync.set_defaults(handler=_sync_back)

    service = commands.add_parser(
        "generate-service",
        help="scaffold a paid service and its test in the project",
        description=(
            "Write <package>/ai_services/NAME.py (a registered BaseService) and "
            "tests/test_service_NAME.py into the project around the current folder."
        ),
    )
    service.add_argument("name", metavar="NAME", help="the service's name, e.g. word_count")
    service.set_defaults(handler=_generate_service)

    version = commands.add_parser("version", help="print QuickScale's version")
    version.set_defaults(handler=_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    console = Console()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, Console], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return handler(args, console)
    except QuickscaleError as error:
        console.error(error.message, hint=error.hint)
        return error.exit_code
    except KeyboardInterrupt:
        console.error("Interrupted; nothing was left behind.", hint="Run the command again.")
        return ExitCode.INTERRUPTED
    except Exception as error:  # the last line of defence: a message, not a traceback
        console.error(
            f"Unexpected error: {type(error).__name__}: {error}",
            hint="This is a bug in QuickScale; please report it with the command you ran.",
        )
        return ExitCode.ERROR


if __name__ == "__main__":
    sys.exit(main())
