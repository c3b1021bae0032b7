"""Webhook URLs come from environment variables: a missing one is said once, naming every
receiver that needs it, by `validate` (a warning) and by `plan` (an error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import SUB, alertsync, write_spec

SPEC = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    actionGroups:
      - name: ag-oncall
        shortName: oncall
        webhookReceivers:
          - {{name: pagerduty, serviceUriFromEnv: BACKUP_PAGERDUTY_URL}}
          - {{name: chat, serviceUriFromEnv: BACKUP_CHAT_URL}}
      - name: ag-backup
        shortName: backup
        webhookReceivers:
          - {{name: pd-backup, serviceUriFromEnv: BACKUP_PAGERDUTY_URL}}
"""
PAGERDUTY = (
    "environment variable BACKUP_PAGERDUTY_URL is not set or empty: webhook receiver "
    "'pagerduty' of action group 'ag-oncall' takes its URL from it; also webhook receiver "
    "'pd-backup' of action group 'ag-backup' (specs/backup.yaml:14)"
)
CHAT = (
    "environment variable BACKUP_CHAT_URL is not set or empty: webhook receiver 'chat' of "
    "action group 'ag-oncall' takes its URL from it"
)


def mentions(text: str, variable: str) -> list[str]:
    return [line for line in text.splitlines() if variable in line]


@pytest.mark.smoke  # the real command, refused before Azure is read: cheap enough for test-fast
def test_validate_warns_once_per_missing_variable_naming_each_receiver(tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SPEC)
    run = alertsync({"BACKUP_CHAT_URL": " "}, tmp_path, "validate")
    assert run.code == 0, run.err  # validate needs no secrets: plan and apply do
    assert mentions(run.err, "BACKUP_PAGERDUTY_URL") == [
        f"specs/backup.yaml:9:46: warning: {PAGERDUTY}; plan and apply need it"
    ]
    assert mentions(run.err, "BACKUP_CHAT_URL") == [
        f"specs/backup.yaml:10:41: warning: {CHAT}; plan and apply need it"
    ]
    given = {"BACKUP_CHAT_URL": "https://chat.example/x", "BACKUP_PAGERDUTY_URL": "https://pd/x"}
    assert alertsync(given, tmp_path, "validate").err == ""


@pytest.mark.smoke  # the real command, refused before Azure is read: cheap enough for test-fast
def test_plan_fails_once_per_missing_variable_before_reading_azure(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SPEC)
    env = {k: v for k, v in arm_env.items() if not k.startswith("BACKUP_")}
    run = alertsync(env, tmp_path, "plan")
    assert run.code == 1
    assert mentions(run.err, "BACKUP_PAGERDUTY_URL") == [
        f"specs/backup.yaml:9:46: {PAGERDUTY} (at $.actionGroups[0].webhookReceivers[0]"
        ".serviceUriFromEnv)"
    ]
    assert len(mentions(run.err, "BACKUP_CHAT_URL")) == 1
