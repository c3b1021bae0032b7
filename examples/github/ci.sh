#!/usr/bin/env bash
# The alertsync steps of alertsync.yml and drift.yml, kept in one script so a pipeline and its
# tests run the same commands. Copy next to plan-comment.py (the workflow's ALERTSYNC_CI_DIR).
#
#   ci.sh plan    validate, plan (Markdown + plan.json), render the PR comment and step summary.
#                 Exit 0 when the plan is 0 (no changes) or 2 (changes pending: that is what a PR
#                 is for); 1 when validate/plan failed; 3 when a safety rule refused (an unsafe
#                 plan without ALERTSYNC_FORCE=true, an ownership conflict).
#   ci.sh bind    (apply job, checksum mode) plan again and keep the plan as
#                 $ALERTSYNC_OUT/reviewed-plan.json only if its checksum is REVIEWED_CHECKSUM;
#                 exit 3 when it is not (stale). A no-op when that file exists already: a re-run
#                 restored it, and `apply --plan` applies what remains of it.
#   ci.sh apply   apply exactly the reviewed plan: REVIEWED_PLAN (a plan.json), else the file
#                 `bind` kept; exit 3 when it went stale.
#   ci.sh drift   (scheduled) plan with --detailed-exitcode into $ALERTSYNC_OUT/drift.md, then
#                 `check --window $ALERTSYNC_DRIFT_WINDOW` (default 7d; empty: no check) into
#                 $ALERTSYNC_OUT/coverage.md: a vault nobody would hear about (a new one no rule
#                 covers) or a gap coming in the window (a rule that expires) is coverage-exit-code=2.
#                 Exit 0 when both ran (clean or not: exit-code=2, or 3 when the drift is refused),
#                 1 when either failed.
#
# Environment: ALERTSYNC_SPECS (default specs), ALERTSYNC_OUT (default alertsync-out),
# ALERTSYNC_FORCE (true: plan with --force, a reviewer accepted unsafe changes),
# ALERTSYNC_FORCE_HINT (how a reviewer grants that, shown when the plan is unsafe),
# ALERTSYNC_ARTIFACT_URL (link to the uploaded plan), ALERTSYNC_DRIFT_WINDOW (drift: how far ahead
# `check --window` looks), PYTHON (default python3), GITHUB_OUTPUT
# and GITHUB_STEP_SUMMARY as Actions sets them. Webhook URLs: the variables the specs name
# (serviceUriFromEnv), mapped from the CI's secrets into the step's environment.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
specs=${ALERTSYNC_SPECS:-specs}
out=${ALERTSYNC_OUT:-alertsync-out}
python=${PYTHON:-python3}
force=()
force_flag=${ALERTSYNC_FORCE:-false}
if [[ ${force_flag,,} == true ]]; then force=(--force); fi # Azure DevOps writes True

output() { # name=value for later steps (a no-op outside Actions)
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "$1" >>"$GITHUB_OUTPUT"; fi
}

render() { # render EXIT_CODE: comment.md + step summary from what plan/validate left in $out
  "$python" "$here/plan-comment.py" render \
    --markdown "$out/plan.md" --plan "$out/plan.json" --stderr "$out/plan.err" \
    --exit-code "$1" --comment "$out/comment.md" \
    ${ALERTSYNC_ARTIFACT_URL:+--artifact-url "$ALERTSYNC_ARTIFACT_URL"} \
    ${ALERTSYNC_FORCE_HINT:+--force-hint "$ALERTSYNC_FORCE_HINT"}
}

plan() {
  mkdir -p "$out"
  rm -f "$out/plan.md" "$out/plan.json" "$out/plan.err" "$out/comment.md"
  local code=0
  # validate first: it reports every problem with FILE:LINE:COL, and needs no Azure access.
  alertsync validate "$specs" 2>"$out/plan.err" || code=$?
  if ((code == 0)); then
    alertsync plan "$specs" --format markdown --out "$out/plan.json" --detailed-exitcode \
      "${force[@]}" >"$out/plan.md" 2>>"$out/plan.err" || code=$?
  fi
  cat "$out/plan.err" >&2
  render "$code"
  output "exit-code=$code"
  output "has-changes=$([[ $code == 2 ]] && echo true || echo false)"
  case $code in
    0 | 2) return 0 ;; # 2 = changes pending: success for a plan job, never swallowed otherwise
    *) return "$code" ;;
  esac
}

bind() {
  local kept="$out/reviewed-plan.json" fresh="$out/main-plan.json" checksum
  if [[ -f $kept ]]; then
    echo "Using the reviewed plan kept by an earlier attempt: $kept"
    return 0
  fi
  if [[ -z ${REVIEWED_CHECKSUM:-} ]]; then
    echo "error: no reviewed plan: set REVIEWED_CHECKSUM (or REVIEWED_PLAN for ci.sh apply)" >&2
    return 1
  fi
  mkdir -p "$out"
  alertsync plan "$specs" --out "$fresh" "${force[@]}" >/dev/null
  checksum=$("$python" "$here/plan-comment.py" checksum --plan "$fresh")
  if [[ $checksum != "$REVIEWED_CHECKSUM" ]]; then
    echo "error: the reviewed plan is stale: the plan made now has checksum $checksum, the pull" \
      "request reviewed $REVIEWED_CHECKSUM; plan again in a new pull request" >&2
    return 3
  fi
  mv "$fresh" "$kept"
}

apply() {
  local plan_file=${REVIEWED_PLAN:-$out/reviewed-plan.json}
  if [[ ! -f $plan_file ]]; then
    echo "error: no reviewed plan at $plan_file: set REVIEWED_PLAN, or run ci.sh bind first" >&2
    return 1
  fi
  # The plan file carries its own options: --force only when the reviewed plan was forced.
  alertsync apply "$specs" --yes --plan "$plan_file"
}

drift() {
  mkdir -p "$out"
  rm -f "$out/drift.md" "$out/drift.json" "$out/coverage.md"
  local code=0 coverage=0 window=${ALERTSYNC_DRIFT_WINDOW-7d}
  alertsync plan "$specs" --format markdown --out "$out/drift.json" --detailed-exitcode \
    >"$out/drift.md" || code=$?
  output "exit-code=$code"
  case $code in
    0 | 2 | 3) ;; # clean, drifted, drifted into something apply refuses: all reported
    *) return "$code" ;;
  esac
  if [[ -n $window ]]; then
    # What no plan shows: vaults no rule covers, rules that expire, schedules that leave gaps.
    alertsync check "$specs" --window "$window" --format markdown >"$out/coverage.md" ||
      coverage=$?
  fi
  output "coverage-exit-code=$coverage"
  case $coverage in
    0 | 2) return 0 ;; # every vault covered throughout the window, or the gaps reported
    *) return "$coverage" ;;
  esac
}

case ${1:-} in
  plan) plan ;;
  bind) bind ;;
  apply) apply ;;
  drift) drift ;;
  *)
    echo "usage: $0 plan|bind|apply|drift" >&2
    exit 1
    ;;
esac
