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
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from azure.mgmt.monitor import MonitorManagementClient
from markdown_it import MarkdownIt

from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from provisioner.sync.render import render_markdown
from tests.builders import OWNER, rule, state
from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_doc, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator


REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / "examples" / "github"
WORKFLOW = GITHUB / "alertsync.yml"
DRIFT = GITHUB / "drift.yml"
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
    issues: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if path.startswith("/repos/o/r/issues") and (
            answer := self.handle_issue(method, path, body)
        ):
            return answer
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

    def handle_issue(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        """Issues: list open ones by label, open, edit; comments on them."""
        if m := re.fullmatch(r"/repos/o/r/issues\?state=open&labels=([\w-]+)&per_page=100", path):
            return 200, [i for i in self.issues if i["state"] == "open" and m[1] in i["labels"]]
        if path == "/repos/o/r/issues" and method == "POST":
            issue = {"number": 100 + len(self.issues), "state": "open", "comments": []}
            self.issues.append({**issue, **body, "user": {"login": BOT}})
            return 201, issue
        if (m := re.fullmatch(r"/repos/o/r/issues/(\d+)", path)) and method == "PATCH":
            self.issues[int(m[1]) - 100].update(body)
            return 200, {"number": int(m[1])}
        if (m := re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", path)) and int(m[1]) >= 100:
            self.issues[int(m[1]) - 100]["comments"].append(body["body"])
            return 201, {"id": 1}
        return None


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


def workflow(path: Path = WORKFLOW) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def step(job: str, name: str, path: Path = WORKFLOW) -> dict[str, Any]:
    found: dict[str, Any] = next(
        s for s in workflow(path)["jobs"][job]["steps"] if s.get("name") == name
    )
    return found


FORCE_LABEL = "contains(github.event.pull_request.labels.*.name, 'alertsync:force')"
PAGERDUTY_URL = "https://events.pagerduty.example/integration/key-123/enqueue"
EXPRESSIONS = {
    "github.token": "test-token",
    "github.event.pull_request.number": str(PR),
    "github.server_url": "https://github.com",
    "github.repository": "o/r",
    "github.run_id": "42",
    "steps.reviewed.outputs.checksum": "",
    "steps.reviewed.outputs.force": "",
    FORCE_LABEL: "false",
    "secrets.BACKUP_PAGERDUTY_URL": PAGERDUTY_URL,
}


def expand(text: str, values: dict[str, str]) -> str:
    """Evaluate the `${{ … }}` expressions the steps use (nothing else is supported)."""
    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: values[m[1]], text)


@dataclass
class Runner:
    """Runs workflow steps in a checkout-like folder against the emulator and the fake GitHub."""

    folder: Path
    env: dict[str, str]
    summary: Path
    output: Path

    def run(
        self, job: str, name: str, flow: Path = WORKFLOW, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        spec = step(job, name, flow)
        values = {**EXPRESSIONS, **extra}
        env = {**self.env, **{k: expand(str(v), values) for k, v in workflow(flow)["env"].items()}}
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
    variables = {v["name"]: v["value"] for v in pipeline["variables"] if "name" in v}
    assert variables["PLAN_CONNECTION"] != variables["APPLY_CONNECTION"]
    assert apply_task["env"]["REVIEWED_PLAN"].endswith("alertsync-plan/plan.json")
    assert "refs/heads/main" in apply_stage["condition"]


# --- plan job ----------------------------------------------------------------------------------


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
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


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
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


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
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


def reviewed_plan(
    runner: Runner, github: tuple[FakeGitHub, str], spec: str = SEED_SCENARIO, **labels: str
) -> dict[str, str]:
    """Plan the PR, post the sticky comment, merge it as SHA; the apply job's checksum step.

    Returns the step's outputs as the apply job's later steps see them (`steps.reviewed.…`).
    """
    write_spec(runner.folder, "backup.yaml", spec)
    planned = runner.run("plan", "Validate and plan", **labels)
    assert planned.returncode == 0, planned.stderr
    assert runner.run("plan", "Sticky PR comment").returncode == 0
    github[0].merged[SHA] = PR
    runner.output.unlink()
    found = runner.run("apply", "Find the reviewed plan's checksum")
    assert found.returncode == 0, found.stderr
    return {f"steps.reviewed.outputs.{k}": v for k, v in runner.outputs().items()}


def apply_job(runner: Runner, reviewed: dict[str, str], *, rerun: bool = False) -> str:
    """The apply job's own steps. A first attempt starts without the kept plan; a re-run has it
    back from the cache (actions/cache/restore keyed by the merge commit). Returns the output of
    the apply step, or raises with the failed step's output."""
    kept = runner.folder / "alertsync-out" / "reviewed-plan.json"
    assert kept.exists() == rerun  # what actions/cache/restore would find
    for name in ("Bind to the reviewed plan", "Apply the reviewed plan"):
        done = runner.run("apply", name, **reviewed)
        if done.returncode != 0:
            raise StepFailed(name, done.returncode, done.stdout + done.stderr)
    return done.stdout


class StepFailed(Exception):
    def __init__(self, name: str, code: int, output: str) -> None:
        super().__init__(f"{name} exited {code}: {output}")
        self.code, self.output = code, output


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_apply_job_applies_the_reviewed_plan(
    runner: Runner, github: tuple[FakeGitHub, str]
) -> None:
    reviewed = reviewed_plan(runner, github)
    assert reviewed["steps.reviewed.outputs.checksum"].startswith("sha256:")
    assert reviewed["steps.reviewed.outputs.force"] == "false"
    assert "Apply complete: 3 done" in apply_job(runner, reviewed)
    again = runner.run("plan", "Validate and plan")
    assert again.returncode == 0 and runner.outputs()["exit-code"] == "0"


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_apply_job_refuses_a_plan_that_went_stale_exit_3(
    runner: Runner, github: tuple[FakeGitHub, str], monitor_client: MonitorManagementClient
) -> None:
    reviewed = reviewed_plan(runner, github)
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
    with pytest.raises(StepFailed) as failed:
        apply_job(runner, reviewed)
    assert failed.value.code == 3 and "stale" in failed.value.output
    assert not (runner.folder / "alertsync-out" / "reviewed-plan.json").exists()


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_a_rerun_of_the_apply_job_applies_what_remains_then_nothing(
    runner: Runner, github: tuple[FakeGitHub, str], world: Emulator
) -> None:
    reviewed = reviewed_plan(runner, github)
    world.control.add_fault(
        "PATCH", "vaults/RSV-JPE-LRS$", status=400, code="BadRequest", message="try later"
    )
    with pytest.raises(StepFailed) as failed:
        apply_job(runner, reviewed)
    assert failed.value.code == 1 and "2 done, 1 failed" in failed.value.output
    world.control.clear_faults()
    rest = apply_job(runner, reviewed, rerun=True)  # "Re-run jobs": the kept plan is restored
    assert "Applying the 1 change of the reviewed plan that remains (2 already applied)." in rest
    assert "Apply complete: 1 done" in rest
    assert "Nothing left to do" in apply_job(runner, reviewed, rerun=True)


UNSAFE_SPEC = SEED_SCENARIO.replace("jobFailureAlerts: true", "jobFailureAlerts: false")


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_an_unsafe_plan_fails_the_pull_request_until_a_reviewer_adds_the_force_label(
    runner: Runner, github: tuple[FakeGitHub, str], arm_env: dict[str, str]
) -> None:
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    write_spec(runner.folder, "backup.yaml", UNSAFE_SPEC)
    refused = runner.run("plan", "Validate and plan")
    assert refused.returncode == 3  # the pull request fails: nobody has to notice after merge
    comment = runner.comment()
    assert "refused by a safety rule (exit 3)" in comment
    assert "> Unsafe: turns off the job failure alerts of" in comment
    assert "adds the label `alertsync:force` to this pull request" in comment
    assert not plan_comment.CHECKSUM_RE.search(comment)

    reviewed = reviewed_plan(runner, github, UNSAFE_SPEC, **{FORCE_LABEL: "true"})
    comment = github[0].comments[-1]["body"]
    assert "were accepted: this plan was made with `--force`" in comment
    assert plan_comment.FORCE_MARKER in comment
    assert reviewed["steps.reviewed.outputs.force"] == "true"
    assert "Apply complete: 1 done" in apply_job(runner, reviewed)


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_a_merge_without_the_label_never_applies_with_force(
    runner: Runner, github: tuple[FakeGitHub, str]
) -> None:
    reviewed = reviewed_plan(runner, github)
    # Someone edits the output to force the apply: the plan made with --force is another plan.
    forced = {**reviewed, "steps.reviewed.outputs.force": "true"}
    with pytest.raises(StepFailed) as failed:
        apply_job(runner, forced)
    assert failed.value.code == 3 and "stale" in failed.value.output


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_a_direct_push_without_a_reviewed_plan_cannot_apply(runner: Runner) -> None:
    found = runner.run("apply", "Find the reviewed plan's checksum")
    assert found.returncode == 1
    assert "is not the merge of a pull request" in found.stderr


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
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


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_azure_devops_force_parameter_makes_a_forced_plan_that_apply_follows(
    runner: Runner, arm_env: dict[str, str]
) -> None:
    pipeline = yaml.safe_load(ADO.read_text(encoding="utf-8"))
    (force,) = pipeline["parameters"]
    assert (force["name"], force["type"], force["default"]) == ("force", "boolean", False)
    (plan_task,) = [
        s for s in pipeline["stages"][0]["jobs"][0]["steps"] if s.get("task") == "AzureCLI@2"
    ]
    assert plan_task["env"]["ALERTSYNC_FORCE"] == "${{ parameters.force }}"
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    write_spec(runner.folder, "backup.yaml", UNSAFE_SPEC)
    ci = ["bash", str(GITHUB / "ci.sh")]
    env = {**runner.env, "ALERTSYNC_FORCE": "True"}  # how Azure Pipelines writes a true boolean
    planned = subprocess.run(
        [*ci, "plan"], cwd=runner.folder, env=env, capture_output=True, text=True, check=False
    )
    assert planned.returncode == 0, planned.stderr
    plan_file = runner.folder / "alertsync-out" / "plan.json"
    assert json.loads(plan_file.read_text())["options"]["force"] is True
    env = {**runner.env, "REVIEWED_PLAN": str(plan_file)}  # the Apply stage sets no force itself
    applied = subprocess.run(
        [*ci, "apply"], cwd=runner.folder, env=env, capture_output=True, text=True, check=False
    )
    assert applied.returncode == 0, applied.stderr


# --- secrets -----------------------------------------------------------------------------------

WEBHOOK_SPEC = SEED_SCENARIO.replace(
    "          - {name: backup-team, address: backup-team@example.com}\n",
    "          - {name: backup-team, address: backup-team@example.com}\n"
    "        webhookReceivers:\n"
    "          - {name: pagerduty, serviceUriFromEnv: BACKUP_PAGERDUTY_URL}\n",
)


SHARDED = GITHUB / "alertsync-sharded.yml"
ADO_FILES = (ADO, ADO.with_name("azure-pipelines-sharded.yml"))


def _ci_steps(flow: Path) -> list[dict[str, Any]]:
    """Every step of a GitHub workflow that runs ci.sh (an alertsync command)."""
    jobs = workflow(flow)["jobs"].values()
    return [s for job in jobs for s in job.get("steps", []) if "ci.sh" in s.get("run", "")]


def _ado_tasks(pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    """Every AzureCLI@2 task of an Azure Pipelines file, deployment jobs' included."""
    found = []
    for job in (j for stage in pipeline["stages"] for j in stage["jobs"]):
        steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
        found += [s for s in steps if s.get("task") == "AzureCLI@2"]
    return found


def test_every_alertsync_step_maps_the_webhook_secret_into_its_environment() -> None:
    secret = "${{ secrets.BACKUP_PAGERDUTY_URL }}"
    for flow in (WORKFLOW, SHARDED, DRIFT):
        steps = _ci_steps(flow)
        assert len(steps) == (1 if flow == DRIFT else 3), flow.name  # plan, bind, apply
        for found in steps:
            assert found["env"]["BACKUP_PAGERDUTY_URL"] == secret, (flow.name, found["name"])
    for path in ADO_FILES:
        pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert {"group": "alertsync-secrets"} in pipeline["variables"], path.name
        tasks = _ado_tasks(pipeline)
        assert len(tasks) == 2, path.name  # plan, apply
        for task in tasks:  # secret variables reach a script only if mapped
            assert task["env"]["BACKUP_PAGERDUTY_URL"] == "$(BACKUP_PAGERDUTY_URL)", path.name


def test_every_pipeline_example_lets_a_reviewer_grant_force() -> None:
    # The sharded examples too: an unsafe plan must fail review there, and be acceptable there.
    for flow in (WORKFLOW, SHARDED):
        triggers = workflow(flow).get("on", workflow(flow).get(True))
        assert {"labeled", "unlabeled"} <= set(triggers["pull_request"]["types"]), flow.name
        plan, bind, _ = _ci_steps(flow)
        assert plan["env"]["ALERTSYNC_FORCE"] == "${{ " + FORCE_LABEL + " }}", flow.name
        assert "alertsync:force" in plan["env"]["ALERTSYNC_FORCE_HINT"], flow.name
        assert bind["env"]["ALERTSYNC_FORCE"] == "${{ steps.reviewed.outputs.force }}", flow.name
    for path in ADO_FILES:
        pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
        (force,) = pipeline["parameters"]
        assert (force["name"], force["type"], force["default"]) == ("force", "boolean", False)
        plan, apply = _ado_tasks(pipeline)
        assert plan["env"]["ALERTSYNC_FORCE"] == "${{ parameters.force }}", path.name
        assert "ALERTSYNC_FORCE" not in apply["env"], path.name  # the plan file carries it


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_a_webhook_url_from_a_secret_reaches_plan_and_apply(
    runner: Runner, github: tuple[FakeGitHub, str]
) -> None:
    reviewed = reviewed_plan(runner, github, WEBHOOK_SPEC)
    assert "Apply complete: 3 done" in apply_job(runner, reviewed)
    unset = runner.run("plan", "Validate and plan", **{"secrets.BACKUP_PAGERDUTY_URL": ""})
    assert unset.returncode == 1
    assert "environment variable BACKUP_PAGERDUTY_URL is not set or empty" in unset.stderr
    assert "webhook receiver 'pagerduty' of action group 'ag-backup-oncall'" in unset.stderr


# --- scheduled drift ---------------------------------------------------------------------------


def drift_run(runner: Runner) -> tuple[str, str]:
    """The drift workflow's two steps; the exit codes of its plan and check."""
    runner.output.unlink(missing_ok=True)
    detect = runner.run("drift", "Plan against live Azure", DRIFT)
    assert detect.returncode == 0, detect.stderr
    found = {f"steps.drift.outputs.{key}": code for key, code in runner.outputs().items()}
    issue = runner.run("drift", "Open, update or close the drift issue", DRIFT, **found)
    assert issue.returncode == 0, issue.stderr
    return runner.outputs()["exit-code"], runner.outputs()["coverage-exit-code"]


def test_drift_workflow_is_nightly_and_may_write_issues() -> None:
    flow = workflow(DRIFT)
    triggers = flow.get("on", flow.get(True))
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert flow["permissions"]["issues"] == "write"


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_drift_opens_one_issue_updates_it_and_closes_it_when_clean(
    runner: Runner,
    github: tuple[FakeGitHub, str],
    arm_env: dict[str, str],
    monitor_client: MonitorManagementClient,
) -> None:
    issues = github[0].issues
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    assert drift_run(runner) == ("0", "0") and issues == []

    group = monitor_client.action_groups.get("rg-monitoring", "ag-backup-oncall")
    group.enabled = False  # someone switches the group off in the portal
    monitor_client.action_groups.create_or_update("rg-monitoring", "ag-backup-oncall", group)
    assert drift_run(runner) == ("2", "2")  # and a failed backup would reach nobody
    (issue,) = issues
    assert issue["state"] == "open" and issue["labels"] == ["alertsync-drift"]
    assert issue["title"] == "alertsync: Azure drifted from the specs and a coverage gap"
    assert "enabled: false" in issue["body"] or "`false`" in issue["body"]
    assert "actions/runs/42" in issue["body"]
    assert drift_run(runner)[0] == "2"
    assert len(issues) == 1  # the same issue, updated

    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    assert drift_run(runner) == ("0", "0")
    assert issue["state"] == "closed"
    assert "Azure matches the specs again" in issue["comments"][-1]


def _expiring(spec: str, until: datetime) -> str:
    """spec with its rule scoped to the whole rg-backup and in effect only until `until`."""
    return spec.replace(
        "          - {vault: RSV-JPE-LRS, resourceGroup: rg-backup}\n",
        "          - {resourceGroup: rg-backup}\n",
    ).replace(
        "        actionGroups: [ag-backup-oncall]\n",
        "        actionGroups: [ag-backup-oncall]\n"
        f"        schedule: {{timeZone: UTC, effectiveUntil: '{until:%Y-%m-%dT%H:%M:%S}'}}\n",
    )


@pytest.mark.slow  # end-to-end: runs the example's steps and the real `alertsync` command
def test_drift_catches_a_new_vault_and_a_rule_that_expires_that_no_plan_shows(
    runner: Runner, github: tuple[FakeGitHub, str], arm_env: dict[str, str], world: Emulator
) -> None:
    issues = github[0].issues
    write_spec(runner.folder, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    vault = {"name": "RSV-NEW", "location": "japaneast"}
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {"name": "rg-backup", "location": "japaneast", "vaults": [vault]}
                    ],
                }
            ]
        }
    )
    # Azure matches the specs: no plan shows the vault nobody declared, and nobody covers.
    assert drift_run(runner) == ("0", "2")
    (issue,) = issues
    assert issue["body"].count("A failed backup would reach nobody (check exit 2).") == 1
    assert "Azure differs" not in issue["body"] and "RSV-NEW" in issue["body"]
    assert issue["title"] == "alertsync: a coverage gap"  # the plan found nothing to say

    # The rule now covers the whole resource group, but only for three more days.
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    write_spec(runner.folder, "backup.yaml", _expiring(SEED_SCENARIO, until))
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    assert drift_run(runner) == ("0", "2")
    assert len(issues) == 1 and f"gap {until:%Y-%m-%dT%H:%M}" in issue["body"]

    write_spec(runner.folder, "backup.yaml", _expiring(SEED_SCENARIO, until + timedelta(days=30)))
    assert alertsync(arm_env, runner.folder, "apply", "--yes").code == 0
    assert drift_run(runner) == ("0", "0")
    assert issue["state"] == "closed"
