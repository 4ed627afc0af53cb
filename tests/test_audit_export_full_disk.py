"""An export that the file system refuses part-way (a full disk, a file size limit): one line naming the file,
exit 2, and an earlier export at that path kept whole. torch's writers truncated the old file first (TorchScript
and the Python export left half a file), and torch.export's writer aborted the whole process (std::terminate,
a C++ trace) when a write failed. The limit is the system's own: RLIMIT_FSIZE in a child process."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_export_errors import copy_example, save_weights

resource = pytest.importorskip("resource")
ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, signal, sys
from pathlib import Path
from engine.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
doc, weights, folder = sys.argv[1:4]
found = {}
for fmt, suffix in [("torchscript", "pt"), ("pt2", "pt2"), ("python", "py")]:
    out = Path(folder) / f"m.{suffix}"
    assert main(["export", doc, "-w", weights, "-f", fmt, "-o", str(out)]) == 0
    files = sorted(Path(folder).iterdir())
    before = {p.name: p.read_bytes() for p in files}
    resource.setrlimit(resource.RLIMIT_FSIZE, (min(len(b) for b in before.values()) // 2, resource.RLIM_INFINITY))
    code = main(["export", doc, "-w", weights, "-f", fmt, "-o", str(out)])
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    after = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}
    found[fmt] = [code, after == before]
    for p in Path(folder).iterdir():
        p.unlink()
print("RESULT " + json.dumps(found))
"""


def test_a_refused_write_keeps_the_earlier_export_and_is_one_line(tmp_path):
    doc = copy_example(tmp_path, edit=lambda d: d["graph"]["nodes"][1]["params"].update(hidden_size=4))
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    folder = tmp_path / "out"
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", CHILD, str(doc), str(weights), str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]  # -6 (SIGABRT) when torch.export's writer aborted
    assert "Traceback" not in done.stderr and "terminate called" not in done.stderr
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert result == {"torchscript": [2, True], "pt2": [2, True], "python": [2, True]}
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and all(line.endswith("cannot write the file (File too large)") for line in errors)
