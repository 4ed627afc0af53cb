"""A run's metrics.jsonl damaged by hand or by another program: Run.read_events raises RunError (its contract, one
line naming the file) for bytes that are not UTF-8 and for deeply nested lines too; these escaped as
UnicodeDecodeError and RecursionError."""
import pytest

from engine.training import Run, RunError


@pytest.mark.parametrize("first,reason", [
    (b"\xe9t\xe9", "not a run log (byte 0 is not UTF-8 text)"),
    (b"[" * 100_000, "not a run log (nested too deeply)"),
])
def test_a_damaged_line_before_the_last_is_a_run_error_naming_the_file(tmp_path, first, reason):
    (tmp_path / "metrics.jsonl").write_bytes(first + b'\n{"type": "Unknown"}\n')
    with pytest.raises(RunError) as caught:
        Run(tmp_path).read_events()
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'metrics.jsonl'}: {reason}") and "\n" not in message
    assert len(message) < 300
