"""The .env writer: values survive a round trip through python-dotenv, other lines survive updates, writes are atomic."""

import os

import pytest

from op_trading.config.envfile import read_env, render_updates, update_env

TRICKY = {
    "HASH": "abc#def",
    "SPACE_HASH": "value with spaces # not a comment",
    "QUOTES": "it's \"quoted\"",
    "DOLLAR": "pa$$word${HOME}",
    "EQUALS": "a=b=c",
    "UNICODE": "₹100 crore — नमस्ते",
    "BACKSLASH": r"C:\path\to\file",
    "EMPTY": "",
    "LEADING_SPACE": "  padded  ",
}


def test_round_trip_of_awkward_values(tmp_path):
    path = tmp_path / ".env"
    update_env(path, TRICKY)
    assert read_env(path) == TRICKY


def test_update_keeps_comments_unknown_keys_and_order(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# my notes\nUNKNOWN_KEY=keep me\n\nLOG_LEVEL=INFO  # inline\nexport OTHER=1\n", encoding="utf-8")
    backup = update_env(path, {"LOG_LEVEL": "DEBUG", "NEW_KEY": "x y"})
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["# my notes", "UNKNOWN_KEY=keep me", ""]
    assert "LOG_LEVEL=DEBUG" in text and "export OTHER=1" in text
    assert text.rstrip().endswith("NEW_KEY='x y'")
    assert read_env(path)["UNKNOWN_KEY"] == "keep me"
    assert backup.read_text(encoding="utf-8").startswith("# my notes")


def test_existing_key_is_replaced_in_place_not_duplicated():
    text = render_updates("A=1\nB=2\nC=3\n", {"B": "20"})
    assert text == "A=1\nB=20\nC=3\n"


def test_interrupted_write_leaves_old_file_whole_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text("A=1\n", encoding="utf-8")

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        update_env(path, {"A": "2"})
    assert path.read_text(encoding="utf-8") == "A=1\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(os.name != "posix", reason="owner-only permissions are POSIX modes")
def test_env_file_is_owner_only(tmp_path):
    path = tmp_path / ".env"
    update_env(path, {"KITE_API_SECRET": "s3cr3tvalue"})
    assert path.stat().st_mode & 0o077 == 0
