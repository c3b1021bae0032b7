"""Small builders of canonical model objects for pure tests (diff, plan, render)."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.ids import ACTION_GROUP_TYPE, PROCESSING_RULE_TYPE, VAULT_TYPE, ResourceId
from provisioner.model import (
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    ActionGroup,
    AlertProcessingRule,
    Condition,
    EmailReceiver,
    Resource,
    VaultAlertSettings,
    make_tags,
)

SUB = "00000000-0000-0000-0000-000000000000"
OWNER = "backup-alerts"


def owned_tags(owner: str = OWNER, **extra: str) -> tuple[tuple[str, str], ...]:
    return make_tags({MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: owner, **extra})


def group_id(name: str, rg: str = "rg-monitoring") -> ResourceId:
    return ResourceId.for_resource(SUB, rg, ACTION_GROUP_TYPE, name)


def rule_id(name: str, rg: str = "rg-monitoring") -> ResourceId:
    return ResourceId.for_resource(SUB, rg, PROCESSING_RULE_TYPE, name)


def vault_id(name: str = "RSV-JPE-LRS", rg: str = "rg-backup") -> ResourceId:
    return ResourceId.for_resource(SUB, rg, VAULT_TYPE, name)


def group(name: str = "ag-oncall", *, owner: str | None = OWNER, **kw: object) -> ActionGroup:
    defaults: dict[str, object] = {
        "short_name": name[:12],
        "email_receivers": (EmailReceiver("oncall", "oncall@example.com", True),),
        "tags": owned_tags(owner) if owner else (),
    }
    defaults.update(kw)
    return ActionGroup(id=group_id(name), **defaults)  # type: ignore[arg-type]


def rule(
    name: str = "apr-jobs",
    *,
    groups: tuple[str, ...] = ("ag-oncall",),
    owner: str | None = OWNER,
    **kw: object,
) -> AlertProcessingRule:
    defaults: dict[str, object] = {
        "scopes": (vault_id(),),
        "action_group_ids": tuple(sorted(group_id(g) for g in groups)),
        "conditions": (Condition.build("Severity", "Equals", ["Sev1"]),),
        "tags": owned_tags(owner) if owner else (),
    }
    defaults.update(kw)
    return AlertProcessingRule(id=rule_id(name), **defaults)  # type: ignore[arg-type]


def vault(job: bool | None = True, classic: bool | None = False) -> VaultAlertSettings:
    return VaultAlertSettings(vault_id(), job, classic)


@dataclass(frozen=True)
class State:
    """Satisfies both the desired and the live protocols of provisioner.sync.diff."""

    resources: dict[ResourceId, Resource] = field(default_factory=dict)
    sources: dict[ResourceId, str] = field(default_factory=dict)
    owners: frozenset[str] = frozenset({OWNER})
    missing_vaults: frozenset[ResourceId] = frozenset()
    missing_resource_groups: frozenset[ResourceId] = frozenset()
    missing_action_groups: frozenset[ResourceId] = frozenset()
    warnings: tuple[str, ...] = ()
    unsupported_receivers: dict[ResourceId, tuple[str, ...]] = field(default_factory=dict)
    reference_sources: dict[tuple[ResourceId, ResourceId], str] = field(default_factory=dict)


def state(*resources: Resource, **kw: object) -> State:
    by_id = {r.id: r for r in resources}
    sources = {r.id: f"specs/s.yaml:{i + 1}" for i, r in enumerate(resources)}
    return State(by_id, sources, **kw)  # type: ignore[arg-type]
