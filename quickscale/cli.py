"""The `quickscale` command line."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

import quickscale
from quickscale.exceptions import ExitCode, QuickscaleError
from quickscale.generator.templates import TEMPLATE_DIR
from quickscale.messages import Console


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
