"""The command line is part of the product: every command has help and is in the README."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from listening.cli import build_parser, main

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def all_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(prefix + (name,))
                found += all_commands(sub, prefix + (name,))
    return found


COMMANDS = all_commands(build_parser())


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: listening " + " ".join(command))
    assert len(out.splitlines()) >= 3


@pytest.mark.parametrize("command", [c for c in COMMANDS if len(c) == 1], ids=lambda c: c[0])
def test_every_top_level_command_is_documented_in_the_readme(command: tuple[str, ...]) -> None:
    assert f"listening {command[0]}" in README


def test_the_installed_entry_point_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "listening.cli", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("listening ")


def test_a_missing_input_file_is_one_line_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["detect-spikes", "--input", str(tmp_path / "missing.csv"), "--output", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "missing.csv" in err
    assert "Traceback" not in err
