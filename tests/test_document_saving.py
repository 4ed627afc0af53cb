"""Saving keeps what the user set up around the file: its permissions, a symbolic link, a tidy folder.

A 0644 file stays 0644 and a 0600 one 0600; a new file gets the default mode under the umask; saving through
a link changes the file it points to and keeps the link; a save killed mid-write leaves a temporary file
that the next save of that document removes once it is a minute old (a younger one may be a running save).
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from engine.atomic_file import remove_stale_temporaries, temporary_pattern, write_atomic
from engine.document import Document, load_document, save_document

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symbolic links")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Sets the process umask for the test (os.umask is the only way to read it, by replacing it)."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o444])
def test_an_existing_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "model.json"
    path.write_text("{}", encoding="utf-8")
    os.chmod(path, mode)
    save_document(Document(description="saved"), path)
    assert mode_of(path) == mode and load_document(path).description == "saved"


@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_default_mode_under_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    save_document(Document(), tmp_path / "new.json")
    assert mode_of(tmp_path / "new.json") == expected


def test_saving_through_a_symbolic_link_writes_the_file_it_points_to(tmp_path):
    real = tmp_path / "projects" / "model.json"
    real.parent.mkdir()
    save_document(Document(description="first"), real)
    os.chmod(real, 0o640)
    link = tmp_path / "shortcut.json"
    link.symlink_to(os.path.relpath(real, tmp_path))  # a relative link, as people make them
    save_document(Document(description="through the link"), link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("projects", "model.json")
    assert load_document(real).description == "through the link" and mode_of(real) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["projects", "shortcut.json"]
    assert sorted(os.listdir(real.parent)) == ["model.json"]


def test_a_link_to_a_file_not_yet_there_creates_it(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    write_atomic(link, b"{}\n")
    assert link.is_symlink() and (tmp_path / "target.json").read_bytes() == b"{}\n"


def age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_the_next_save_removes_what_a_killed_save_left(tmp_path):
    target = tmp_path / "model.json"
    save_document(Document(), target)
    stale = tmp_path / ".model.json.k1ll3d_x.tmp"  # as a save killed mid-write leaves it
    running = tmp_path / ".model.json.ab12cd34.tmp"  # a concurrent save, still writing
    other = tmp_path / ".other.json.k1ll3d_x.tmp"  # another document's: not this save's business
    lookalike = tmp_path / ".model.json.notours.tmp"
    for path in (stale, running, other, lookalike):
        path.write_bytes(b"{half")
    for path in (stale, other, lookalike):
        age(path, 120)
    save_document(Document(description="again"), target)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (target, running, other, lookalike))
    assert load_document(target).description == "again"


def test_stale_temporaries_are_only_plain_files_of_that_document(tmp_path):
    target = tmp_path / "model.json"
    assert temporary_pattern(target).fullmatch(".model.json.a_b1c2d3.tmp")
    assert not temporary_pattern(target).fullmatch(".model.json.x.a_b1c2d3.tmp")
    folder = tmp_path / ".model.json.abcdefgh.tmp"
    folder.mkdir()
    age(folder, 120)
    link = tmp_path / ".model.json.zzzzzzzz.tmp"
    link.symlink_to(tmp_path / "elsewhere")
    assert remove_stale_temporaries(target) == [] and folder.is_dir() and link.is_symlink()
    assert remove_stale_temporaries(tmp_path / "missing" / "model.json") == []  # no folder: nothing to do


def test_a_failed_save_removes_its_own_temporary_at_once(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    save_document(Document(description="kept"), target)

    def full(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        save_document(Document(description="lost"), target)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.json"] and load_document(target).description == "kept"
