"""Plan: the ordered changes, their counts, the safety rules, a JSON form and its checksum."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from provisioner.fingerprint import fingerprint
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import Resource, Secret, resource_owner
from provisioner.sync import kinds
from provisioner.sync.diff import Change, Diff, Problem
from provisioner.sync.fields import to_json
from provisioner.sync.selectors import Match, matches_data

FORMAT_VERSION: Final = 1

# octoDNS's defaults: a plan that rewrites or deletes more than 30 % of what exists is refused
# unless forced, once there are enough resources for a fraction to mean something.
MAX_CHANGE_FRACTION: Final = 0.30
MIN_EXISTING_FOR_FRACTION: Final = 10


def kind_of(resource: Resource) -> Kind:
    return resource.KIND


def phase_of(change: Change) -> int:
    """Groups before the rules that use them; rules deleted before their groups."""
    resource = change.desired or change.live
    assert resource is not None
    kind = resource.KIND
    if change.action == "delete":
        assert kind.delete_phase is not None, f"{kind.label} is never deleted"
        return kind.delete_phase
    return kind.apply_phase


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]  # in apply order
    problems: tuple[Problem, ...]
    orphans: tuple[ResourceId, ...]
    unsafe: tuple[str, ...]  # why the plan is unsafe; empty when it is safe
    prune: bool = False  # the options it was made with: apply --plan reuses them
    adopt: bool = False
    force: bool = False  # a reviewer accepted its unsafe changes (plan --force)
    warnings: tuple[str, ...] = ()  # informational: not part of the checksum
    # Keys the secrets' fingerprints in the checksum (ALERTSYNC_FINGERPRINT_KEY); never shown.
    fingerprint_key: bytes | None = field(default=None, repr=False, compare=False)
    # The vaults each selector matched (their effect is in the changes): not in the checksum.
    selections: tuple[Match, ...] = ()
    adopt_from: str | None = None  # made with --adopt-from: this owner's resources handed over
    subscriptions: tuple[str, ...] = ()  # --subscription: where else the footprint was read

    @classmethod
    def build(
        cls,
        diff: Diff,
        live: Mapping[ResourceId, Resource],
        owners: Iterable[str],
        *,
        prune: bool = False,
        adopt: bool = False,
        force: bool = False,
        subscriptions: tuple[str, ...] = (),
        fingerprint_key: bytes | None = None,
        selections: tuple[Match, ...] = (),
        users: RuleUsers | None = None,
        adopt_from: str | None = None,
    ) -> Plan:
        """Order the diff's changes and judge them against the safety rules; `users` are the
        rules of the subscriptions whose action groups the plan deletes."""
        changes = tuple(sorted(diff.changes, key=lambda c: (phase_of(c), c.id)))
        unsafe = tuple(_safety_violations(changes, live, set(owners), users or RuleUsers()))
        return cls(
            changes,
            diff.problems,
            diff.orphans,
            unsafe,
            prune,
            adopt,
            force,
            diff.warnings,
            subscriptions=subscriptions,
            fingerprint_key=fingerprint_key,
            selections=selections,
            adopt_from=adopt_from,
        )

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def refused_as_unsafe(self) -> bool:
        """Unsafe, and no reviewer accepted it with --force: apply refuses it (exit 3)."""
        return bool(self.unsafe) and not self.force

    def summary(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "update", "adopt", "delete")}

    def to_data(self) -> dict[str, Any]:
        """The plan as versioned, JSON-ready data (no secrets, no timestamps).

        Deterministic: changes in apply order, problems and orphans as the diff found them.
        render_json writes the keys sorted (docs/plan-format.md).
        """
        data = self._content()
        data["warnings"] = list(self.warnings)
        data["selections"] = matches_data(self.selections)
        data["checksum"] = self.checksum()
        return data

    def _content(self) -> dict[str, Any]:
        return {
            "formatVersion": FORMAT_VERSION,
            "options": self._options(),
            "summary": self.summary(),
            "changes": [_change_data(c, self.fingerprint_key) for c in self.changes],
            "problems": [_problem_data(p) for p in self.problems],
            "orphans": [str(o) for o in self.orphans],
            "unsafe": list(self.unsafe),
        }

    def _options(self) -> dict[str, Any]:
        return {
            "prune": self.prune,
            "adopt": self.adopt,
            "force": self.force,
            "adoptFrom": self.adopt_from,
            "subscriptions": list(self.subscriptions),
        }

    def checksum(self) -> str:
        """A digest of what the plan would do: equal checksums mean the same changes.

        Secrets are folded into each change's `digest` as fingerprints (keyed, or slow and
        salted: provisioner.fingerprint), so a changed webhook URL changes the checksum while
        neither the plan file nor the checksum lets a reader confirm a guessed URL. Where the
        specs declare a resource (`source`, file:line) is left out: a plan made from `./specs`
        or from another working directory, or after a comment was edited, does the same.
        """
        return checksum_of(self._content())


# What the checksum covers: everything a plan file holds but `checksum`, `warnings` and
# `selections` (informational; their effect is in `changes`).
CHECKSUM_KEYS: Final = (
    "formatVersion",
    "options",
    "summary",
    "changes",
    "problems",
    "orphans",
    "unsafe",
)


def checksum_of(content: Mapping[str, Any]) -> str:
    """The checksum of plan content: a plan's, or a plan file's, whatever else it holds.

    A plan file holds everything its checksum covers, so `apply --plan` can tell a file that was
    edited from one that was not, even when the plan computed now differs (a re-run).
    """
    covered = {k: content[k] for k in CHECKSUM_KEYS if k in content}
    canonical = json.dumps(without_sources(covered), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def without_sources(content: dict[str, Any]) -> dict[str, Any]:
    """Plan data without the `source` (file:line) of its changes and problems.

    Also given a plan file's content, whatever it holds: what is not a list of objects is kept
    as it is (its checksum then simply differs).
    """
    stripped = dict(content)
    for key in ("changes", "problems"):
        items = content.get(key, [])
        if isinstance(items, list):
            stripped[key] = [_without_source(item) for item in items]
    return stripped


def _without_source(item: Any) -> Any:
    return {k: v for k, v in item.items() if k != "source"} if isinstance(item, dict) else item


def _change_data(change: Change, key: bytes | None) -> dict[str, Any]:
    resource = change.desired or change.live
    assert resource is not None
    data = {
        "action": change.action,
        "kind": kind_of(resource).name,
        "id": str(change.id),
        "name": change.id.name,
        "resourceGroup": change.id.resource_group,
        "subscription": change.id.subscription,
        "source": change.source,
        "fields": [
            {"path": f.path, "old": to_json(f.old), "new": to_json(f.new)} for f in change.fields
        ],
    }
    data["digest"] = _change_digest(data, change, key)
    return data


def _change_digest(data: Mapping[str, Any], change: Change, key: bytes | None) -> str:
    """The identity of one change, its secrets included (as digests): a re-run of `apply --plan`
    applies what remains only if each remaining change has the digest of a reviewed one."""
    shown = {k: v for k, v in data.items() if k != "source"}
    content = {"change": shown, "secrets": sorted(_secret_digests((change,), key))}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _problem_data(problem: Problem) -> dict[str, Any]:
    return {
        "id": str(problem.id),
        "code": problem.code,
        "message": problem.message,
        "source": problem.source,
    }


def _secret_digests(changes: Iterable[Change], key: bytes | None) -> Iterable[str]:
    for change in changes:
        for changed in change.fields:
            context = f"{str(change.id).lower()}\0{changed.path}"
            for value in (changed.old, changed.new):
                for secret in _secrets_in(value):
                    yield f"{changed.path}={fingerprint(secret.value, context, key)}"


def has_secrets(plan: Plan) -> bool:
    """Whether the plan's checksum depends on secrets (and so on ALERTSYNC_FINGERPRINT_KEY)."""
    values = (v for c in plan.changes for f in c.fields for v in (f.old, f.new))
    return any(next(iter(_secrets_in(v)), None) is not None for v in values)


def _secrets_in(value: Any) -> Iterable[Secret]:
    if isinstance(value, Secret):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secrets_in(item)


# --- safety -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleUsers:
    """Every alert processing rule of the subscriptions the plan deletes action groups in
    (managed or not, any owner), and the subscriptions whose rules could not be read (why)."""

    rules: Mapping[ResourceId, Resource] = field(default_factory=dict)
    unreadable: Mapping[str, str] = field(default_factory=dict)


def deleted_groups(changes: Iterable[Change]) -> frozenset[ResourceId]:
    """What a plan's changes delete that other resources may use (action groups)."""
    return frozenset(
        c.id
        for c in changes
        if c.action == "delete" and c.live is not None and c.live.KIND.depended_on
    )


def _safety_violations(
    changes: tuple[Change, ...],
    live: Mapping[ResourceId, Resource],
    owners: set[str],
    users: RuleUsers,
) -> Iterable[str]:
    yield from _too_many(changes, live, owners)
    for change in changes:
        yield from _risky(change)
    yield from _dangling_groups(changes, {**users.rules, **live})
    yield from _unchecked_users(changes, users)


def _too_many(
    changes: tuple[Change, ...], live: Mapping[ResourceId, Resource], owners: set[str]
) -> Iterable[str]:
    # Groups and rules this spec set owns, on both sides of the fraction: vault settings are
    # not owned (no tags) and an adopt takes over what nobody managed.
    existing = sum(1 for r in live.values() if _owned_by(r, owners))
    if existing < MIN_EXISTING_FOR_FRACTION:
        return
    for action, verb in (("delete", "deletes"), ("update", "updates")):
        count = sum(
            1
            for c in changes
            if c.action == action and c.live is not None and _owned_by(c.live, owners)
        )
        if count / existing > MAX_CHANGE_FRACTION:
            yield (
                f"too many {verb}: {count} of {existing} managed resources "
                f"({count / existing:.0%}, over {MAX_CHANGE_FRACTION:.0%})"
            )


def _owned_by(resource: Resource, owners: set[str]) -> bool:
    owner = resource_owner(resource)
    return owner is not None and owner in owners  # exact, as Azure compares tag values


def _risky(change: Change) -> Iterable[str]:
    """The safety rules of the changed resource's kind (provisioner.sync.behaviour)."""
    resource = change.desired or change.live
    assert resource is not None
    yield from kinds.of(resource).risks(change)


def _dangling_groups(
    changes: tuple[Change, ...], live: Mapping[ResourceId, Resource]
) -> Iterable[str]:
    """Deleting an action group that a rule will still use after the apply: a rule of these
    specs, or any other rule of the subscription (`live` holds them all when groups are deleted)."""
    deleted = deleted_groups(changes)
    if not deleted:
        return
    final = dict(live)  # what exists once the changes are applied
    for change in changes:
        final.pop(change.id, None)
        if change.desired is not None:
            final[change.id] = change.desired
    for rid, user in sorted(final.items()):
        for group in sorted(deleted & set(user.uses())):
            yield f"deletes {group.describe()} while {rid.describe()} still uses it"


def _unchecked_users(changes: tuple[Change, ...], users: RuleUsers) -> Iterable[str]:
    """A deleted group whose subscription's rules could not be read: the rule above cannot be
    checked, and a group some rule still uses must not go unnoticed."""
    for group in sorted(deleted_groups(changes)):
        why = users.unreadable.get(group.subscription.lower())
        if why is not None:
            yield (
                f"deletes {group.describe()}, and the rules of its subscription could not be "
                f"read to check that none uses it: {why}"
            )
