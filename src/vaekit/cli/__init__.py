"""The `vaekit` command line: one small module per subcommand.

Each subcommand parses its flags, makes one library call and writes its outputs. Exit
codes: 0 success, 2 user error (one-line message, no traceback), 1 internal error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from vaekit import __version__
from vaekit.errors import VaekitError

# subcommand -> (module, one-line help); modules are imported only when used.
COMMANDS = {
    "train": ("vaekit.cli.train", "train a VAE (or AE) and write a run directory"),
    "sample": ("vaekit.cli.sample", "decode draws from the prior into an image grid"),
    "reconstruct": ("vaekit.cli.reconstruct", "inputs next to their reconstructions"),
    "interpolate": ("vaekit.cli.interpolate", "decode a path between two test images"),
    "encode": ("vaekit.cli.encode", "posterior means and labels of a split, to .npz"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2 (argparse's usage is long)
        self.exit(2, f"vaekit: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vaekit", description="Variational auto-encoders on PyTorch.")
    parser.add_argument("--version", action="version", version=f"vaekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error: return, don't exit
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except VaekitError as exc:
        print(f"vaekit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vaekit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # internal error: a bug in vaekit, not the user's fault
        if os.environ.get("VAEKIT_DEBUG"):
            traceback.print_exc()
        print(
            f"vaekit: internal error: {type(exc).__name__}: {exc} -- please report it "
            "(rerun with VAEKIT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
