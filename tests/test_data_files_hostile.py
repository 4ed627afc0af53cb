"""Files that cannot be read or are malformed on purpose: each gives one line naming file, row and column;
any CSV, TSV or text either loads or raises DataError, never another exception (property tests)."""
import errno
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data import DataError, prepare_data


def _write(tmp_path, content, name="data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _text_binding(path, **options):
    return {"dataset": "csv_text", "options": {"path": str(path), **options}, "split": [0.5, 0.25, 0.25]}


def _series_binding(path, **options):
    return {"dataset": "csv_series", "options": {"path": str(path), "window": 2, **options}, "split": [0.6, 0.2, 0.2]}


def _error(binding) -> str:
    with pytest.raises(DataError) as caught:
        prepare_data(binding)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    return message


def test_a_folder_unreadable_file_and_io_error_name_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "reviews.csv"
    folder.mkdir()
    assert _error(_text_binding(folder)) == f"{folder}: is a folder, not a file: choose a file inside it"
    path = _write(tmp_path, "text,label\na,1\n", "locked.csv")
    real = Path.read_bytes

    def refuse(self, error):
        if self == path:
            raise error
        return real(self)

    # Running as root reads a chmod-000 file anyway, so the operating system's answers are given directly.
    monkeypatch.setattr(Path, "read_bytes", lambda self: refuse(self, PermissionError(errno.EACCES, "denied")))
    assert _error(_text_binding(path)) == f"{path}: permission denied: the file cannot be read by this user"
    monkeypatch.setattr(Path, "read_bytes", lambda self: refuse(self, OSError(errno.EIO, "Input/output error")))
    assert _error(_text_binding(path)) == f"{path}: cannot be read (input/output error)"


def test_an_unclosed_quote_names_the_row_where_it_opened_and_quotes_only_a_little(tmp_path):
    rows = ["text,label", "fine,pos", '"a great film,pos'] + [f"review number {i},neg" for i in range(200)]
    path = _write(tmp_path, "\n".join(rows) + "\n")
    message = _error(_text_binding(path))
    assert message == ('data.csv, row 3, column \'text\': a quote opens here and is never closed ("a great film,pos), '
                       'so the rest of the file would read as one cell: close it with another " (inside a quoted '
                       'cell, write "" for a quote)')
    assert "review number" not in message


def test_quoted_cells_across_lines_still_load(tmp_path):
    path = _write(tmp_path, 'text,label\n"two\nlines",pos\n"say ""hi""",neg\nplain,pos\nmore,neg\n')
    data = prepare_data(_text_binding(path, tokenizer="char"))
    assert sum(data.info.samples.values()) == 4 and '"' in data.meta.vocab["text"]


@pytest.mark.parametrize("content,message", [
    (b"", "data.csv: the file is empty"),
    (b"text,label\n", "data.csv: the file has a header row but no data rows"),
    (b"text,label\nfine,1\nbad\x00word,0\n", "data.csv, row 3, column 'text': a NUL byte (0x00): this is not a "
                                               "text file (or it is UTF-16); save it as UTF-8 text"),
    ("text,label\n".encode("utf-16"), "data.csv, row 1: the file is UTF-16 text (it starts with a UTF-16 "
                                       "byte-order mark); save it as UTF-8"),
    ("text,label\n".encode("utf-16-le"), "data.csv, row 1, column 'text': a NUL byte"),
    (b"text,label\nfine,1\nok,caf\xe9\n", "data.csv, row 3, column 'label': byte 0xe9 is not UTF-8 text; save the "
                                          "file as UTF-8"),
    (b"review,label\nfine,1\n", "data.csv, row 1 (header): no column 'text'; the columns are review, label"),
    (b"text,label\nfine,1\n" + b"x" * 200_000 + b",0\n",
     "data.csv, row 3, column 'text': a cell of more than 131,072 characters (it starts xxxxxxxxxxxxxxxxxxxx…): "
     "is the delimiter wrong?"),
    (b",,\n1,2,3\n", "data.csv, row 1 (header): the header row has no column names"),
    (b"text,label,text\nfine,1,good\n", "data.csv, row 1 (header): 2 columns are named 'text' (columns 1, 3): "
                                        "rename all but one"),  # the first one was taken, silently
])
def test_hostile_text_files_give_one_line(tmp_path, content, message):
    path = _write(tmp_path, content)
    assert _error(_text_binding(path)).startswith(message)


@pytest.mark.parametrize("cell,message", [
    ("nan", "data.csv, row 4, column 'b' has 'nan': numbers must be finite"),
    ("-inf", "data.csv, row 4, column 'b' has '-inf': numbers must be finite"),
    ("1e400", "data.csv, row 4, column 'b' has '1e400': too large (at most about 1.8e308)"),  # finite, not held
    ("+Infinity", "data.csv, row 4, column 'b' has '+Infinity': numbers must be finite"),
    ("1e300", "data.csv, column 'b': its values are too large to scale (beyond about 1e38): rescale the column first"),
])
def test_series_values_that_are_not_finite_name_row_and_column(tmp_path, cell, message):
    path = _write(tmp_path, "a,b\n" + "".join(f"{i},{i}\n" for i in range(2)) + f"2,{cell}\n" +
                  "".join(f"{i},{i}\n" for i in range(3, 12)))
    assert _error(_series_binding(path)) == message


def test_a_bad_delimiter_option_is_named(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    # The option's schema refuses it first (the loader's own check stays for direct callers).
    assert _error(_series_binding(path, delimiter=";;")) == "data.options.delimiter: must be one character, or tab, " \
                                                            "got ';;'"


CELL = st.text(alphabet=string.ascii_letters + string.digits + ' ,;\t"\'\n\r.-+eE\x00é', max_size=12)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _loads_or_data_error(binding) -> None:
    try:
        prepare_data(binding)
    except DataError as err:
        assert str(err) and "\n" not in str(err)


@FAST
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=8), tab=st.booleans())
def test_any_csv_or_tsv_loads_as_text_classes_or_raises_data_error(tmp_path, rows, tab):
    sep = "\t" if tab else ","
    path = _write(tmp_path, "text" + sep + "label\n" + "\n".join(sep.join(r) for r in rows),
                  "any.tsv" if tab else "any.csv")
    _loads_or_data_error(_text_binding(path))


@FAST
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=3), max_size=12), window=st.integers(1, 3))
def test_any_csv_loads_as_a_series_or_raises_data_error(tmp_path, rows, window):
    path = _write(tmp_path, "a,b\n" + "\n".join(",".join(r) for r in rows))
    _loads_or_data_error(_series_binding(path, window=window))


@FAST
@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(lambda t: t.encode("utf-8")))
def test_any_bytes_load_as_text_for_a_language_model_or_raise_data_error(tmp_path, raw):
    path = _write(tmp_path, raw, "book.txt")
    _loads_or_data_error({"dataset": "text_file", "options": {"path": str(path), "length": 4}})
    _write(tmp_path, raw, "bytes.csv")
    _loads_or_data_error(_text_binding(tmp_path / "bytes.csv"))


def _one_line(message: str, longest: int = 600) -> str:
    # splitlines: a vertical tab, U+2028 or U+0085 breaks a line on a terminal or in a log viewer as "\n" does
    assert message and len(message.splitlines()) == 1 and len(message) < longest, message
    return message


@pytest.mark.parametrize("option,message", [
    ("x" * 5000, ": cannot be read (file name too long)"),  # pathlib raised OSError instead of answering False
    ("nested/" * 700 + "data.csv", ": cannot be read (file name too long)"),
    ("~no_such_user_rnn_studio/data.csv", "~no_such_user_rnn_studio/data.csv: no such file (there is no user "
                                          "'no_such_user_rnn_studio' whose home folder '~' could mean)"),  # RuntimeError
    ("/dev/zero", "/dev/zero: is not a regular file (a device, pipe or socket): choose a file"),
])
def test_a_path_option_the_system_refuses_is_a_data_error_naming_it(tmp_path, option, message):
    for binding in (_text_binding(option), _series_binding(option)):
        assert _one_line(_error({**binding, "options": {**binding["options"], "path": option}})).endswith(message)


def test_a_columns_option_of_only_commas_means_every_numeric_column(tmp_path):
    # It used to read zero columns: a series of [T, 0] windows (and a torch warning) that no model can take.
    path = _write(tmp_path, "a,b\n" + "".join(f"{i},{i * i}\n" for i in range(12)))
    data = prepare_data(_series_binding(path, columns=" , "))
    assert data.meta.feature_names["window"] == ["a", "b"]


ODD_NAME = st.one_of(st.text(alphabet="ab \n\r\t\x0b\x0c\x1c\x85\u2028\u2029\x00\ufeff'\"", min_size=1, max_size=6),
                     st.integers(100, 3000).map(lambda n: "c" * n))


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


@FAST
@given(header=st.lists(ODD_NAME, min_size=1, max_size=3), wanted=ODD_NAME, use_header=st.booleans(),
       series=st.booleans())
def test_column_names_from_the_file_or_the_options_never_break_the_line(tmp_path, header, wanted, use_header,
                                                                        series):
    # A quoted header cell may hold a newline; a column option any text: messages quoting either stay one short line.
    rows = ",".join(_quoted(h) for h in header) + "\n" + "\n".join(",".join(["1"] * len(header)) for _ in range(9))
    path = _write(tmp_path, rows.replace("\x00", ""))
    column = header[0] if use_header else wanted
    binding = _series_binding(path, columns=[column], window=2) if series else _text_binding(
        path, text_column=column, label_column=wanted)
    try:
        prepare_data(binding)
    except DataError as err:
        _one_line(str(err))
