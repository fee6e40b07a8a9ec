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

# Every module in this package that defines HELP, add_arguments and run is a subcommand,
# named after the module (latent_map -> latent-map). ORDER fixes the order in --help.
ORDER = ("train", "sample", "reconstruct", "interpolate", "encode", "evaluate", "latent-map",
         "compare", "attribute", "denoise", "traverse", "report", "score", "judge", "serve")


def discover_commands() -> dict[str, str]:
    """subcommand -> module name; modules are imported to read their flags, but their
    heavy imports (torch, ...) happen only inside run()."""
    import pkgutil

    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    found = {}
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if all(hasattr(module, attr) for attr in ("HELP", "add_arguments", "run")):
            found[name.replace("_", "-")] = module.__name__
    ordered = [c for c in ORDER if c in found] + sorted(c for c in found if c not in ORDER)
    return {c: found[c] for c in ordered}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2 (argparse's usage is long)
        self.exit(2, f"vaekit: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vaekit", description="Variational auto-encoders on PyTorch.")
    parser.add_argument("--version", action="version", version=f"vaekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in discover_commands().items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_module=module_name)
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
        if str(getattr(args, "run_dir", "")).startswith("pretrained:"):
            from vaekit.checkpoint import resolve_run_dir  # a run shipped with vaekit

            args.run_dir = str(resolve_run_dir(args.run_dir))
        return int(importlib.import_module(args._module).run(args) or 0)
    except VaekitError as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        print(f"vaekit: error: {message}", file=sys.stderr)
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
