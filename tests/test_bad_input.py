"""Bad configuration and bad input end in one clear line and a documented exit code, never a traceback.

Each case runs the installed command in a real child process, so an uncaught exception anywhere (argument
parsing, imports, the store, the Dagster wiring) would show as a traceback here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_config import VALID

ROOT = Path(__file__).parents[1]
SECRET = "pw-never-shown-7Hq"


def listening(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LISTENING_", "DAGSTER_"))}
    return subprocess.run([sys.executable, "-m", "listening.cli", *args], capture_output=True, text=True,
                          env={**base, "LISTENING_HOME": str(cwd / "home"), **env}, cwd=cwd, timeout=120)


CASES = {
    "unknown-field": (["config", "check", "{config}"], VALID.replace("own: true", "own: true\n    colour: red"), {}, 2,
                      "brands[acme].colour: unknown field"),
    "bad-query": (["config", "check", "{config}"], VALID.replace("'(acme OR 아크미) NOT \"acme anvil\"'", "'acme AND (OR'"), {}, 2,
                  "brands[acme].query:"),
    "bad-retention": (["config", "check", "{config}"], VALID + "retention: {raw_days: -3}\n", {}, 2,
                      "retention.raw_days: Input should be greater than or equal to 1"),
    "slack-enabled-without-webhook": (["config", "check", "{config}"], VALID + "alerting: {slack: {enabled: true}}\n", {}, 2,
                                      "alerting.slack.enabled is true (mode webhook) but LISTENING_SLACK_WEBHOOK_URL is not set"),
    "slack-bot-without-token": (["fetch", "--config", "{config}", "-q"],
                                VALID + "alerting: {slack: {enabled: true, mode: bot}}\n", {}, 2,
                                "LISTENING_SLACK_BOT_TOKEN and LISTENING_SLACK_CHANNEL are not set"),
    "slack-webhook-not-http": (["config", "check", "{config}"], VALID + "alerting: {slack: {enabled: true}}\n",
                               {"LISTENING_SLACK_WEBHOOK_URL": "file:///etc/passwd"}, 2, "Slack webhook URL must be an http(s) URL"),
    "missing-config-file": (["fetch", "--config", "{tmp}/nope.yaml"], None, {}, 2, "nope.yaml: file not found"),
    "unreachable-database": (["mentions"], None,
                             {"LISTENING_DATABASE_URL": f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/x?connect_timeout=2"}, 3,
                             "cannot open the store at postgresql+psycopg://app:***@127.0.0.1:1/x"),
    "unparsable-database-url": (["mentions"], None, {"LISTENING_DATABASE_URL": f"not a url {SECRET}"}, 3,
                                "cannot open the store at <unparsable database URL>"),
    "home-is-a-file": (["mentions"], None, {"LISTENING_HOME": "{tmp}/file/home"}, 3,
                       "cannot create the store folder"),
    "home-not-creatable": (["mentions"], None, {"LISTENING_HOME": "/proc/listening-home"}, 3,
                           "cannot create the store folder /proc/listening-home"),
    "ui-home-is-a-file": (["ui"], None, {"LISTENING_HOME": "{tmp}/file/home"}, 3,
                          "cannot create the Dagster instance folder"),
    "bad-time": (["mentions", "--since", "yesterday"], None, {}, 2, "not a time: 'yesterday'"),
    "timezone-not-iana": (["config", "check", "{config}"], VALID.replace("ops@acme.example", "ops@acme.example, timezone: Seoul"),
                          {}, 2, "project.timezone: 'Seoul' is not an IANA time zone"),
    "unknown-source-kind": (["fetch", "--config", "{config}", "--source", "bogus"], VALID, {}, 2,
                            "--source: unknown kind(s) bogus; known: rss, google_news"),
    "bad-week": (["digest", "--week", "2026-W99", "--config", "{config}"], VALID, {}, 2, "2026 has no ISO week 99"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_one_clear_line_and_an_exit_code(case: str, tmp_path: Path) -> None:
    args, config, env, code, message = CASES[case]
    (tmp_path / "file").write_text("a file where a folder should be")
    path = tmp_path / "listening.yaml"
    if config is not None:
        path.write_text(config, encoding="utf-8")
    fill = {"config": str(path), "tmp": str(tmp_path)}
    out = listening([a.format(**fill) for a in args], {k: v.format(**fill) for k, v in env.items()}, tmp_path)
    assert out.returncode == code, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert SECRET not in out.stderr + out.stdout
    assert len(out.stderr.strip().splitlines()) <= 3 or "usage:" in out.stderr
