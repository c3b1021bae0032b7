"""The registry of resource kinds: what each is called, its spec section, ARM type and apply order.

The pure half of each kind: every stage asks here instead of keeping its own table. The model's
classes name their kind (`ActionGroup.KIND`); the SDK half (operations, to_arm/from_arm) is
registered by provisioner.azure.kinds, the sync half (field tree, safety rules) by
provisioner.sync.kinds, the spec half (an entry as the model, its checks) by provisioner.spec.kinds.

A new kind: docs/adding-a-kind.md lists every file it touches, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Kind:
    """What the stages need to know of one resource kind, without the kind's own fields."""

    name: str  # in plan files (JSON "kind"): "actionGroup"
    label: str  # in sentences: "action group"
    section: str  # the spec file's section: "actionGroups"
    arm_type: str  # "Microsoft.Insights/actionGroups"
    # Creates and updates run phase by phase, in this order (groups before the rules using them).
    apply_phase: int
    # Deletes run in this phase (rules before the groups they use); None: alertsync never
    # deletes this kind, nor adopts or prunes it (it manages only some settings of it).
    delete_phase: int | None = None
    change_label: str = ""  # how a plan's change names it, when not `label`
    # Resources of other kinds use it (a rule adds action groups): deleting one is checked
    # against every resource of its subscription that may still use it.
    depended_on: bool = False

    @property
    def owned(self) -> bool:
        """Created, adopted and pruned by alertsync, its owner recorded in tags."""
        return self.delete_phase is not None

    @property
    def plural(self) -> str:
        """The label of several: "action groups"."""
        return f"{self.label}s"

    @property
    def change_noun(self) -> str:
        return self.change_label or self.label


ACTION_GROUP: Final = Kind(
    name="actionGroup",
    label="action group",
    section="actionGroups",
    arm_type="Microsoft.Insights/actionGroups",
    apply_phase=1,
    delete_phase=5,
    depended_on=True,
)
PROCESSING_RULE: Final = Kind(
    name="alertProcessingRule",
    label="alert processing rule",
    section="alertProcessingRules",
    arm_type="Microsoft.AlertsManagement/actionRules",
    apply_phase=2,
    delete_phase=4,
)
VAULT: Final = Kind(
    name="vaultAlertSettings",
    label="vault",
    section="vaults",
    arm_type="Microsoft.RecoveryServices/vaults",
    apply_phase=3,
    change_label="vault alert settings",
)

# In the order the spec sections come (and summaries list them).
KINDS: Final = (ACTION_GROUP, PROCESSING_RULE, VAULT)

_BY_ARM_TYPE: Final = {kind.arm_type.lower(): kind for kind in KINDS}
_BY_SECTION: Final = {kind.section: kind for kind in KINDS}


def by_arm_type(arm_type: str | None) -> Kind | None:
    """The kind of an ARM type, matched ignoring case as ARM does; None for any other type."""
    return _BY_ARM_TYPE.get((arm_type or "").lower())


def by_section(section: str) -> Kind:
    """The kind a spec section declares (KeyError for a name that is not a section)."""
    return _BY_SECTION[section]


def is_kind(arm_type: str | None, kind: Kind) -> bool:
    """True when `arm_type` is the ARM type of `kind` (ignoring case)."""
    return by_arm_type(arm_type) is kind
