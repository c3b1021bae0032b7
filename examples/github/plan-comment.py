#!/usr/bin/env python3
"""The alertsync plan as one sticky PR comment and a step summary, both within GitHub's limits.

  render            plan.md (+ plan.json, the plan's exit code) → comment.md, and the step summary
  upsert            create or update THE comment carrying the marker on a pull request
  reviewed-checksum `checksum=…` and `force=true|false` (for $GITHUB_OUTPUT) from the sticky
                    comment of the PR merged as a commit
  checksum          print the checksum of a plan.json
  drift-issue       open or update THE drift issue (plan exit 2 or 3), close it when clean (0)

Standard library only, so the workflow needs nothing but Python. The GitHub API calls use
GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL as Actions sets them.
"""

# A script talks to its user: printing is its job.
# ruff: noqa: T201

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

MARKER = "<!-- alertsync-plan -->"
CHECKSUM_RE = re.compile(r"<!-- alertsync-checksum: (sha256:[0-9a-f]{64}) -->")
FORCE_MARKER = "<!-- alertsync-force: true -->"  # the reviewed plan was made with --force
DRIFT_MARKER = "<!-- alertsync-drift -->"
DRIFT_LABEL = "alertsync-drift"


class Finding(NamedTuple):
    """One thing the nightly run found: its sentence in the issue, its words in the title, and
    its Markdown report."""

    sentence: str
    title: str
    report: str


COMMENT_LIMIT = 65_536  # characters: GitHub refuses a longer issue comment body
COMMENT_BUDGET = 60_000  # room for the header and the truncation note
SUMMARY_LIMIT = 1024 * 1024  # bytes: GitHub drops a step summary over 1 MiB
SUMMARY_BUDGET = 1_000_000
BOT_LOGIN = "github-actions[bot]"  # only its comments are trusted: anyone can paste a marker
TITLES = {0: "no changes", 2: "changes pending", 3: "refused by a safety rule"}


def shard() -> str:
    """ALERTSYNC_SHARD: with specs sharded by subscription folder (alertsync-sharded.yml), the
    folder this job plans; each shard keeps a sticky comment and a reviewed checksum of its own.
    Empty when the specs are planned as one."""
    return os.environ.get("ALERTSYNC_SHARD", "").strip()


def marker() -> str:
    """The sticky comment's identity: one per pull request, or one per shard."""
    return f"<!-- alertsync-plan: {shard()} -->" if shard() else MARKER


def checksum_re() -> re.Pattern[str]:
    """The reviewed-checksum line of this comment (the shard's, when sharded)."""
    if not shard():
        return CHECKSUM_RE
    return re.compile(
        rf"<!-- alertsync-checksum: {re.escape(shard())}: (sha256:[0-9a-f]{{64}}) -->"
    )


def checksum_line(checksum: str) -> str:
    name = f"{shard()}: " if shard() else ""
    return f"<!-- alertsync-checksum: {name}{checksum} -->"


# --- render -----------------------------------------------------------------------------------


def truncate(text: str, budget: int, size: Callable[[str], int] = len) -> tuple[str, bool]:
    """At most `budget` (by `size`), cut at a line end, open <details> and code fences closed."""
    if size(text) <= budget:
        return text, False
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        if used + size(line) > budget:
            break
        kept.append(line)
        used += size(line)
    body = "".join(kept) or text[: budget // 4]  # one giant line: cut it (≤ 4 bytes a char)
    fence, details = open_blocks(body)
    if fence:
        body += f"\n{fence}\n"
    body += "\n</details>\n" * details
    return body, True


FENCE_RE = re.compile(r" {0,3}(`{3,})")
DETAILS_OPEN_RE = re.compile(r"<details[\s>]", re.IGNORECASE)
DETAILS_CLOSE_RE = re.compile(r"</details>\s*$", re.IGNORECASE)


def open_blocks(markdown: str) -> tuple[str | None, int]:
    """The code fence left open at the end (if any) and how many <details> are still open.

    Only lines that open or close a block count: a value in the plan may contain backticks or
    a `</details>` in its code span, mid-line, where they are text. The renderer puts each
    <details> and </details> at the start of its own line; a fence closes only with a run of
    backticks at least as long as the one that opened it (CommonMark).
    """
    fence: str | None = None
    details = 0
    for line in markdown.splitlines():
        run = FENCE_RE.match(line)
        if fence is not None:
            if run and len(run[1]) >= len(fence) and not line[run.end() :].strip():
                fence = None
        elif run:
            fence = run[1]
        elif DETAILS_OPEN_RE.match(line):
            details += 1
        elif DETAILS_CLOSE_RE.match(line):
            details = max(0, details - 1)
    return fence, details


def utf8_size(text: str) -> int:
    """Bytes, as GitHub measures the step summary."""
    return len(text.encode("utf-8"))


def read_plan(plan_json: Path | None) -> dict[str, Any]:
    """plan.json as data; empty when it was not written (the plan failed)."""
    if plan_json is None or not plan_json.is_file():
        return {}
    data: dict[str, Any] = json.loads(plan_json.read_text(encoding="utf-8"))
    return data


def read_checksum(plan_json: Path | None) -> str | None:
    """The plan's checksum, when plan.json was written (not when the plan failed)."""
    checksum = read_plan(plan_json).get("checksum")
    return str(checksum) if checksum else None


def forced(plan: dict[str, Any]) -> bool:
    return bool((plan.get("options") or {}).get("force"))


def force_note(plan: dict[str, Any], code: int, hint: str | None) -> str:
    """What the reviewers need to know about --force: accepted, or how to grant it."""
    if not plan.get("unsafe"):
        return ""
    if forced(plan):
        return "> [!IMPORTANT]\n> The unsafe changes below were accepted: this plan was made with `--force`.\n\n"
    if code == 3 and hint:
        return f"> [!IMPORTANT]\n> This plan is unsafe. To apply it anyway, {hint}.\n\n"
    return ""


def plan_text(markdown: Path, stderr: Path | None, code: int) -> str:
    """The Markdown plan, or the error output when alertsync failed."""
    text = markdown.read_text(encoding="utf-8") if markdown.is_file() else ""
    errors = stderr.read_text(encoding="utf-8").strip() if stderr and stderr.is_file() else ""
    if code in (0, 2) and text.strip():
        return text
    return f"{text}\n**alertsync failed (exit {code}):**\n\n```\n{errors or 'no output'}\n```\n"


def header(code: int, checksum: str | None, force: bool = False) -> str:
    """Marker lines (the comment's identity, the reviewed checksum and force) and a title."""
    lines = [marker()]
    if checksum and code in (0, 2):
        lines.append(checksum_line(checksum))
        if force:
            lines.append(FORCE_MARKER)
    title = f"alertsync plan `{shard()}`" if shard() else "alertsync plan"
    lines.append(f"## {title}: {TITLES.get(code, 'failed')} (exit {code})\n")
    return "\n".join(lines) + "\n"


def footer(truncated: bool, artifact_url: str | None, shown: int, total: int, unit: str) -> str:
    """Where the full plan is; said loudly when this one is cut."""
    where = (
        f"[the `alertsync-plan` artifact]({artifact_url})"
        if artifact_url
        else "the run's `alertsync-plan` artifact"
    )
    if truncated:
        return f"\n---\n⚠️ **Plan truncated** ({shown:,} of {total:,} {unit} shown): the full plan is in {where}.\n"
    return f"\n---\n<sub>Full plan (JSON, for `alertsync apply --plan`): {where}.</sub>\n"


def build(
    body: str,
    code: int,
    plan: dict[str, Any],
    artifact_url: str | None,
    *,
    budget: int,
    size: Callable[[str], int],
) -> str:
    """Header + (possibly truncated) plan + footer, within budget."""
    shown, truncated = truncate(body, budget, size)
    checksum = plan.get("checksum")
    return (
        header(code, str(checksum) if checksum else None, forced(plan))
        + shown
        + footer(
            truncated,
            artifact_url,
            size(shown),
            size(body),
            "characters" if size is len else "bytes",
        )
    )


def render(args: argparse.Namespace) -> int:
    """Write the comment body and append the step summary; never fails the job itself."""
    plan = read_plan(args.plan)
    checksum = read_checksum(args.plan)
    body = force_note(plan, args.exit_code, args.force_hint) + plan_text(
        args.markdown, args.stderr, args.exit_code
    )
    comment = build(body, args.exit_code, plan, args.artifact_url, budget=COMMENT_BUDGET, size=len)
    args.comment.write_text(comment, encoding="utf-8")
    summary_path = args.summary or os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        summary = build(
            body,
            args.exit_code,
            plan,
            args.artifact_url,
            budget=SUMMARY_BUDGET,
            size=utf8_size,
        )
        with open(summary_path, "a", encoding="utf-8") as out:
            out.write(summary)
    print(f"comment: {len(comment):,} characters; checksum {checksum or 'none'}")
    return 0


# --- GitHub API -------------------------------------------------------------------------------


def api(method: str, path: str, body: Any = None) -> Any:
    """One GitHub REST call with the workflow's token; JSON in and out."""
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def repo() -> str:
    return os.environ["GITHUB_REPOSITORY"]


def comments(pr: int) -> Iterator[dict[str, Any]]:
    """Every comment of the PR (pages of 100)."""
    page = 1
    while True:
        batch = api("GET", f"/repos/{repo()}/issues/{pr}/comments?per_page=100&page={page}")
        yield from batch
        if len(batch) < 100:
            return
        page += 1


def sticky(pr: int, bot: str) -> dict[str, Any] | None:
    """The bot's comment carrying the marker (this shard's, when sharded), if any."""
    for comment in comments(pr):
        if comment.get("user", {}).get("login") == bot and marker() in (comment.get("body") or ""):
            return comment
    return None


def upsert(args: argparse.Namespace) -> int:
    """Update the sticky comment in place (one comment per PR, never a stream of them)."""
    body = args.body.read_text(encoding="utf-8")
    if len(body) > COMMENT_LIMIT:
        print(
            f"error: comment is {len(body):,} characters, over {COMMENT_LIMIT:,}",
            file=sys.stderr,
        )
        return 1
    existing = sticky(args.pr, args.bot)
    if existing is None:
        created = api("POST", f"/repos/{repo()}/issues/{args.pr}/comments", {"body": body})
        print(f"created comment {created['id']}")
    else:
        api("PATCH", f"/repos/{repo()}/issues/comments/{existing['id']}", {"body": body})
        print(f"updated comment {existing['id']}")
    return 0


def reviewed_checksum(args: argparse.Namespace) -> int:
    """Print `checksum=…` and `force=…` of the plan reviewed on the PR that `sha` merged."""
    pulls = api("GET", f"/repos/{repo()}/commits/{args.sha}/pulls")
    merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == args.sha]
    if not merged:
        print(
            f"error: {args.sha} is not the merge of a pull request: nothing was reviewed",
            file=sys.stderr,
        )
        return 1
    pr = int(merged[0]["number"])
    comment = sticky(pr, args.bot)
    match = checksum_re().search(comment["body"]) if comment else None
    if comment is None or match is None:
        which = f" for shard {shard()!r}" if shard() else ""
        print(f"error: PR #{pr} has no successful alertsync plan comment{which}", file=sys.stderr)
        return 1
    print(f"checksum={match[1]}")
    print(f"force={'true' if FORCE_MARKER in comment['body'] else 'false'}")
    return 0


def checksum(args: argparse.Namespace) -> int:
    """Print the checksum of a plan file."""
    found = read_checksum(args.plan)
    if found is None:
        print(f"error: {args.plan} is not a plan file with a checksum", file=sys.stderr)
        return 1
    print(found)
    return 0


# --- drift issue ------------------------------------------------------------------------------


def drift_issue(args: argparse.Namespace) -> int:
    """One issue while Azure drifted from the specs or a vault's failures would reach nobody
    (now or within the check's window): opened, updated on each run, closed when both are clean."""
    if args.exit_code not in (0, 2, 3) or args.coverage_exit_code not in (0, 2):
        print(
            f"error: plan exit {args.exit_code}, check exit {args.coverage_exit_code}: "
            "a failed run says nothing about drift",
            file=sys.stderr,
        )
        return 1
    existing = next(
        (
            i
            for i in api(
                "GET",
                f"/repos/{repo()}/issues?state=open&labels={DRIFT_LABEL}&per_page=100",
            )
            if i.get("user", {}).get("login") == args.bot and DRIFT_MARKER in (i.get("body") or "")
        ),
        None,
    )
    findings = _drift_findings(args)
    if not findings:
        if existing is not None:
            note = "Azure matches the specs again and every vault's failures reach someone" + (
                f" ({args.run_url})" if args.run_url else ""
            )
            api(
                "POST",
                f"/repos/{repo()}/issues/{existing['number']}/comments",
                {"body": note},
            )
            api(
                "PATCH",
                f"/repos/{repo()}/issues/{existing['number']}",
                {"state": "closed"},
            )
            print(f"closed issue #{existing['number']}")
        return 0
    headline = " ".join(f.sentence for f in findings)
    report, _ = truncate("\n\n".join(f.report for f in findings), COMMENT_BUDGET)
    where = f"\n\nFound by {args.run_url}" if args.run_url else ""
    body = f"{DRIFT_MARKER}\n{headline}{where}\n\n{report}"
    if existing is None:
        new = {
            "title": _drift_title(findings),
            "body": body,
            "labels": [DRIFT_LABEL],
        }
        created = api("POST", f"/repos/{repo()}/issues", new)
        print(f"opened issue #{created['number']}")
    else:
        update = {"title": _drift_title(findings), "body": body}
        api("PATCH", f"/repos/{repo()}/issues/{existing['number']}", update)
        print(f"updated issue #{existing['number']}")
    return 0


def _drift_title(findings: list[Finding]) -> str:
    """Says which of the two the nightly run found, so the issue list tells them apart."""
    return "alertsync: " + " and ".join(f.title for f in findings)


def _drift_findings(args: argparse.Namespace) -> list[Finding]:
    """What the plan found when Azure differs, and the check when a vault is not covered;
    empty when neither found anything."""
    found = []
    if args.exit_code in (2, 3):
        plan = args.body.read_text(encoding="utf-8")
        found.append(
            Finding(
                f"Azure differs from the specs (plan exit {args.exit_code}).",
                "Azure drifted from the specs",
                plan,
            )
        )
    if args.coverage_exit_code == 2 and args.coverage is not None:
        coverage = args.coverage.read_text(encoding="utf-8")
        found.append(
            Finding(
                "A failed backup would reach nobody (check exit 2).", "a coverage gap", coverage
            )
        )
    return found


# --- command line -----------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The subcommands."""
    top = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = top.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="comment.md and the step summary from the plan")
    r.add_argument(
        "--markdown",
        type=Path,
        required=True,
        help="alertsync plan --format markdown output",
    )
    r.add_argument("--plan", type=Path, help="plan.json (alertsync plan --out), for the checksum")
    r.add_argument("--stderr", type=Path, help="alertsync's stderr, shown when it failed")
    r.add_argument("--exit-code", type=int, required=True, help="alertsync plan's exit code")
    r.add_argument("--artifact-url", help="link to the uploaded full plan")
    r.add_argument("--comment", type=Path, required=True, help="where to write the comment body")
    r.add_argument("--summary", help="step summary file (default: $GITHUB_STEP_SUMMARY)")
    r.add_argument("--force-hint", help="how a reviewer accepts an unsafe plan (exit 3)")
    r.set_defaults(run=render)
    u = sub.add_parser("upsert", help="create or update the sticky PR comment")
    u.add_argument("--pr", type=int, required=True)
    u.add_argument("--body", type=Path, required=True)
    u.add_argument("--bot", default=BOT_LOGIN, help="login whose comment is the sticky one")
    u.set_defaults(run=upsert)
    c = sub.add_parser("reviewed-checksum", help="checksum reviewed on the PR merged as --sha")
    c.add_argument("--sha", required=True)
    c.add_argument("--bot", default=BOT_LOGIN)
    c.set_defaults(run=reviewed_checksum)
    k = sub.add_parser("checksum", help="the checksum of a plan.json")
    k.add_argument("--plan", type=Path, required=True)
    k.set_defaults(run=checksum)
    d = sub.add_parser("drift-issue", help="open, update or close the drift issue")
    d.add_argument("--exit-code", type=int, required=True, help="plan --detailed-exitcode's")
    d.add_argument("--body", type=Path, required=True, help="the Markdown plan")
    d.add_argument("--coverage-exit-code", type=int, default=0, help="check --window's")
    d.add_argument("--coverage", type=Path, help="the Markdown check report")
    d.add_argument("--run-url", help="link to the run that found it")
    d.add_argument("--bot", default=BOT_LOGIN)
    d.set_defaults(run=drift_issue)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand."""
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
