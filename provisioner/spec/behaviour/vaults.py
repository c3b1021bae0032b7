"""What a vault's alert settings mean to the spec stage: by name or by selector, and checks."""

from __future__ import annotations

from provisioner.errors import SpecProblem
from provisioner.ids import VAULT_TYPE
from provisioner.model import VaultAlertSettings
from provisioner.spec.behaviour.common import Flagged
from provisioner.spec.building import Builder, VaultSelection, resource_id
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry, home, vault_selector
from provisioner.spec.yaml_loader import JsonPath

_FULL_HOME = ("subscription", "resourceGroup")


def build(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> None:
    """A named vault is a resource; a selection applies to the vaults it matches at plan time."""
    if "select" in entry:
        builder.vault_selections.append(_vault_selection(doc, path, entry))
        return
    vault = VaultAlertSettings(
        id=resource_id(doc, entry, VAULT_TYPE),
        job_failure_alerts=entry.get("jobFailureAlerts"),
        classic_alerts=entry.get("classicAlerts"),
    )
    builder.add(doc, path, vault)
    builder.vaults.add(vault.id)


def _vault_selection(doc: SpecDocument, path: JsonPath, entry: Entry) -> VaultSelection:
    subscription, _ = home(doc, entry)
    assert subscription is not None  # guaranteed by the per-file checks
    return VaultSelection(
        selector=vault_selector(entry["select"], subscription),
        job_failure_alerts=entry.get("jobFailureAlerts"),
        classic_alerts=entry.get("classicAlerts"),
        source=doc.describe(path),
    )


def home_keys(entry: Entry) -> tuple[str, ...]:
    """A selection has no home group (it may give one inside `select`)."""
    return ("subscription",) if "select" in entry else _FULL_HOME


def check(doc: SpecDocument, path: JsonPath, vault: Entry, flags: Flagged) -> list[SpecProblem]:
    # Names and settings are fully checked by the schema; the home by semantic's home check.
    if "select" in vault and "resourceGroup" in vault:
        message = (
            "with select, give the resource group inside it (select: {resourceGroup: ...}): "
            "an entry's own resourceGroup belongs to a vault given by name"
        )
        return [doc.problem((*path, "resourceGroup"), message, at_key=True)]
    return []
