"""Every command that reads a file takes UTF-8 with or without a BOM and refuses anything else in one line.

Each command runs in process through ``listening.cli.main``: an exception it does not turn into a
clear error would escape ``main`` and fail the test, as a traceback would in a terminal.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from listening.cli import main
from tests.test_config import VALID

SERIES = "timestamp,value,메모\n2026-11-20T00:00:00Z,3,로그인 오류\n2026-11-20T00:05:00Z,4,결제 실패\n"
SNAPSHOTS = ("platform,account,post_id,posted_at,observed_at,likes,reposts,replies,views,followers\n"
             "mastodon,아크미,1,2026-11-20T00:00:00Z,2026-11-20T01:00:00Z,3,1,0,,120\n")
TSV = "text\tlabel\tlang\n로그인이 안 돼요\t0\tko\n"
YAML = VALID
RANDOM = random.Random(20).randbytes(4096)

#: command line ({f}: the file, {d}: its folder, {o}: an output path) and the file's content as UTF-8 text.
COMMANDS = {
    "config-check": (["config", "check", "{f}"], YAML, "listening.yaml"),
    "fetch": (["fetch", "--config", "{f}", "-q"], YAML, "listening.yaml"),
    "digest": (["digest", "--week", "2026-W40", "--config", "{f}", "--out", "{o}"], YAML, "listening.yaml"),
    "detect-spikes": (["detect-spikes", "--input", "{f}", "--output", "{o}"], SERIES, "series.csv"),
    "reach-changes": (["reach-changes", "--input", "{f}", "--output", "{o}"], SNAPSHOTS, "snapshots.csv"),
    "score": (["score", "--input", "{f}", "--output", "{o}"], TSV, "in.tsv"),
    "model-eval": (["model", "eval", "--input", "{f}"], TSV, "in.tsv"),
    "model-eval-split": (["model", "eval", "--split", "validation", "--data-dir", "{d}"], TSV, "nsmc_ko.tsv"),
    "model-train-head": (["model", "train", "--method", "head", "--data-dir", "{d}", "--out", "{o}"], TSV, "nsmc_ko.tsv"),
}
ENCODINGS = {
    "cp949": (lambda text: text.encode("cp949"), "it looks like CP949/EUC-KR"),
    "shift-jis": (lambda text: text.replace("로그인", "ログイン").replace("아크미", "アクメ").encode("cp932", "replace"),
                  "it looks like Shift-JIS"),
    "random-bytes": (lambda text: RANDOM, "not valid UTF-8"),
}


def run(name: str, data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    args, _, filename = COMMANDS[name]
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / filename
    path.write_bytes(data)
    fill = {"f": str(path), "d": str(folder), "o": str(tmp_path / "out")}
    code = main([a.format(**fill) for a in args])
    captured = capsys.readouterr()
    return code, captured.err, path


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_in_another_encoding_is_one_line_and_exit_2(command: str, encoding: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENING_HOME", str(tmp_path / "home"))
    encode, expected = ENCODINGS[encoding]
    code, err, path = run(command, encode(COMMANDS[command][1]), tmp_path, capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"{path}:" in err and "not valid UTF-8" in err and expected in err and "save it as UTF-8" in err


def test_random_bytes_are_not_a_training_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "pack.npz"
    pack.write_bytes(RANDOM)
    code = main(["model", "train", "--pack", str(pack), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a training pack" in err, err


@pytest.mark.parametrize("command", ["config-check", "detect-spikes", "reach-changes"])
@pytest.mark.parametrize("bom", [False, True], ids=["utf-8", "utf-8-bom"])
def test_utf8_with_or_without_bom_is_read(command: str, bom: bool, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = ("\ufeff" if bom else "") + COMMANDS[command][1]
    code, err, _ = run(command, data.encode("utf-8"), tmp_path, capsys)
    assert code == 0, err
