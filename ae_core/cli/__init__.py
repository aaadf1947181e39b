"""``python -m ae_core``: list, train, evaluate and use models from a terminal.

Errors print one line on stderr and exit with status 2. ``train`` shows a progress bar on
stderr and ends stdout with a one-line JSON summary; the other commands print JSON too.
Each module here adds its own subcommands: ``train`` (training), ``use`` (everything that
runs a saved checkpoint).
"""

from __future__ import annotations

import argparse
import sys

from ae_core.cli import train, use
from ae_core.data import DATASETS
from ae_core.models import MODELS


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status: the command's, or 2 after a ValueError or OSError (printed as one line on stderr)
        or an interrupt.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, OSError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ae_core", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("models", help="list the model types").set_defaults(handler=_models)
    commands.add_parser("datasets", help="list the datasets").set_defaults(handler=_datasets)
    train.register(commands)
    use.register(commands)
    return parser


def _models(args) -> int:
    for name, cls in MODELS.items():
        print(f"{name}\t{cls.description}")
    return 0


def _datasets(args) -> int:
    for name, text in DATASETS.items():
        print(f"{name}\t{text}")
    return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
