"""How a benchmark script (``bench/*.py``) starts and ends, like the ``kgft`` command does."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from core.errors import KgftError
from core.progress import set_quiet


def run_script(parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], object],
               argv: list[str] | None = None) -> int:
    """Parse the arguments, set up the output and run the script's body.

    Adds ``--quiet`` (no progress bars) to ``parser``; log records go to stderr at INFO.

    Args:
        parser (argparse.ArgumentParser): The script's options.
        body (Callable[[argparse.Namespace], object]): The script's work, given the parsed
            arguments (its return value is ignored).
        argv (list[str], optional): The arguments; default ``sys.argv[1:]``. (default: ``None``)

    Returns:
        int: The exit status: 0, or 1 after a :class:`~core.errors.KgftError`, reported as one
        ``error:`` line on stderr.
    """
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    set_quiet(args.quiet)
    try:
        body(args)
    except KgftError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 1
    return 0
