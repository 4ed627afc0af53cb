"""The command line: ``rnn-studio check | train | sweep | export | datasets``.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args) -> exit code``;
modules are imported only when their command runs, so ``check`` starts fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "check": "validate a document and print its blocks, shapes and parameter counts",
    "train": "train a document headless and write a run directory",
    "sweep": "run the document's experiment: its variants as runs in worker processes, with a trials table",
    "datasets": "list the built-in datasets",
    "export": "export a trained model (TorchScript, torch.export, ONNX, Python)",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's arguments, or only command ``only``'s (the others' modules, and the torch some of them
    import, are then not loaded: ``check`` starts in a fraction of a second)."""
    from .. import __version__

    parser = argparse.ArgumentParser(prog="rnn-studio", description="RNN Studio: design, train and export "
                                     "recurrent neural networks. Run without a command to open the studio.")
    parser.add_argument("--version", action="version", version=f"rnn-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            _command_module(name).add_arguments(command)
    return parser


def path_argument(text: str) -> str:
    """An argparse ``type`` for a path option: an empty one is refused (``--out ''`` wrote into the working
    directory, which is neither the default nor anything the user named)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path: name a file or folder, or leave the option out")
    return text


def _command_module(name: str):
    return importlib.import_module(f"{__name__}.{name}_command")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    if command == "sweep" and "--dry-run" not in argv:
        from ..worker_processes import warm_up

        warm_up()  # the workers' fork server imports torch while this process does
    parser = build_parser(only=command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(_command_module(args.command).run(args) or 0)


def is_command(argv: list[str]) -> bool:
    """True when ``argv`` asks for a command-line action rather than the window."""
    return bool(argv) and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"))
