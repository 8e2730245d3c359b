"""The README's UI command serves the asset graph from the real Dagster webserver, and the main job runs from it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_project.definitions import defs

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        payload = json.load(resp)
    assert "errors" not in payload, payload
    return payload["data"]


@pytest.fixture
def ui(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "LISTENING_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster"),
           "LISTENING_SCHEDULES": "off"}
    for name in ("LISTENING_CONFIG", "LISTENING_DATABASE_URL"):
        env.pop(name, None)
    restore_sigint = "import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", restore_sigint, sys.executable, "-m", "listening.cli", "ui", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"dagster dev did not come up: {proc.stderr.read().decode()[-2000:]}") from None
                time.sleep(1)
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_the_ui_serves_the_graph_and_runs_the_main_job(ui: int) -> None:
    repos = graphql(ui, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")
    repo = repos["repositoriesOrError"]["nodes"][0]
    nodes = graphql(ui, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    served = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert served == {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}

    selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"], "jobName": "listening_cycle"}
    launched = graphql(ui, """
        mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
          __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {"p": {"selector": selector, "runConfigData": {"execution": {"config": {"in_process": {}}}}}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 600
    status = ""
    while time.monotonic() < deadline:
        status = graphql(ui, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
    materialized = graphql(ui, "query($id: ID!) { runOrError(runId: $id) { ... on Run { assetMaterializations { assetKey { path } } } } }",
                           {"id": run_id})["runOrError"]["assetMaterializations"]
    job_assets = {k.to_user_string() for k in defs.resolve_job_def("listening_cycle").asset_layer.executable_asset_keys}
    assert {"/".join(m["assetKey"]["path"]) for m in materialized} == job_assets
