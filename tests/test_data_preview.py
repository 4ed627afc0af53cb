"""The Data dock's preview reads a file's head only: a 40 MB CSV read whole took 7 s on the window's thread. What
it shows of a good file is what reading the whole file gives; any bytes give rows or one DataError line."""
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import DataError
from engine.data.files import read_table, read_text
from engine.data.preview import HEAD_BYTES, preview_rows


def test_a_large_file_previews_from_its_head_as_the_full_read_would_show_it(tmp_path):
    path = tmp_path / "big.csv"
    row = "0.123456,0.654321,\"a, quoted\nlabel\"\n"
    path.write_text("x,y,label\n" + row * (8 * HEAD_BYTES // len(row)))  # 2 MB: 8 heads
    started = time.perf_counter()
    header, rows = preview_rows(path, 20)
    took = time.perf_counter() - started
    full_header, full_rows = read_table(path)
    assert header == full_header == ["x", "y", "label"]
    assert rows == [cells for _, cells in full_rows[:20]] and len(rows) == 20
    assert took < 0.25  # the full read of 2 MB takes about a second on this machine


def test_a_text_file_previews_its_first_lines(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)))
    header, rows = preview_rows(path, 5)
    assert header == ["text"] and rows == [[line] for line in read_text(path).splitlines()[:5]]


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"), (b"\xff\xfea\x00b\x00", "UTF-16"), (b"a,b\n1,\x002\n", "NUL byte"),
    (b",,\n1,2,3\n", "the header row has no column names")])
def test_a_file_that_cannot_be_previewed_says_why_on_one_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        preview_rows(path)
    assert len(str(err.value).splitlines()) == 1


def test_a_folder_or_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        preview_rows(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        preview_rows(tmp_path / "gone.csv")


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=400) | st.text(alphabet=st.sampled_from('a1,;\t"\r\n é'), max_size=400)
       .map(str.encode), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_any_bytes_preview_or_give_one_data_error_line(tmp_path, content, suffix):
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    try:
        header, rows = preview_rows(path, 20)
    except DataError as err:
        assert len(str(err).splitlines()) == 1
    else:
        assert header and len(rows) <= 20
