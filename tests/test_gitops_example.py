"""examples/github/alertsync.yml and examples/azure-devops/azure-pipelines.yml, run locally.

The workflow's own `run:` steps are executed (bash -eo pipefail, as Actions does) against the
emulator, with GITHUB_STEP_SUMMARY / GITHUB_OUTPUT in temp files and a fake GitHub API for the
sticky comment, so the exit-code handling, limits and plan binding are what users copy.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from azure.mgmt.monitor import MonitorManagementClient
from markdown_it import MarkdownIt

from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from provisioner.sync.render import render_markdown
from tests.builders import OWNER, rule, state
from tests.e2e import SEED_SCENARIO, SUB, write_doc, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / "examples" / "github"
WORKFLOW = GITHUB / "alertsync.yml"
ADO = REPO / "examples" / "azure-devops" / "azure-pipelines.yml"
PR, SHA, BOT = 7, "f" * 40, "github-actions[bot]"


def load_comment_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plan_comment", GITHUB / "plan-comment.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plan_comment = load_comment_module()


# --- a fake GitHub REST API: comments and commit → PR ------------------------------------------


@dataclass
class FakeGitHub:
    comments: list[dict[str, Any]] = field(default_factory=list)
    merged: dict[str, int] = field(default_factory=dict)  # merge commit sha → PR number

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if m := re.fullmatch(r"/repos/o/r/issues/(\d+)/comments\?per_page=100&page=(\d+)", path):
            page = [c for c in self.comments if c["pr"] == int(m[1])]
            return 200, page[(int(m[2]) - 1) * 100 : int(m[2]) * 100]
        if (m := re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", path)) and method == "POST":
            comment = {"id": len(self.comments) + 1, "pr": int(m[1]), "user": {"login": BOT}}
            self.comments.append({**comment, "body": body["body"]})
            return 201, comment
        if (m := re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", path)) and method == "PATCH":
            self.comments[int(m[1]) - 1]["body"] = body["body"]
            return 200, {"id": int(m[1])}
        if m := re.fullmatch(r"/repos/o/r/commits/(\w+)/pulls", path):
            number = self.merged.get(m[1])
            pulls = [
                {"number": number, "merged_at": "2025-01-01T00:00:00Z", "merge_commit_sha": m[1]}
            ]
            return 200, pulls if number else []
        return 404, {"message": "Not Found"}


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            assert self.headers["Authorization"] == "Bearer test-token"
            status, answer = fake.handle(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- running the workflow's steps --------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def step(job: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        s for s in workflow()["jobs"][job]["steps"] if s.get("name") == name
    )
    return found


EXPRESSIONS = {
    "github.token": "test-token",
    "github.event.pull_request.number": str(PR),
    "github.server_url": "https://github.com",
    "github.repository": "o/r",
    "github.run_id": "42",
    "steps.reviewed.outputs.checksum": "",
}


def expand(text: str, values: dict[str, str]) -> str:
    """Evaluate the `${{ name }}` expressions the steps use (nothing else is supported)."""
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m[1]], text)


@dataclass
class Runner:
    """Runs workflow steps in a checkout-like folder against the emulator and the fake GitHub."""

    folder: Path
    env: dict[str, str]
    summary: Path
    output: Path

    def run(self, job: str, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        spec = step(job, name)
        values = {**EXPRESSIONS, **extra}
        env = {**self.env, **{k: expand(str(v), values) for k, v in workflow()["env"].items()}}
        env |= {k: expand(str(v), values) for k, v in (spec.get("env") or {}).items()}
        env["ALERTSYNC_CI_DIR"] = str(GITHUB)  # where the repository keeps the scripts
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(spec["run"], values)],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text(encoding="utf-8").splitlines() if self.output.exists() else []
        return dict(line.split("=", 1) for line in lines)

    def comment(self) -> str:
        return (self.folder / "alertsync-out" / "comment.md").read_text(encoding="utf-8")


@pytest.fixture
def runner(arm_env: dict[str, str], tmp_path: Path, github: tuple[FakeGitHub, str]) -> Runner:
    folder = tmp_path / "checkout"
    folder.mkdir()
    env = dict(arm_env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHON"] = sys.executable
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env |= {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_API_URL": github[1],
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": SHA,
        "NO_COLOR": "1",
    }
    return Runner(folder, env, summary, output)


# --- the workflow file itself ------------------------------------------------------------------


def test_workflow_has_triggers_permissions_oidc_concurrency_and_artifact() -> None:
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    assert flow["permissions"] == {
        "id-token": "write",
        "contents": "read",
        "pull-requests": "write",
    }
    apply_job = flow["jobs"]["apply"]
    assert apply_job["concurrency"] == {"group": "alertsync-apply", "cancel-in-progress": False}
    client_ids = set()
    for job in ("plan", "apply"):
        (login,) = [
            s for s in flow["jobs"][job]["steps"] if s.get("uses", "").startswith("azure/login@")
        ]
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
        client_ids.add(login["with"]["client-id"])
    # Roles belong to an identity: a shared one would give pull requests the apply's rights.
    assert len(client_ids) == 2
    uses = [s.get("uses", "") for s in flow["jobs"]["plan"]["steps"]]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)


def test_azure_devops_pipeline_plans_then_applies_the_approved_plan_with_wif() -> None:
    pipeline = yaml.safe_load(ADO.read_text(encoding="utf-8"))
    plan_stage, apply_stage = pipeline["stages"]
    assert (plan_stage["stage"], apply_stage["stage"]) == ("Plan", "Apply")
    deployment = apply_stage["jobs"][0]
    assert deployment["environment"] == "alertsync-production"
    steps = deployment["strategy"]["runOnce"]["deploy"]["steps"]
    (apply_task,) = [s for s in steps if s.get("task") == "AzureCLI@2"]
    assert apply_task["inputs"]["azureSubscription"] == "$(APPLY_CONNECTION)"
    # Pull-request builds run code from the PR branch: they only ever get the read-only connection.
    (plan_task,) = [s for s in plan_stage["jobs"][0]["steps"] if s.get("task") == "AzureCLI@2"]
    assert plan_task["inputs"]["azureSubscription"] == "$(PLAN_CONNECTION)"
    assert pipeline["variables"]["PLAN_CONNECTION"] != pipeline["variables"]["APPLY_CONNECTION"]
    assert apply_task["env"]["REVIEWED_PLAN"].endswith("alertsync-plan/plan.json")
    assert "refs/heads/main" in apply_stage["condition"]


# --- plan job ----------------------------------------------------------------------------------


def test_pending_changes_pass_the_plan_job_with_summary_and_sticky_comment(
    runner: Runner, github: tuple[FakeGitHub, str]
) -> None:
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    done = runner.run("plan", "Validate and plan")
    assert done.returncode == 0, done.stderr  # exit 2 from plan is success here
    assert runner.outputs() == {"exit-code": "2", "has-changes": "true"}
    summary = runner.summary.read_text(encoding="utf-8")
    assert "## alertsync plan: changes pending (exit 2)" in summary
    assert " create | action group | `ag-backup-oncall` |" in summary
    assert len(summary.encode()) < 1024 * 1024
    comment = runner.comment()
    assert comment.startswith(plan_comment.MARKER)
    assert plan_comment.CHECKSUM_RE.search(comment)
    assert "actions/runs/42#artifacts" in comment
    fake = github[0]
    for _ in range(2):  # the second run updates the same comment
        posted = runner.run("plan", "Sticky PR comment")
        assert posted.returncode == 0, posted.stderr
    assert [(c["pr"], c["body"]) for c in fake.comments] == [(PR, comment)]


@pytest.mark.parametrize("broken", ["invalid spec", "ownership"])
def test_errors_and_refusals_fail_the_plan_job_and_say_why(
    runner: Runner, monitor_client: MonitorManagementClient, broken: str
) -> None:
    if broken == "invalid spec":
        write_spec(
            runner.folder, "backup.yaml", SEED_SCENARIO.replace("backuponcall", "far-too-long-name")
        )
    else:  # the group exists without alertsync's tags: plan refuses to take it over (exit 3)
        write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
        monitor_client.action_groups.create_or_update(
            "rg-monitoring",
            "ag-backup-oncall",
            {"location": "Global", "group_short_name": "x", "enabled": True},
        )
    done = runner.run("plan", "Validate and plan")
    expected = 1 if broken == "invalid spec" else 3
    assert done.returncode == expected
    assert runner.outputs()["exit-code"] == str(expected)
    comment = runner.comment()
    assert f"failed (exit {expected})" in comment or f"(exit {expected})" in comment
    assert "alertsync failed" in comment
    assert not plan_comment.CHECKSUM_RE.search(comment)  # nothing reviewable to apply


def test_a_huge_plan_is_truncated_under_the_limits_with_a_pointer_to_the_artifact(
    runner: Runner,
) -> None:
    groups = [
        {
            "name": f"ag-team-{i:03}",
            "shortName": f"team{i:03}",
            "emailReceivers": [
                {"name": f"r{j}", "address": f"person{j}@example.com"} for j in range(3)
            ],
        }
        for i in range(150)
    ]
    doc = {
        "apiVersion": "alertsync/v1",
        "owner": "big",
        "subscription": SUB,
        "resourceGroup": "rg-monitoring",
        "actionGroups": groups,
    }
    write_doc(runner.folder, "big.yaml", doc)
    done = runner.run("plan", "Validate and plan")
    assert done.returncode == 0, done.stderr
    full = (runner.folder / "alertsync-out" / "plan.md").read_text(encoding="utf-8")
    assert len(full) > plan_comment.COMMENT_LIMIT  # the point of the test
    comment = runner.comment()
    assert len(comment) < plan_comment.COMMENT_LIMIT
    assert "Plan truncated" in comment and "actions/runs/42#artifacts" in comment
    assert comment.count("<details>") == comment.count("</details>")
    assert plan_comment.CHECKSUM_RE.search(comment)  # still applicable: the checksum is whole
    assert len(runner.summary.read_bytes()) < 1024 * 1024


def test_truncation_by_bytes_closes_code_fences_and_details() -> None:
    text = "<details><summary>x</summary>\n\n```\n" + "日本語の行\n" * 100_000
    cut, truncated = plan_comment.truncate(text, 1000, plan_comment.utf8_size)
    assert truncated and plan_comment.utf8_size(cut) < 1100
    assert cut.count("```") == 2 and cut.rstrip().endswith("</details>")
    assert plan_comment.truncate("short\n", 1000) == ("short\n", False)


# Values whose backticks and tags sit, as text, inside the plan's code spans; each alone
# unbalances a count of raw tags or of ``` in the whole text.
TRICKY = ("closes </details> early", "opens <details> late", "fences ``` one")


def test_truncation_balances_details_and_fences_whatever_the_plan_values_hold() -> None:
    rules = (rule(f"apr-{i}", description=text) for i, text in enumerate(TRICKY))
    plan = Plan.build(compute(state(*rules), state()), {}, [OWNER])
    markdown = render_markdown(plan)
    cuts = [m.end() for m in re.finditer("\n", markdown)][:-1]
    for budget in cuts:
        cut, truncated = plan_comment.truncate(markdown, budget)
        assert truncated
        html = MarkdownIt("commonmark").enable("table").render(cut + "\nFOOTER\n")
        assert html.count("<details>") == html.count("</details>"), cut
        assert "<p>FOOTER</p>" in html, cut  # no code fence left open swallows what follows


# --- apply job ---------------------------------------------------------------------------------


def reviewed_plan(runner: Runner, github: tuple[FakeGitHub, str]) -> str:
    """Plan the PR, post the sticky comment, merge it as SHA; the apply job's checksum step."""
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert runner.run("plan", "Validate and plan").returncode == 0
    assert runner.run("plan", "Sticky PR comment").returncode == 0
    github[0].merged[SHA] = PR
    runner.output.unlink()
    found = runner.run("apply", "Find the reviewed plan's checksum")
    assert found.returncode == 0, found.stderr
    return runner.outputs()["checksum"]


def test_apply_job_applies_the_reviewed_plan(
    runner: Runner, github: tuple[FakeGitHub, str]
) -> None:
    checksum = reviewed_plan(runner, github)
    assert checksum.startswith("sha256:")
    done = runner.run(
        "apply", "Apply the reviewed plan", **{"steps.reviewed.outputs.checksum": checksum}
    )
    assert done.returncode == 0, done.stderr
    assert "Apply complete: 3 done" in done.stdout
    again = runner.run("plan", "Validate and plan")
    assert again.returncode == 0 and runner.outputs()["exit-code"] == "0"


def test_apply_job_refuses_a_plan_that_went_stale_exit_3(
    runner: Runner, github: tuple[FakeGitHub, str], monitor_client: MonitorManagementClient
) -> None:
    checksum = reviewed_plan(runner, github)
    # Between review and merge someone creates the group by hand: the reviewed plan is stale.
    monitor_client.action_groups.create_or_update(
        "rg-monitoring",
        "ag-backup-oncall",
        {
            "location": "Global",
            "group_short_name": "x",
            "enabled": True,
            "tags": {"managed-by": "alertsync", "alertsync-owner": "backup-alerts"},
        },
    )
    done = runner.run(
        "apply", "Apply the reviewed plan", **{"steps.reviewed.outputs.checksum": checksum}
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "stale" in done.stderr


def test_a_direct_push_without_a_reviewed_plan_cannot_apply(runner: Runner) -> None:
    found = runner.run("apply", "Find the reviewed plan's checksum")
    assert found.returncode == 1
    assert "is not the merge of a pull request" in found.stderr


def test_azure_devops_apply_path_binds_to_the_plan_file(runner: Runner) -> None:
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert runner.run("plan", "Validate and plan").returncode == 0
    plan_file = runner.folder / "alertsync-out" / "plan.json"
    env = {**runner.env, "REVIEWED_PLAN": str(plan_file)}
    ci = ["bash", str(GITHUB / "ci.sh"), "apply"]
    first = subprocess.run(
        ci, cwd=runner.folder, env=env, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    rerun = subprocess.run(
        ci, cwd=runner.folder, env=env, capture_output=True, text=True, check=False
    )
    assert rerun.returncode == 0, rerun.stderr  # a re-run of the job: the plan is all applied
    assert "Nothing left to do" in rerun.stdout
