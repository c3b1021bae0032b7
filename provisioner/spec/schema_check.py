"""Validate a document against schemas/alertsync.schema.json and word each error for humans."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    # Untyped on purpose: types-jsonschema types every error attribute as `Any | Unset`, which
    # would force a cast on each of the dozens of reads below without catching anything.
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from provisioner.model import UNSUPPORTED_RECEIVER_KINDS
from provisioner.spec.yaml_loader import JsonPath

# In a checkout this is schemas/ at the top; in a wheel, the data package provisioner.schemas.
_CHECKOUT_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "alertsync.schema.json"

# Keys people carry over from ARM templates, other tools or typos seen in the wild (AMBA shipped
# `useCommonSchema`, which Azure ignored silently): the key each stands for (so "missing required
# key" is not said twice) and, where "did you mean" is not enough, what to say instead.
_KEYS_MEANT: dict[str, tuple[str, str | None]] = {
    "useCommonSchema": ("useCommonAlertSchema", None),
    "emailAddress": ("address", None),
    "groupShortName": ("shortName", None),
    "serviceUri": (
        "serviceUriFromEnv",
        "webhook URLs carry secrets and are never written in YAML: put the URL in an "
        "environment variable and name it in 'serviceUriFromEnv'",
    ),
}

_OPERATORS = {"equals", "notEquals", "contains", "doesNotContain"}

_TYPE_NAMES = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """A schema violation at a JSON path; at_key when it is about the key itself."""

    path: JsonPath
    message: str
    at_key: bool = False
    missing: str | None = None  # the required key this issue is about
    suggests: str | None = None  # the key an unknown key probably meant
    decisive: bool = False  # a wrong type or an empty text: other complaints about it are noise


@cache
def schema() -> dict[str, Any]:
    """The published spec schema."""
    loaded: dict[str, Any] = json.loads(_schema_text())
    return loaded


def _schema_text() -> str:
    if _CHECKOUT_SCHEMA.is_file():
        return _CHECKOUT_SCHEMA.read_text(encoding="utf-8")
    return files("provisioner.schemas").joinpath("alertsync.schema.json").read_text("utf-8")


@cache
def _validator() -> Draft202012Validator:
    # Imported here: only a document jsonschema-rs calls invalid needs jsonschema, and its
    # import is a tenth of a second at every start of plan or apply.
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    return Draft202012Validator(schema())


@cache
def _quick_validator() -> jsonschema_rs.Validator:
    """The schema compiled by jsonschema-rs (Rust)."""
    return jsonschema_rs.validator_for(schema())


def surely_valid(data: Any) -> bool:
    """True when jsonschema-rs finds data valid: then jsonschema finds nothing either, at a
    tenth of its time (a file of 2,000 rules takes jsonschema seconds).

    Its patterns follow ECMA-262, which is stricter than Python's `re` where the two differ
    (`\\w` is ASCII only, `$` does not match before a final line break), so on such text it says
    "invalid" and jsonschema decides; so does any value it cannot take (an integer past 64
    bits, infinity). tests/test_schema_quick.py holds the two to that.
    """
    try:
        return _quick_validator().is_valid(data)
    except Exception:  # a value it cannot convert: jsonschema decides
        return False


def schema_issues(data: Any) -> list[SchemaIssue]:
    """Every schema violation in data, worded for humans, in document order of their paths."""
    if surely_valid(data):
        return []
    issues: dict[tuple[JsonPath, str], SchemaIssue] = {}
    for error in _validator().iter_errors(data):
        for issue in _explain(error):
            issues.setdefault((issue.path, issue.message), issue)
    return _one_per_value(_without_echoes(list(issues.values())))


def _without_echoes(issues: list[SchemaIssue]) -> list[SchemaIssue]:
    """Drop "missing 'shortName'" where "unknown 'shortname'; did you mean 'shortName'?" says it."""
    meant = {(i.path[:-1], i.suggests) for i in issues if i.suggests}
    return [i for i in issues if not i.missing or (i.path, i.missing) not in meant]


def _one_per_value(issues: list[SchemaIssue]) -> list[SchemaIssue]:
    """Drop "'' does not match the name pattern" where "name must not be empty" says it (and
    "not one of: …" where "must be a string" does): one mistake, one message."""
    decided = {i.path for i in issues if i.decisive}
    return [i for i in issues if i.decisive or i.missing or i.path not in decided]


def _explain(error: ValidationError) -> Iterator[SchemaIssue]:
    path: JsonPath = tuple(error.absolute_path)
    if error.validator in ("oneOf", "anyOf"):
        yield from _explain_branches(error, path)
    elif error.validator == "additionalProperties":
        yield from _unknown_keys(error, path)
    elif error.validator == "required":
        for key in error.validator_value:
            if key not in error.instance:
                message = f"{_label(path)}: missing required key '{key}'"
                yield SchemaIssue(path, message, missing=key)
    elif "propertyNames" in error.schema_path:
        yield SchemaIssue((*path, error.instance), _message(error, ("tag name",)), at_key=True)
    else:
        yield SchemaIssue(path, _message(error, path), decisive=_is_decisive(error))


def _is_decisive(error: ValidationError) -> bool:
    return bool(
        error.validator == "type" or (error.validator == "minLength" and error.instance == "")
    )


def _explain_branches(error: ValidationError, path: JsonPath) -> Iterator[SchemaIssue]:
    """For oneOf/anyOf, explain the branch of the value's type rather than a wall of text."""
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(int(sub.schema_path[0]), []).append(sub)
    wrong_type = {
        index for index, errors in by_branch.items() if any(_is_root_type_error(e) for e in errors)
    }
    candidates = [errors for index, errors in by_branch.items() if index not in wrong_type]
    candidates = _branches_for_keys(error, candidates)
    if candidates and all(_only_missing(errors) for errors in candidates):
        # Every form is missing a key (anyOf required: resourceGroup or tags): name them all.
        keys = [k for errors in candidates for e in errors for k in e.validator_value]
        yield SchemaIssue(path, f"{_label(path)}: give {' or '.join(dict.fromkeys(keys))}")
    elif len(candidates) == 1:
        for sub in candidates[0]:
            yield from _explain(sub)
    elif not candidates and by_branch:
        yield SchemaIssue(path, _no_branch_message(error, path))
    else:
        chosen = _best_match(error.context or [error])
        yield SchemaIssue(tuple(chosen.absolute_path), _message(chosen, path))


def _branches_for_keys(
    error: ValidationError, candidates: list[list[ValidationError]]
) -> list[list[ValidationError]]:
    """Of several mapping forms, those whose keys include all the mapping's keys (a scope
    `{vaults: ...}` is a selector, not a vault with an unknown key); all when none does."""
    if not isinstance(error.instance, dict) or len(candidates) < 2:
        return candidates
    fitting = [
        errors
        for errors in candidates
        if not any(e.validator == "additionalProperties" and not e.relative_path for e in errors)
    ]
    return fitting or candidates


def _only_missing(errors: list[ValidationError]) -> bool:
    return all(e.validator == "required" and not e.relative_path for e in errors)


def _exclusive_message(error: ValidationError, label: str) -> str:
    keys = " and ".join(error.validator_value.get("required", ()))
    return f"{label}: give {keys.replace(' and ', ' or ')}, not both" if keys else error.message


def _is_root_type_error(error: ValidationError) -> bool:
    return error.validator == "type" and not error.relative_path


def _no_branch_message(error: ValidationError, path: JsonPath) -> str:
    expected = []
    for sub in error.context or ():
        if _is_root_type_error(sub):
            expected.append(_TYPE_NAMES.get(str(sub.validator_value), str(sub.validator_value)))
    forms = " or ".join(dict.fromkeys(expected))
    return f"{_label(path)} must be {forms}, not {_describe(error.instance)}"


def _unknown_keys(error: ValidationError, path: JsonPath) -> Iterator[SchemaIssue]:
    allowed = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key in allowed:
            continue
        # Receiver kinds the spec language does not have yet: saying so beats "did you mean
        # 'armRoleReceivers'?", which would send the user after the wrong key.
        if key in UNSUPPORTED_RECEIVER_KINDS and "emailReceivers" in allowed:
            message = f"{key} are not supported yet by alertsync (api 2023-01-01 has them)"
            yield SchemaIssue((*path, key), message, at_key=True)
            continue
        message = _unknown_key_message(key, allowed, _label(path))
        meant = _KEYS_MEANT[key][0] if key in _KEYS_MEANT else _close_key(key, allowed)
        yield SchemaIssue((*path, key), message, at_key=True, suggests=meant)


def _unknown_key_message(key: str, allowed: Sequence[str], label: str) -> str:
    if key in _OPERATORS and set(allowed) <= _OPERATORS:  # an operator its field does not take
        return f"operator '{key}' is not allowed for {label} (allowed: {', '.join(allowed)})"
    message = f"unknown key '{_brief(visible(key))}'"
    if not key.isprintable():
        message += " (it holds invisible characters, shown escaped)"
    if key in _KEYS_MEANT:
        meant, hint = _KEYS_MEANT[key]
        return f"{message}; {hint or f'did you mean {meant!r}?'}"
    close = _close_key(key, allowed)
    if close:
        return f"{message}; did you mean '{close}'?"
    return f"{message} (expected one of: {', '.join(allowed)})" if allowed else message


def visible(text: str) -> str:
    """text with each invisible or control character written as its escape (`\\u200b`):
    a key or name that looks right but is not must show why."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _close_key(key: str, allowed: Sequence[str]) -> str | None:
    same_but_case = [a for a in allowed if a.lower() == key.lower()]
    close = same_but_case or difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _message(error: ValidationError, path: JsonPath) -> str:
    explain = _MESSAGES.get(str(error.validator))
    return explain(error, _label(path)) if explain else f"{_label(path)}: {error.message}"


def _type_message(error: ValidationError, label: str) -> str:
    expected = error.validator_value
    names = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    hint = ""
    if "string" in names and isinstance(error.instance, bool):
        hint = "; put it in quotes (YAML reads unquoted true and false as booleans)"
    elif "string" in names and isinstance(error.instance, int | float):
        hint = "; put it in quotes (YAML reads unquoted digits as a number, dropping leading zeros)"
    return f"{label} must be {wanted}, not {_describe(error.instance)}{hint}"


def _enum_message(error: ValidationError, label: str) -> str:
    choices = ", ".join(str(v) for v in error.validator_value)
    if label == "apiVersion":
        return f"unknown apiVersion {error.instance!r}; this alertsync understands: {choices}"
    return f"{label} {error.instance!r} is not one of: {choices}"


def _pattern_message(error: ValidationError, label: str) -> str:
    hint = error.schema.get("patternErrorMessage") or f"must match {error.validator_value}"
    return f"{label} {_brief(error.instance)!r}: {hint}"


def _length_message(error: ValidationError, label: str) -> str:
    length, limit = len(error.instance), error.validator_value
    if error.validator == "minLength" and length == 0:
        return f"{label} must not be empty"
    bound = "at most" if error.validator == "maxLength" else "at least"
    return f'{label} "{_brief(error.instance)}" is {length} characters; {bound} {limit}'


def _items_message(error: ValidationError, label: str) -> str:
    if error.validator == "uniqueItems":
        twice = next(v for i, v in enumerate(error.instance) if v in error.instance[:i])
        return f"{label} lists {twice!r} more than once"
    if error.validator == "maxItems":
        return f"{label} lists {len(error.instance)} items; at most {error.validator_value}"
    return f"{label} must list at least {error.validator_value} item(s)"


def _range_message(error: ValidationError, label: str) -> str:
    low, high = error.schema.get("minimum"), error.schema.get("maximum")
    if low is not None and high is not None:
        return f"{label} {error.instance} is out of range {low}..{high}"
    bound = "at least" if error.validator == "minimum" else "at most"
    return f"{label} must be {bound} {error.validator_value}, not {error.instance}"


def _properties_message(error: ValidationError, label: str) -> str:
    if "propertyNames" in error.schema:  # tags
        return (
            f"{label} has {len(error.instance)} tags; at most {error.validator_value} "
            "(Azure allows 50 per resource and alertsync adds 2 ownership tags)"
        )
    choices = ", ".join(error.schema.get("properties", {}))
    if error.validator == "minProperties":
        return f"{label} must not be empty: give one of {choices}"
    found = ", ".join(error.instance)
    return f"{label}: give exactly one of {choices}; found {len(error.instance)}: {found}"


def _dependency_message(error: ValidationError, label: str) -> str:
    pairs = [
        (key, need)
        for key, needs in error.validator_value.items()
        if key in error.instance
        for need in needs
        if need not in error.instance
    ]
    key, need = pairs[0] if pairs else ("?", "?")
    return f"{label}: {key} needs {need} too (give both or neither)"


_MESSAGES: dict[str, Callable[[ValidationError, str], str]] = {
    "type": _type_message,
    "enum": _enum_message,
    "pattern": _pattern_message,
    "minLength": _length_message,
    "maxLength": _length_message,
    "minItems": _items_message,
    "maxItems": _items_message,
    "uniqueItems": _items_message,
    "minimum": _range_message,
    "maximum": _range_message,
    "minProperties": _properties_message,
    "maxProperties": _properties_message,
    "dependentRequired": _dependency_message,
    "not": _exclusive_message,
}


_SHOWN = 60  # characters of a value a message repeats; a 5 MB description is not echoed whole


def _brief(text: str) -> str:
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"


def _label(path: JsonPath) -> str:
    """The name a message uses for a location: its key, with any list indices after it."""
    indices = ""
    for part in reversed(path):
        if isinstance(part, int):
            indices = f"[{part}]{indices}"
        else:
            return f"{part}{indices}"
    return f"the document{indices}" if indices else "the document"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "empty (null)"
    return "a list" if isinstance(value, list) else "a mapping"


def _best_match(errors: list[ValidationError]) -> ValidationError:
    from jsonschema.exceptions import best_match  # noqa: PLC0415  (see _validator)

    return best_match(errors)
