"""The export pipeline's I/O: read what a subscription holds with LIST calls, write the spec files."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType

from provisioner.azure.client import Azure
from provisioner.export.build import SCHEMA_URL, ExportError, Snapshot, SpecFile
from provisioner.ids import is_guid
from provisioner.local_files import kind_of, reason
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings
from provisioner.spec.files import find_spec_files

log = logging.getLogger(__name__)

SCHEMA_PATH = Path("schemas") / "alertsync.schema.json"

Listing = tuple[
    list[tuple[ActionGroup, tuple[str, ...]]], list[AlertProcessingRule], list[VaultAlertSettings]
]


def read_snapshot(
    azure: Azure, subscription: str, resource_groups: Sequence[str] = (), max_workers: int = 8
) -> Snapshot:
    """Everything exportable: three LISTs for the subscription, or three per resource group."""
    if not is_guid(subscription):
        raise ExportError(f"subscription {subscription!r} is not a subscription ID (a GUID)")
    if resource_groups:
        listings = _per_group(azure, subscription, resource_groups, max_workers)
    else:
        listings = [_whole_subscription(azure, subscription)]
    groups = [g for listing in listings for g in listing[0]]
    log.info("export: read %d listing(s) of subscription %s", len(listings), subscription)
    return Snapshot(
        subscription=subscription.lower(),
        action_groups=tuple(g for g, _ in groups),
        rules=tuple(r for listing in listings for r in listing[1]),
        vaults=tuple(v for listing in listings for v in listing[2]),
        unsupported=MappingProxyType({g.id: extra for g, extra in groups if extra}),
        resource_groups=tuple(resource_groups),
    )


def _whole_subscription(azure: Azure, subscription: str) -> Listing:
    return (
        azure.list_action_groups_in_subscription(subscription),
        azure.list_processing_rules_in_subscription(subscription),
        azure.list_vaults_in_subscription(subscription),
    )


def _per_group(
    azure: Azure, subscription: str, resource_groups: Sequence[str], max_workers: int
) -> list[Listing]:
    """The listed groups (each once, ignoring case), read concurrently; any failure is raised."""
    unique = list({rg.lower(): rg for rg in resource_groups}.values())
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="export") as pool:
        return list(pool.map(lambda rg: _one_group(azure, subscription, rg), unique))


def _one_group(azure: Azure, subscription: str, resource_group: str) -> Listing:
    """A missing group is an error here: the user named it (ResourceGroupNotFound says so)."""
    return (
        azure.list_action_groups_detailed(subscription, resource_group),
        azure.list_processing_rules(subscription, resource_group),
        azure.list_vaults(subscription, resource_group),
    )


def write_files(files: Sequence[SpecFile], out: Path, force: bool = False) -> list[Path]:
    """Write every file into `out` (created if needed); refuse to overwrite unless `force`.

    All targets are checked before the first is written, so a refusal leaves nothing half done.
    """
    targets = [out / f.name for f in files]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise ExportError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "use --force to overwrite, or another --out folder"
        )
    left = _other_spec_files(out, targets)
    if force and left:
        # Plan and apply read the whole folder: a file this export no longer writes would
        # still declare its resources, and apply would re-create what was deleted in Azure.
        raise ExportError(
            f"{out} also holds {', '.join(left)}, which this export does not write; they would "
            "still declare resources: delete them, or export into an empty folder"
        )
    for folder in dict.fromkeys([out, *(t.parent for t in targets)]):
        _refuse_non_folder(folder)
    _make_folder(out)
    for target, file in zip(targets, files, strict=True):
        _write(target, file.text)
    return targets


def _other_spec_files(out: Path, targets: Sequence[Path]) -> list[str]:
    """Spec files in `out` that are not among `targets`: those plan would read there too."""
    if not out.is_dir():
        return []
    written = {t.resolve() for t in targets}
    found, _ = find_spec_files([out])  # "no spec files here" is no concern of this check
    return [str(p.relative_to(out)) for p in found if p.resolve() not in written]


def _refuse_non_folder(folder: Path) -> None:
    """Something other than a folder where the spec files go: say what it is (`--out /dev/null`
    is a character device: nothing can be written into it)."""
    if folder.is_dir() or not os.path.lexists(folder):
        return
    try:
        mode = folder.stat().st_mode
    except OSError as error:  # a broken or looping symbolic link
        what = reason(error, folder).removeprefix("is ")
    else:
        what = "a file" if stat.S_ISREG(mode) else kind_of(mode)
    raise ExportError(
        f"cannot export into {folder}: it is {what}, not a folder; give --out a folder "
        "(created if missing), or --out - to print the specs"
    )


def _make_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:  # a file appeared since the check, or a parent is one
        raise ExportError(f"cannot export into {out}: a file is in the way") from error
    except OSError as error:
        raise ExportError(f"cannot create the folder {out}: {error.strerror}") from error
    if not os.access(out, os.W_OK):
        raise ExportError(f"cannot write into {out}: the folder is not writable")


def _write(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(exist_ok=True)  # DIR/<subscription>/ when several are exported
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ExportError(f"cannot write {target}: {error.strerror}") from error


def schema_reference(out: Path | None, cwd: Path | None = None) -> str:
    """The repo's schema relative to `out` when there is one (editors read it offline, as for
    the example specs); else the schema's published URL.
    """
    schema = (cwd or Path.cwd()) / SCHEMA_PATH
    if out is None or not schema.is_file():
        return SCHEMA_URL
    return Path(os.path.relpath(schema.resolve(), out.resolve())).as_posix()
