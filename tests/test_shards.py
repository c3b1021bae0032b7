"""Sharding by subscription (examples/github/alertsync-sharded.yml): two shards run side by side.

The workflow's own `run:` steps run for two subscription folders at once against the emulator,
with ARM's write buckets enforced and sized so that each shard fits its own subscription's
bucket but the two together would not fit one. Both converge, each keeps its own sticky comment
and checksum, and the emulator's buckets show that each shard spent only its own subscription's
tokens: no 429, no waiting on the other. Nothing here is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.world import World, subscription_id
from provisioner.emulator import Emulator
from tests.test_gitops_example import EXPRESSIONS, FakeGitHub, expand, github, plan_comment

__all__ = ["github"]  # the fake GitHub API fixture

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / "examples" / "github" / "alertsync-sharded.yml"
ADO = REPO / "examples" / "azure-devops" / "azure-pipelines-sharded.yml"
PR, SHA = 11, "e" * 40
WORLD = World(subscriptions=2, vaults=60)  # per shard: 5 action groups + 30 rules = 35 writes
WRITES_PER_SHARD = 35
BUCKET = 50  # one shard's 35 writes fit; both shards' 70 would not
SHARDS = ("sub-0", "sub-1")


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


@dataclass
class ShardRunner:
    """Starts the workflow's steps for one shard (matrix.shard) in a checkout-like folder."""

    folder: Path
    env: dict[str, str]
    tmp: Path

    def start(self, job: str, name: str, shard: str = "", **extra: str) -> subprocess.Popen[str]:
        spec = next(s for s in workflow()["jobs"][job]["steps"] if s.get("name") == name)
        values = {
            **EXPRESSIONS,  # the unsharded workflow's: no force label, the webhook secret
            "matrix.shard": shard,
            "github.event.pull_request.number": str(PR),
            **extra,
        }
        env = dict(self.env)
        for layer in (workflow()["env"], workflow()["jobs"][job].get("env"), spec.get("env")):
            env |= {k: expand(str(v), values) for k, v in (layer or {}).items()}
        env["ALERTSYNC_CI_DIR"] = str(REPO / "examples" / "github")
        env["GITHUB_OUTPUT"] = str(self.tmp / f"output-{job}-{shard or 'all'}.txt")
        env["GITHUB_STEP_SUMMARY"] = str(self.tmp / f"summary-{shard or 'all'}.md")
        script = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
        return subprocess.Popen(
            [*script, expand(spec["run"], values)],
            cwd=self.folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def outputs(self, job: str, shard: str = "") -> dict[str, str]:
        text = (self.tmp / f"output-{job}-{shard or 'all'}.txt").read_text(encoding="utf-8")
        return dict(line.split("=", 1) for line in text.splitlines())


def finish(*processes: subprocess.Popen[str]) -> list[tuple[int, str, str]]:
    """Wait for every process (they ran concurrently): (exit code, stdout, stderr) each."""
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        results.append((process.returncode, out, err))
    return results


@pytest.fixture
def runner(emulator: Emulator, tmp_path: Path, github: tuple[FakeGitHub, str]) -> ShardRunner:
    folder = tmp_path / "checkout"
    for sub, shard in enumerate(SHARDS):
        (folder / "specs" / shard).mkdir(parents=True)
        text = yaml.safe_dump(WORLD.spec(sub), sort_keys=False)
        (folder / "specs" / shard / "monitoring.yaml").write_text(text, encoding="utf-8")
    env = {**os.environ, **emulator.env(), "NO_COLOR": "1", "PYTHON": sys.executable}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env |= {"GITHUB_API_URL": github[1], "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": SHA}
    return ShardRunner(folder, env, tmp_path)


@pytest.mark.slow  # end-to-end: the workflow's steps, two shards of a 60-vault world
def test_two_shards_plan_and_apply_side_by_side_each_in_its_own_bucket(
    emulator: Emulator, runner: ShardRunner, github: tuple[FakeGitHub, str]
) -> None:
    control = emulator.control
    control.reset(WORLD.seed())
    control.set_throttling(True, {"writes": (BUCKET, 0.001)})  # (almost) no refill
    fake = github[0]

    listed = finish(runner.start("shards", "List the subscription folders"))
    assert listed[0][0] == 0, listed[0][2]
    assert json.loads(runner.outputs("shards")["shards"]) == list(SHARDS)

    plans = finish(*(runner.start("plan", "Validate and plan", s) for s in SHARDS))
    for shard, (code, _, err) in zip(SHARDS, plans, strict=True):
        assert code == 0, err
        assert runner.outputs("plan", shard)["exit-code"] == "2"  # changes pending
        upsert = finish(runner.start("plan", "Sticky PR comment", shard))[0]
        assert upsert[0] == 0, upsert[2]
    bodies = {c["body"].splitlines()[0]: c["body"] for c in fake.comments}
    assert sorted(bodies) == [f"<!-- alertsync-plan: {s} -->" for s in SHARDS]
    assert (
        "## alertsync plan `sub-1`: changes pending (exit 2)"
        in bodies["<!-- alertsync-plan: sub-1 -->"]
    )

    fake.merged[SHA] = PR
    checksums = {}
    for shard in SHARDS:
        found = finish(runner.start("apply", "Find the reviewed plan's checksum", shard))[0]
        assert found[0] == 0, found[2]
        checksums[shard] = runner.outputs("apply", shard)["checksum"]
    assert len(set(checksums.values())) == 2  # each shard applies its own reviewed plan

    control.clear_requests()
    bound = finish(
        *(
            runner.start(
                "apply",
                "Bind to the reviewed plan",
                s,
                **{
                    "steps.reviewed.outputs.checksum": checksums[s],
                    "steps.reviewed.outputs.force": "false",
                },
            )
            for s in SHARDS
        )
    )
    for code, _, err in bound:
        assert code == 0, err
    applies = finish(*(runner.start("apply", "Apply the reviewed plan", s) for s in SHARDS))
    for code, out, err in applies:
        assert code == 0, err
        assert f"Apply complete: {WRITES_PER_SHARD} done, 0 failed" in out

    # Neither shard touched the other's bucket: ARM never refused, and each subscription's
    # write bucket lost exactly its own shard's writes.
    log = control.requests()
    assert [r for r in log if r["status"] == 429] == []
    for sub in range(len(SHARDS)):
        sid = subscription_id(sub)
        written = [r for r in log if r["method"] == "PUT" and sid in r["path"]]
        assert len(written) == WRITES_PER_SHARD
        tokens = emulator.state.throttle.buckets[(sid, "writes")].tokens
        assert BUCKET - WRITES_PER_SHARD <= tokens < BUCKET - WRITES_PER_SHARD + 1

    replans = finish(*(runner.start("plan", "Validate and plan", s) for s in SHARDS))
    for shard, (code, _, err) in zip(SHARDS, replans, strict=True):
        assert code == 0, err
        assert runner.outputs("plan", shard)["exit-code"] == "0"  # converged


def test_a_shard_without_its_own_comment_has_nothing_reviewed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another shard's checksum must never be taken for this one's.
    checksum = "sha256:" + "a" * 64
    monkeypatch.setenv("ALERTSYNC_SHARD", "sub-0")
    other = plan_comment.checksum_line(checksum)
    monkeypatch.setenv("ALERTSYNC_SHARD", "sub-1")
    assert plan_comment.checksum_re().search(other) is None
    assert plan_comment.checksum_re().search(plan_comment.checksum_line(checksum))
    assert plan_comment.marker() == "<!-- alertsync-plan: sub-1 -->"
    monkeypatch.delenv("ALERTSYNC_SHARD")
    assert plan_comment.CHECKSUM_RE.search(other) is None  # nor for the unsharded comment's


def test_the_azure_devops_strategy_fans_out_per_shard_with_its_own_plan() -> None:
    pipeline = yaml.safe_load(ADO.read_text(encoding="utf-8"))
    plan_stage, apply_stage = pipeline["stages"]
    shards, plan = plan_stage["jobs"]
    assert "legs.matrix" in plan["strategy"]["matrix"] and plan["dependsOn"] == "shards"
    assert plan["variables"]["ALERTSYNC_SPECS"] == "specs/$(shard)"
    assert plan["steps"][-1]["artifact"] == "alertsync-plan-$(shard)"
    apply = apply_stage["jobs"][0]
    assert "stageDependencies.Plan.shards" in apply["strategy"]["matrix"]
    assert apply["steps"][1]["artifact"] == "alertsync-plan-$(shard)"
    applied = apply["steps"][-1]
    assert applied["inputs"]["azureSubscription"] == "$(APPLY_CONNECTION)"
    assert applied["env"]["REVIEWED_PLAN"].endswith("alertsync-plan-$(shard)/plan.json")
    assert "find specs" in shards["steps"][1]["script"]
