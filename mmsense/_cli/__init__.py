"""Command line: ``python -m mmsense COMMAND`` (also installed as ``mmsense``).

Each command lives in its own module here, named in ``COMMANDS``, with a
``register(subparsers)`` that adds its parser and sets ``run`` (a function of the
parsed arguments). Modules import torch and the estimators inside ``run`` only,
so that ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

# Command modules, in the order ``--help`` lists them.
COMMANDS = ("demo", "extract", "fit", "evaluate", "predict", "info")


class CommandError(Exception):
    """A user mistake: printed as one line, exit status 2, no traceback."""


# PyTorch's switch for huge-page CPU allocations of 2 MiB and more, off in torch by default
# because it can raise memory use a little. Without it, glibc maps an LSTM's training
# workspace afresh on every call (above 32 MiB at MOSI's lengths) and every training step
# page-faults through it: MMRest epochs were 1.16x slower (benchmarks/results/mmrest.md).
TORCH_HUGE_PAGES = "THP_MEM_ALLOC_ENABLE"

# Values of every --split option ("all": every row).
SPLITS = ("train", "valid", "test", "all")

# Errors that come from what the user asked for (a path, a value, a missing extra),
# shown as one line unless --traceback is given.
USER_ERRORS = (CommandError, FileNotFoundError, IsADirectoryError, PermissionError,
               ValueError, ImportError)


def add_parser(subparsers, name, **kwargs):
    """Add a command's parser with the shared formatter (every option shows its default)."""
    return subparsers.add_parser(
        name, formatter_class=argparse.ArgumentDefaultsHelpFormatter, **kwargs
    )


def build_parser():
    """The top-level parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="mmsense", description="Multimodal sentiment analysis with scikit-learn estimators.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--traceback", action="store_true",
                        help="show the full Python traceback on errors (for bug reports)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}._{name}").register(subparsers)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None):
    return f"mmsense: warning: {message}\n"


def _run_with_short_warnings(args):
    """Run the command with warnings shown as one line each (full form with --traceback)."""
    saved = warnings.formatwarning
    if not args.traceback:
        warnings.formatwarning = _one_line_warning
    try:
        args.run(args)
    finally:
        warnings.formatwarning = saved


def console_main():
    """``python -m mmsense`` and the ``mmsense`` script: :func:`main` in a process of its own.

    The command line owns its process, so it turns on PyTorch's huge-page CPU
    allocations there unless the user set ``THP_MEM_ALLOC_ENABLE`` (0 turns them off);
    a library import leaves the process's allocator alone.
    """
    os.environ.setdefault(TORCH_HUGE_PAGES, "1")
    return main()


def main(argv=None):
    """Run the command line; return the exit status (0 success, 2 user mistake)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _run_with_short_warnings(args)
    except BrokenPipeError:
        # the reader went away (e.g. `mmsense predict ... -o - | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except USER_ERRORS as exc:
        if args.traceback:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"mmsense {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0
