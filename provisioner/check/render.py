"""The check report as text (a terminal), JSON (a pipeline) or Markdown (a pull request, a job)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from provisioner.check.coverage import Gap
from provisioner.check.report import CheckReport, VaultReport, iso
from provisioner.model import plural

OK: Final = "✓"
NOT_OK: Final = "✗"


def _where(vault: VaultReport) -> str:
    return f"{vault.id.name} (rg {vault.id.resource_group}, sub {vault.id.subscription})"


def _title(report: CheckReport) -> str:
    until = report.until
    window = f", and until {iso(until)}" if until is not None else ""
    subs = plural(len(report.subscriptions), "subscription")
    return f"Does a failed backup reach a person? {subs}, at {iso(report.at)}{window}:"


def summary_line(report: CheckReport) -> str:
    counts = report.summary()
    line = (
        f"{plural(counts['vaults'], 'vault')}: {counts['covered']} covered, "
        f"{counts['notCovered']} not covered"
    )
    if report.window is not None:
        line += f", {counts['withGaps']} with gaps in the window"
    return line + "."


def render_text(report: CheckReport, color: bool = False) -> str:
    """One line per vault (✓ and who gets mail, or ✗), each reason and gap indented below."""

    def paint(text: str, ok: bool) -> str:
        if not color:
            return text
        return f"\033[{32 if ok else 31}m{text}\033[0m"

    lines = [_title(report)]
    for vault in report.vaults:
        lines.append(paint(_vault_line(vault), vault.ok))
        lines += [f"    - {p.code}: {p.message}" for p in vault.problems]
        lines += [f"    - {_gap_text(g, vault)}" for g in vault.gaps]
    if not report.vaults:
        lines.append("No Recovery Services vault in these subscriptions.")
    lines += report.details
    lines += [f"warning: {w}" for w in report.warnings]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _vault_line(vault: VaultReport) -> str:
    if not vault.outcome.covered:
        return f"{NOT_OK} {_where(vault)}: not covered"
    mail = ", ".join(vault.outcome.emails)
    if vault.extra_problems and not vault.gaps:
        return f"{NOT_OK} {_where(vault)}: mails {mail}, but see the problems below"
    if vault.gaps:
        return f"{NOT_OK} {_where(vault)}: mails {mail} now, but not throughout the window"
    return f"{OK} {_where(vault)}: {mail}"


def _gap_text(gap: Gap, vault: VaultReport) -> str:
    """`gap FROM → UNTIL: code`, and the reason unless a problem above already says it."""
    said = any(p.message == gap.message for p in vault.problems)
    reason = "" if said else f": {gap.message}"
    return f"gap {iso(gap.start)} → {iso(gap.until)}: {gap.code}{reason}"


def render_json(report: CheckReport) -> str:
    return json.dumps(report.to_data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_markdown(report: CheckReport) -> str:
    """A table of every vault, then each problem and gap under its vault."""
    lines = [f"### {_title(report).rstrip(':')}", "", f"**{summary_line(report)}**", ""]
    lines += ["| | Vault | Resource group | Subscription | Mail goes to |", "|---|---|---|---|---|"]
    for vault in report.vaults:
        cells = [
            OK if vault.ok else NOT_OK,
            _cell(vault.id.name),
            _cell(vault.id.resource_group or ""),
            f"`{vault.id.subscription}`",
            _cell(", ".join(vault.outcome.emails)) or "nobody",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for vault in (v for v in report.vaults if v.problems or v.gaps):
        lines += ["", f"**{_cell(vault.id.name)}** (`{vault.id}`)", ""]
        lines += [f"- `{p.code}`: {_cell(p.message)}" for p in vault.problems]
        lines += [f"- {_cell(_gap_text(g, vault))}" for g in vault.gaps]
    lines += ["", *(f"    {d}" for d in report.details)] if report.details else []
    lines += ["", *(f"> warning: {_cell(w)}" for w in report.warnings)]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell or list item: no pipes, no line breaks, no HTML."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("\n", " ")
    )


RENDERERS: Final[dict[str, Callable[[CheckReport], str]]] = {
    "json": render_json,
    "markdown": render_markdown,
}
