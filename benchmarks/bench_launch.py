"""Launch benchmark: from starting ``rnn-studio`` (a new process) to the first paint of its window, beside a
reference process that only imports PySide6 and paints an empty QWidget, on the same machine at the same time.

    .venv/bin/python benchmarks/bench_launch.py [--repeats 5] [--document examples/sentiment.json]
                                                [--platform offscreen|xcb|both]

Each process writes the wall-clock time of its first paint to a file (the studio: RNN_STUDIO_FIRST_PAINT,
gui/app.py) and, for the studio, the time its background import of torch finished; the benchmark subtracts
the time it started the process. One warm-up launch of each is not counted (the file cache is warm after it).
Goal (issue 12): the window appears within 1 s of launch on a warm machine.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120.0

REFERENCE = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
window = QWidget()
window.resize(1280, 720)
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched is window:
            with open(os.environ["RNN_STUDIO_FIRST_PAINT"], "w") as out:
                out.write(f"{time.time():.6f} {time.process_time():.6f}\\n")
            app.removeEventFilter(self)
        return False
spy = FirstPaint()
app.installEventFilter(spy)
window.show()
app.exec()
"""


def _platforms(choice: str) -> list[str]:
    if choice != "both":
        return [choice]
    xcb = bool(os.environ.get("DISPLAY"))
    if xcb:
        sys.path.insert(0, str(ROOT))
        from gui.app import missing_platform_libraries

        os.environ["QT_QPA_PLATFORM"] = "xcb"
        xcb = not missing_platform_libraries()
    return ["offscreen"] + (["xcb"] if xcb else [])


def launch(command: list[str], platform: str, wait_for_torch: bool) -> tuple[float, float, float | None]:
    """Starts ``command``; returns (ms to first paint, the process's CPU ms until then, ms to torch loaded or
    None), then ends the process."""
    home = Path(tempfile.mkdtemp(prefix="bench-launch-"))
    marker = home / "first_paint.txt"
    env = dict(os.environ, QT_QPA_PLATFORM=platform, PYTHONPATH=str(ROOT), RNN_STUDIO_FIRST_PAINT=str(marker),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),  # no stored layout/recovery
               XDG_CACHE_HOME=str(home / "cache"))
    # A user's Python caches the compiled modules after the first launch; a sandbox that sets this would compile
    # the studio's ~70 modules on every launch (0.3 s), which no warm machine does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.time()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        lines: list[str] = []
        while time.time() - started < TIMEOUT_S:
            if process.poll() is not None:
                raise SystemExit(f"{' '.join(command)} ended with {process.returncode} before painting:\n"
                                 + process.stderr.read().decode(errors="replace")[-2000:])
            text = marker.read_text() if marker.exists() else ""
            lines = text.splitlines() if text.endswith("\n") else []  # whole lines only
            if lines and (not wait_for_torch or len(lines) >= 2):
                break
            time.sleep(0.005)
        else:
            raise SystemExit(f"no first paint within {TIMEOUT_S:.0f} s")
        wall, cpu = (float(x) for x in lines[0].split())
        torch = (float(lines[1].split()[1]) - started) * 1000 if len(lines) >= 2 else None
        return (wall - started) * 1000, cpu * 1000, torch
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values):6.0f} ms  (min {min(values):5.0f}, max {max(values):5.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--document", default=str(ROOT / "examples" / "sentiment.json"),
                        help="also launch with this document open ('' to skip)")
    parser.add_argument("--platform", default="both", choices=("offscreen", "xcb", "both"))
    args = parser.parse_args(argv)

    studio = [sys.executable, "-m", "gui.launcher"]
    reference = [sys.executable, "-c", REFERENCE]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeats} launches each "
          "(after one warm-up)")
    for platform in _platforms(args.platform):
        cases = [("reference: PySide6 + empty QWidget", reference, False),
                 ("rnn-studio (start page)", studio, True)]
        if args.document:
            cases.append((f"rnn-studio {Path(args.document).name}", studio + [args.document], True))
        results: dict[str, list[tuple[float, float, float | None]]] = {name: [] for name, _, _ in cases}
        for name, command, torch in cases:
            launch(command, platform, torch)  # warm-up
        for _ in range(args.repeats):  # interleaved, so a change of load hits every case alike
            for name, command, torch in cases:
                results[name].append(launch(command, platform, torch))
        print(f"\n[{platform}]")
        base = statistics.median(p for p, _, _ in results[cases[0][0]])
        for name, _, _ in cases:
            paints = [p for p, _, _ in results[name]]
            cpu = statistics.median(c for _, c, _ in results[name])
            line = (f"  {name:38s} first paint {_ms(paints)}  = {statistics.median(paints) / base:4.2f} x reference;"
                    f" CPU {cpu:.0f} ms")
            torches = [t for _, _, t in results[name] if t is not None]
            if torches:
                line += f"; torch loaded (background) after {statistics.median(torches):.0f} ms"
            print(line)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
