"""The ``rnn-studio`` entry point: a command (check, train, ...) goes to the Qt-free CLI, anything else opens
the window. Kept free of Qt imports so headless commands never load Qt."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from engine.cli import is_command, main as cli_main

        if is_command(argv):
            return cli_main(argv)
        from .app import run_app

        return run_app(argv)
    except KeyboardInterrupt:
        # Ctrl-C while starting (importing torch or Qt, reading the document): one line and the shell's
        # convention for an interrupted program, not a traceback. Once training runs, the trainer handles it.
        print("rnn-studio: interrupted (Ctrl-C)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
