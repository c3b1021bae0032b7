#!/usr/bin/env bash
# The alertsync steps of alertsync.yml, kept in one script so a pipeline and its tests run the
# same commands. Copy next to plan-comment.py (the workflow's ALERTSYNC_CI_DIR).
#
#   ci.sh plan    validate, plan (Markdown + plan.json), render the PR comment and step summary.
#                 Exit 0 when the plan is 0 (no changes) or 2 (changes pending: that is what a PR
#                 is for); 1 when validate/plan failed; 3 when a safety rule refused.
#   ci.sh apply   apply exactly the reviewed plan: REVIEWED_PLAN (a plan.json) or
#                 REVIEWED_CHECKSUM (from the PR comment); exit 3 when it went stale.
#
# Environment: ALERTSYNC_SPECS (default specs), ALERTSYNC_OUT (default alertsync-out),
# ALERTSYNC_ARTIFACT_URL (link to the uploaded plan), PYTHON (default python3), GITHUB_OUTPUT
# and GITHUB_STEP_SUMMARY as Actions sets them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
specs=${ALERTSYNC_SPECS:-specs}
out=${ALERTSYNC_OUT:-alertsync-out}
python=${PYTHON:-python3}

output() { # name=value for later steps (a no-op outside Actions)
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "$1" >>"$GITHUB_OUTPUT"; fi
}

render() { # render EXIT_CODE: comment.md + step summary from what plan/validate left in $out
  "$python" "$here/plan-comment.py" render \
    --markdown "$out/plan.md" --plan "$out/plan.json" --stderr "$out/plan.err" \
    --exit-code "$1" --comment "$out/comment.md" ${ALERTSYNC_ARTIFACT_URL:+--artifact-url "$ALERTSYNC_ARTIFACT_URL"}
}

plan() {
  mkdir -p "$out"
  rm -f "$out/plan.md" "$out/plan.json" "$out/plan.err" "$out/comment.md"
  local code=0
  # validate first: it reports every problem with FILE:LINE:COL, and needs no Azure access.
  alertsync validate "$specs" 2>"$out/plan.err" || code=$?
  if ((code == 0)); then
    alertsync plan "$specs" --format markdown --out "$out/plan.json" --detailed-exitcode \
      >"$out/plan.md" 2>"$out/plan.err" || code=$?
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

apply() {
  if [[ -n ${REVIEWED_PLAN:-} ]]; then
    alertsync apply "$specs" --yes --plan "$REVIEWED_PLAN"
  elif [[ -n ${REVIEWED_CHECKSUM:-} ]]; then
    alertsync apply "$specs" --yes --checksum "$REVIEWED_CHECKSUM"
  else
    echo "error: no reviewed plan: set REVIEWED_PLAN or REVIEWED_CHECKSUM" >&2
    return 1
  fi
}

case ${1:-} in
  plan) plan ;;
  apply) apply ;;
  *)
    echo "usage: $0 plan|apply" >&2
    exit 1
    ;;
esac
