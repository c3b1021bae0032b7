"""Several subscriptions export into one folder: DIR/<subscription>/<resource group>.yaml, which
validate and plan read as one spec set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real `alertsync` command

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

SUB2 = "11111111-1111-1111-1111-111111111111"
GROUP2 = f"/subscriptions/{SUB2}/resourceGroups/rg-mon2/providers/Microsoft.Insights/actionGroups"


def _owned_group(short_name: str, **receivers: list[dict[str, str]]) -> dict[str, object]:
    """An action group body tagged for owner backup-alerts, with an email receiver `ops`."""
    return {
        "location": "Global",
        "tags": {"managed-by": "alertsync", "alertsync-owner": "backup-alerts"},
        "properties": {
            "groupShortName": short_name,
            "enabled": True,
            "emailReceivers": [{"name": "ops", "emailAddress": "ops@example.com"}],
            **receivers,
        },
    }


def _second_subscription(world: Emulator) -> None:
    body = _owned_group("second")
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB2,
                    "resourceGroups": [
                        {
                            "name": "rg-mon2",
                            "location": "japaneast",
                            "resources": [{"id": f"{GROUP2}/ag-second", "body": body}],
                        }
                    ],
                }
            ]
        }
    )


def test_two_subscriptions_export_into_one_folder_that_plans_clean(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    _second_subscription(world)
    run = alertsync(
        arm_env, tmp_path, "export", "--subscription", SUB, "--subscription", SUB2, "--out", "out"
    )
    assert run.code == 0, run.err
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*"))
    assert written == [
        SUB,
        f"{SUB}/rg-backup.yaml",
        f"{SUB}/rg-monitoring.yaml",
        SUB2,
        f"{SUB2}/rg-mon2.yaml",
    ]
    assert f"to out/{SUB2}: rg-mon2.yaml" in run.out
    assert alertsync(arm_env, tmp_path, "validate", "out").code == 0
    planned = alertsync(arm_env, tmp_path, "plan", "out", "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err


def test_resource_groups_belong_to_one_subscription(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    run = alertsync(
        arm_env,
        tmp_path,
        *("export", "--subscription", SUB, "--subscription", SUB2, "--resource-group", "rg-x"),
    )
    assert run.code != 0
    assert "--resource-group names groups of one subscription" in run.err
    assert not (tmp_path / "exported").exists()


def _pager_group(subscription: str, resource_group: str, url: str) -> dict[str, object]:
    """An owned action group `ag-pager` whose webhook receiver `pager` posts to url."""
    return {
        "id": f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/"
        "Microsoft.Insights/actionGroups/ag-pager",
        "body": _owned_group("pager", webhookReceivers=[{"name": "pager", "serviceUri": url}]),
    }


def test_webhooks_of_the_same_name_in_two_subscriptions_get_their_own_variables(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    # One variable for both would give both groups one URL: plan would then rewrite one of them.
    homes = {SUB: "rg-monitoring", SUB2: "rg-mon2"}
    urls = {SUB: "https://hooks.example.com/prod-key", SUB2: "https://hooks.example.com/dev-key"}
    _second_subscription(world)
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": sub,
                    "resourceGroups": [
                        {
                            "name": rg,
                            "location": "japaneast",
                            "resources": [_pager_group(sub, rg, urls[sub])],
                        }
                    ],
                }
                for sub, rg in homes.items()
            ]
        }
    )
    run = alertsync(
        arm_env, tmp_path, "export", "--subscription", SUB, "--subscription", SUB2, "--out", "out"
    )
    assert run.code == 0, run.err
    variables = {sub: f"ALERTSYNC_WEBHOOK_AG_PAGER_PAGER_SUB_{sub[:8].upper()}" for sub in homes}
    for sub, rg in homes.items():
        assert (
            f"serviceUriFromEnv: {variables[sub]}"
            in (tmp_path / "out" / sub / f"{rg}.yaml").read_text()
        )
        assert f"  {variables[sub]}  (webhook receiver" in run.out
    hooked = arm_env | {variables[sub]: url for sub, url in urls.items()}
    planned = alertsync(hooked, tmp_path, "plan", "out", "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err


def test_the_emulator_env_alone_lets_export_run_without_subscription_while_there_is_one(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    outside = {k: v for k, v in arm_env.items() if k != "AZURE_SUBSCRIPTION_ID"}
    alone = alertsync(outside | world.env(), tmp_path, "export", "--out", "out")
    assert alone.code == 0, alone.err
    assert "the only one this sign-in can see" not in alone.err  # the env file named it
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rg-backup.yaml",
        "rg-monitoring.yaml",
    ]
    _second_subscription(world)  # now none is "the" subscription: export asks which
    several = alertsync(outside | world.env(), tmp_path, "export", "--out", "-")
    assert several.code == 1
    assert "no subscription: this sign-in can see 2 (" in several.err
    assert SUB in several.err and SUB2 in several.err  # each named, with its display name
    assert "give --subscription ID for each to export" in several.err
    assert several.out == ""


def test_export_without_a_subscription_takes_the_only_one_the_sign_in_can_see(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    nameless = {k: v for k, v in arm_env.items() if k != "AZURE_SUBSCRIPTION_ID"}
    run = alertsync(nameless, tmp_path, "export", "--out", "out")
    assert run.code == 0, run.err
    assert f"Exporting {SUB}" in run.err and "the only one this sign-in can see" in run.err
    assert (tmp_path / "out" / "rg-monitoring.yaml").exists()
