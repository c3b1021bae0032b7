"""The AlertsyncError hierarchy: every failure the CLI turns into a message and an exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provisioner.ids import ResourceId


class AlertsyncError(Exception):
    """Base of every error alertsync reports to the user (never with a traceback)."""

    exit_code: int = 1


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One problem found in a spec file, located precisely enough for an editor to jump to it.

    A json_path of "" marks a problem with the path itself (a folder that cannot be read, a
    broken link): it has no line to show.
    """

    path: str
    line: int
    column: int
    message: str
    json_path: str = "$"

    def __str__(self) -> str:
        if not self.json_path:
            return f"{self.path}: {self.message}"
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.message} (at {self.json_path})"


@dataclass(frozen=True, slots=True)
class UnshownProblems(SpecProblem):
    """The last line of a file's problems when there were more than can usefully be shown."""

    count: int = 0


class SpecError(AlertsyncError):
    """The specs are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        total = sum(p.count if isinstance(p, UnshownProblems) else 1 for p in problems)
        super().__init__(f"{total} problem(s) in the specs")


class SafetyError(AlertsyncError):
    """A safety rule refused the operation (exit code 3)."""

    exit_code = 3


class UnsafePlan(SafetyError):
    """The plan deletes or rewrites too much, or does a risky thing; --force overrides."""


class StalePlan(SafetyError):
    """Live Azure changed since the reviewed plan was made."""


class OwnershipConflict(SafetyError):
    """A declared resource exists but is not managed by this owner."""


class AzureError(AlertsyncError):
    """An Azure (or emulator) request failed; the message names the operation and resource.

    `detail` is the same message without the operation: what Azure said and what to do, for
    callers that already show which resource it is about. `status` is the HTTP status of the
    answer (None when there was none: network, sign-in) and `code` ARM's error code (e.g.
    "ResourceGroupNotFound", "AuthorizationFailed"), so callers never need the SDK's exception.
    """

    def __init__(
        self,
        message: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.detail = detail if detail is not None else message
        self.status = status
        self.code = code


class ResourceGroupNotFound(AzureError):
    """A list found no such resource group; `resource_group` says which.

    Decision: the list methods always raise it (there is no missing-ok flag). It is an
    AzureError, so the CLI shows its one sentence; callers that tolerate a missing group
    (read_live, which reports it in LiveState.missing_resource_groups) catch this subclass.
    """

    def __init__(self, message: str, resource_group: ResourceId) -> None:
        super().__init__(message, status=404, code="ResourceGroupNotFound")
        self.resource_group = resource_group


class NotSent(AlertsyncError):
    """A write was not sent because the apply was interrupted while it waited (throttling)."""
