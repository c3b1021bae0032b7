"""The planned state: desired changes applied over live, evaluated as `check` would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from provisioner.check.coverage import Estate, Evaluator
from provisioner.check.planned import planned_estate
from provisioner.model import EmailReceiver, Resource, VaultAlertSettings
from provisioner.sync.diff import Action, Change
from tests.builders import group, rule, vault_id

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VAULT = VaultAlertSettings(vault_id(), job_failure_alerts=True)
LIVE = Estate((VAULT,), (rule(),), {group().id: group()})


def change(action: Action, desired: Resource | None, live: Resource | None) -> Change:
    resource = desired or live
    assert resource is not None
    return Change(action, resource.id, desired, live, ())


def covered(estate: Estate) -> bool:
    return Evaluator(estate).at(estate.vaults[0], AT).covered


def test_live_is_covered() -> None:
    assert covered(LIVE)


def test_deleting_the_action_group_uncovers() -> None:
    after = planned_estate(LIVE, [change("delete", None, group())])
    assert not covered(after)
    assert [p.code for p in Evaluator(after).at(VAULT, AT).problems] == ["action-group-missing"]


def test_disabling_the_rule_uncovers_and_creating_one_covers() -> None:
    assert not covered(planned_estate(LIVE, [change("update", rule(enabled=False), rule())]))
    bare = Estate((VAULT,), (), {})
    created = [change("create", group(), None), change("create", rule(), None)]
    assert covered(planned_estate(bare, created))


def test_vault_settings_the_specs_leave_unmanaged_stay_as_live() -> None:
    unmanaged = VaultAlertSettings(vault_id(), job_failure_alerts=None)
    assert covered(planned_estate(LIVE, [change("update", unmanaged, VAULT)]))
    off = VaultAlertSettings(vault_id(), job_failure_alerts=False)
    assert not covered(planned_estate(LIVE, [change("update", off, VAULT)]))


def test_an_unsubscribed_receiver_stays_unsubscribed_when_its_group_is_rewritten() -> None:
    gone = (EmailReceiver("oncall", "oncall@example.com", True, status="Disabled"),)
    live = replace(LIVE, action_groups={group().id: group(email_receivers=gone)})
    rewritten = group(short_name="renamed")
    after = planned_estate(live, [change("update", rewritten, live.action_groups[group().id])])
    assert not covered(after)
    moved = group(email_receivers=(EmailReceiver("oncall", "new@example.com"),))
    assert covered(planned_estate(live, [change("update", moved, group())]))
