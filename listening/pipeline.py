"""Wiring shared by the CLI and the Dagster layer: config + store + HTTP client.

Without a config path the embedded default is used: the offline replay of
recorded public feeds, served on 127.0.0.1 for as long as the block runs, so
the real connectors run unmodified on any machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from listening.config import REPLAY_VAR, ListeningConfig, load_config
from listening.errors import StoreError
from listening.http import HttpClient, Politeness
from listening.ingest import IngestReport, TaskReport, run_ingest
from listening.store import Store, listening_home
from listening.utc import now

DEMO_CONFIG = Path(__file__).parent / "replay" / "demo.yaml"
# A fixed port keeps the replay's URLs, and so the cursor keys, the same from run to run.
REPLAY_PORT = int(os.environ.get("LISTENING_REPLAY_PORT", "47800"))


@contextmanager
def open_config(path: str | Path | None = None) -> Iterator[ListeningConfig]:
    """Load a config; ``None`` means the demo config against a running replay server.

    The replay moves its recording by whole weeks so that the week holding its labelled
    launch and crisis is the last complete week before now (the demo's digest week).
    ``LISTENING_REPLAY_NOW`` (ISO-8601) freezes the replay's clock, for reproducible
    runs; ``LISTENING_REPLAY_EPOCH`` pins the moment the recording's anchor maps to,
    so a test can walk the clock through the recorded weeks.
    """
    if path:
        config = load_config(path)
        require_slack(config)
        yield config
        return
    from listening.replay.server import ReplayServer

    clock = now if os.environ.get("LISTENING_REPLAY_NOW") else None
    epoch = os.environ.get("LISTENING_REPLAY_EPOCH")
    pinned = datetime.fromisoformat(epoch) if epoch else None
    try:
        server = ReplayServer(clock=clock, port=REPLAY_PORT, epoch=pinned)
    except OSError:
        server = ReplayServer(clock=clock, epoch=pinned)
    # The environment is changed only while no server thread runs: setenv racing another thread's getenv
    # can crash the process (seen under libfaketime, which reads the environment on clock calls).
    previous = os.environ.get(REPLAY_VAR)
    os.environ[REPLAY_VAR] = server.url
    try:
        with server:
            yield load_config(DEMO_CONFIG)
    finally:
        if previous is None:
            os.environ.pop(REPLAY_VAR, None)
        else:
            os.environ[REPLAY_VAR] = previous


def require_slack(config: ListeningConfig) -> None:
    """A config that turns Slack on fails here, before any fetching, when the environment lacks the secret."""
    from listening.slack import require_configured

    require_configured(config.alerting.slack.enabled, config.alerting.slack.mode)


def open_store(url: str | None = None) -> Store:
    return Store.open(url or None)


def http_client(config: ListeningConfig) -> HttpClient:
    """The shared HTTP policy; politeness pauses are for other people's servers, not the local replay.

    Only the endpoints the config sets count: the defaults of sources it does not use are public URLs.
    """
    ep = config.endpoints
    urls = [getattr(ep, name) for name in ep.model_fields_set]
    if urls and all(url.startswith(("http://127.0.0.1", "http://localhost")) for url in urls):
        return HttpClient.for_contact(config.project.contact, politeness=Politeness(max_concurrency_per_host=4, min_interval_s=0))
    return HttpClient.for_contact(config.project.contact)


def run_fetch(config: ListeningConfig, store: Store, *, sources: list[str] | None = None, progress: bool = False) -> IngestReport:
    """Fetch once with a progress bar on the terminal."""
    from tqdm import tqdm

    from listening.sources.plan import plan_tasks

    tasks = [t for t in plan_tasks(config) if not sources or t.source in sources]
    with tqdm(total=len(tasks), desc="fetching", unit="source", disable=not progress, file=sys.stderr) as bar:
        def tick(report: TaskReport) -> None:
            bar.set_postfix_str(f"{report.source} +{report.new}")
            bar.update()

        with http_client(config) as client:
            return run_ingest(config, store, client, tasks=tasks, on_task=tick, now=now)


def dagster_env() -> dict[str, str]:
    """Environment for Dagster commands: an instance under $LISTENING_HOME unless DAGSTER_HOME is set."""
    env = dict(os.environ)
    home = Path(env.get("DAGSTER_HOME") or (listening_home() / "dagster")).resolve()
    instance_yaml = home / "dagster.yaml"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not instance_yaml.exists():
            instance_yaml.write_text("telemetry:\n  enabled: false\n")
    except OSError as exc:
        raise StoreError(f"cannot create the Dagster instance folder {home}: {exc.strerror or exc.__class__.__name__}; "
                         "set LISTENING_HOME (or DAGSTER_HOME) to a writable folder") from None
    env["DAGSTER_HOME"] = str(home)
    env.setdefault("LISTENING_HOME", str(listening_home().resolve()))
    return env


def run_demo(port: int = 3000, skip_scoring: bool = False) -> int:
    """Run the main Dagster job and last week's digest on the replay in a child process (listening/ stays Dagster-free)."""
    env = dagster_env()
    argv = [sys.executable, "-m", "dagster_project.demo"] + (["--no-scoring"] if skip_scoring else [])
    code = subprocess.call(argv, env=env)
    if code:
        return code
    store = open_store()
    from listening.digest import default_out_dir, last_complete_week
    from listening.report import demo_summary

    script = Path(sys.executable).parent / "listening"
    command = os.path.relpath(script) if script.exists() else "listening"
    week = last_complete_week(now())
    html = default_out_dir() / f"digest-{week}.html"
    digest = (week, _shown(html), _shown(html.with_suffix(".md"))) if html.exists() else None
    print(demo_summary(store, ui_port=port, dagster_home=env["DAGSTER_HOME"], listening_cmd=command, digest=digest))
    return 0


def _shown(path: Path) -> Path:
    """A path as the user can type it: relative when it lies under the working directory."""
    path = path.resolve()
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
