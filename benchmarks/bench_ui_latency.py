"""Event-loop latency of the studio window while a run trains at full speed on the CPU (target: p99 < 50 ms).

A 10 ms QTimer probe measures how late the GUI thread serves it while the dashboard redraws live plots.
Run: .venv/bin/python benchmarks/bench_ui_latency.py [--seconds 20] [--example adding_lstm] [--hidden]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to measure while training")
    parser.add_argument("--example", default="adding_lstm")
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--hidden", action="store_true",
                        help="do not show the window (no painting): the baseline for the dashboard's cost")
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from test_gui_dash_support import LatencyProbe, make_window, small_example

    import torch.optim  # noqa: F401 - the first optimizer imports torch._dynamo: not part of the measurement

    tmp = tempfile.mkdtemp(prefix="rnn-studio-bench-")
    document = small_example(args.example, tmp, samples=args.samples, length=50)
    window = make_window(document)
    window.resize(1400, 900)
    if not args.hidden:
        window.show()
    controller = window.training
    config = controller.training_panel.config().to_dict()
    config.update(epochs=1000, batch_size=32)
    controller.training_panel.set_config(config)
    probe = LatencyProbe(10)
    controller.start()
    # Measure once the run is past its setup (the first step has arrived), so the loop runs at full speed.
    deadline = time.perf_counter() + 120
    while (controller.history is None or not controller.history.steps) and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    if not controller.history or not controller.history.steps:
        print("the run did not start:", controller.last_finished)
        return 1
    draws0 = sum(p.draw_count for p in controller.dashboard.panels)
    draw_time0 = controller.dashboard.draw_seconds
    steps0 = len(controller.history.steps)
    probe.start()
    started = time.perf_counter()
    loop = QEventLoop()  # the real event loop, as in the application
    QTimer.singleShot(int(args.seconds * 1000), loop.quit)
    loop.exec()
    probe.stop()
    elapsed = time.perf_counter() - started
    steps = len(controller.history.steps) - steps0
    draws = sum(p.draw_count for p in controller.dashboard.panels) - draws0
    draw_time = controller.dashboard.draw_seconds - draw_time0
    controller.shutdown()
    p50, p99 = probe.percentile(50) * 1000, probe.percentile(99) * 1000
    worst = max(probe.delays) * 1000 if probe.delays else 0.0
    print(f"example {args.example}: {steps} training steps in {elapsed:.1f} s ({steps / elapsed:.1f} steps/s), "
          f"{draws} panel redraws ({draws / elapsed:.1f}/s) taking {draw_time * 1000:.0f} ms in all")
    print(f"event-loop latency over {len(probe.delays)} probes: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {worst:.1f} ms (target p99 < 50 ms): {'OK' if p99 < 50 else 'OVER BUDGET'}")
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
