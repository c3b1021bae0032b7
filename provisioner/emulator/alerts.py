"""Backend for Microsoft.AlertsManagement/alerts (api 2019-05-05-preview): fired alerts.

An alert is fired through the control API as Azure Backup would fire it; the live alert
processing rules decide (routing.py) which action groups it reaches, and the outcome is kept
as the alert's history and the emails "sent" (docs/azure-behaviour.md#fired-alerts-and-their-history).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from provisioner.emulator import action_groups, processing_rules
from provisioner.emulator.exceptions import BadRequest, NotFound
from provisioner.emulator.models import ARM_ID, JsonObject, World
from provisioner.emulator.routing import FiredAlert, Routing, route

TYPE = "Microsoft.AlertsManagement/alerts"
# Azure keeps fired alerts for 30 days (Learn: alerts-overview).
RETENTION = timedelta(days=30)
TIME_RANGES = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SEVERITIES = ("Sev0", "Sev1", "Sev2", "Sev3", "Sev4")
SIGNAL_TYPES = ("Metric", "Log", "Unknown")
ALERT_STATES = ("New", "Acknowledged", "Closed")
SORT_FIELDS = (
    "name", "severity", "alertState", "monitorCondition", "targetResource", "targetResourceName",
    "targetResourceGroup", "targetResourceType", "startDateTime", "lastModifiedDateTime",
)  # fmt: skip
TIME_FIELDS = ("startDateTime", "lastModifiedDateTime")
PAGE_COUNT_MAX, PAGE_COUNT_WITH_CONTEXT_MAX, PAGE_COUNT_DEFAULT = 250, 25, 25
SYSTEM = "System"


def now() -> datetime:
    """The emulator's clock (a function, so tests can move it)."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp as the alerts API writes them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alert_path(subscription: str, alert_id: str) -> str:
    """The alert's ARM id."""
    return f"/subscriptions/{subscription}/providers/{TYPE}/{alert_id}"


# ---- firing ------------------------------------------------------------------------------


def fire(world: World, alert: FiredAlert, at: datetime) -> JsonObject:
    """Record a fired alert after routing it through the live rules; returns the alert body."""
    target = world.find_by_id(alert.target_resource)
    if target is None:
        raise BadRequest(f"'targetResource': no resource '{alert.target_resource}' exists.")
    subscription = world.subscription(target.subscription).subscription_id
    rules = world.list(processing_rules.KIND, subscription, None)
    routing = route(rules, alert, at)
    alert_id = str(uuid.uuid4())
    body = alert_body(subscription, alert_id, alert, at, routing.suppressed)
    history, emails = outcome(world, routing, body, at)
    world.add_alert(
        alert_id,
        {
            "subscription": subscription.lower(),
            "alert": body,
            "context": dict(alert.context or {}),
            "history": [event("AlertCreated", at, "New Alert Object is created"), *history],
        },
    )
    world.add_sent(emails)
    return body


def alert_body(
    subscription: str, alert_id: str, alert: FiredAlert, at: datetime, suppressed: bool
) -> JsonObject:
    """The Alert resource; target fields lower-cased as fired alerts carry them."""
    target = alert.target_resource.rstrip("/").lower()
    essentials = {
        "severity": alert.severity,
        "signalType": alert.signal_type,
        "alertState": "New",
        "monitorCondition": alert.monitor_condition,
        "monitorService": alert.monitor_service,
        "targetResource": target,
        "targetResourceName": target.rsplit("/", 1)[-1],
        "targetResourceGroup": alert.target_group[1].lower(),
        "targetResourceType": alert.target_type.rsplit("/", 1)[-1],
        "alertRule": alert.alert_rule,
        "sourceCreatedId": str(uuid.uuid4()),
        "startDateTime": stamp(at),
        "lastModifiedDateTime": stamp(at),
        "lastModifiedUserName": SYSTEM,
        "actionStatus": {"isSuppressed": suppressed},
        "description": alert.description,
    }
    return {
        "id": alert_path(subscription, alert_id),
        "type": TYPE,
        "name": alert.rule_name,
        "properties": {"essentials": essentials, "egressConfig": {}, "context": {}},
    }


def event(kind: str, at: datetime, description: str, **values: str) -> JsonObject:
    """One AlertModificationItem (all strings, as the 2019-05-05-preview spec has them)."""
    return {
        "modificationEvent": kind,
        "oldValue": values.get("old", ""),
        "newValue": values.get("new", ""),
        "modifiedAt": stamp(at),
        "modifiedBy": values.get("by", SYSTEM),
        "comments": values.get("comments", ""),
        "description": description,
    }


def outcome(
    world: World, routing: Routing, alert: JsonObject, at: datetime
) -> tuple[list[JsonObject], list[JsonObject]]:
    """History events for the rules that applied and the groups invoked, and the emails sent."""
    history = [rule_event(rule, at) for rule in routing.applied]
    if routing.suppressed:
        suppressed = [group for rule in routing.applied for group in rule.action_groups]
        if suppressed:
            names = ", ".join(r.name for r in routing.applied if r.suppresses)
            history.append(
                event(
                    "ActionsSuppressed",
                    at,
                    f"Action groups {', '.join(suppressed)} were suppressed by alert processing rule(s) {names}.",
                )
            )
        return history, []
    emails: list[JsonObject] = []
    for rule_id, group_id in routing.invocations:
        item, sent = invoke(world, rule_id, group_id, alert, at)
        history.append(item)
        emails.extend(sent)
    return history, emails


def rule_event(rule: Any, at: datetime) -> JsonObject:
    """ActionRuleSuppressed or ActionRuleTriggered for a rule that applied."""
    if rule.suppresses:
        return event(
            "ActionRuleSuppressed",
            at,
            f"Alert processing rule '{rule.name}' removed all action groups.",
            new=rule.rule_id,
        )
    groups = ", ".join(rule.action_groups)
    return event(
        "ActionRuleTriggered",
        at,
        f"Alert processing rule '{rule.name}' added action groups: {groups}.",
        new=rule.rule_id,
    )


def invoke(
    world: World, rule_id: str, group_id: str, alert: JsonObject, at: datetime
) -> tuple[JsonObject, list[JsonObject]]:
    """Invoke one action group: ActionsTriggered and its emails, or ActionsFailed when the
    group is gone (a rule may outlive a group it names) or disabled."""
    group = world.find_by_id(group_id)
    if group is None or group.kind != action_groups.KIND:
        return event(
            "ActionsFailed", at, f"Action group '{group_id}' was not found.", new=group_id
        ), []
    properties = group.body["properties"]
    if properties.get("enabled") is not True:
        failed = f"Action group '{group_id}' is disabled; nothing was sent."
        return event("ActionsFailed", at, failed, new=group_id), []
    emails = [
        email(receiver, group.body["id"], rule_id, alert, at)
        for receiver in properties.get("emailReceivers", [])
        if str(receiver.get("status", "Enabled")).lower() == "enabled"
    ]
    triggered = f"Action group '{group_id}' was triggered by alert processing rule '{rule_id}'."
    return event("ActionsTriggered", at, triggered, new=group_id), emails


def email(
    receiver: Mapping[str, Any], group_id: str, rule_id: str, alert: JsonObject, at: datetime
) -> JsonObject:
    """One entry of the sent-notification log."""
    return {
        "alertId": alert["id"],
        "alertName": alert["name"],
        "actionGroupId": group_id,
        "ruleId": rule_id,
        "receiver": receiver.get("name"),
        "emailAddress": receiver.get("emailAddress"),
        "useCommonAlertSchema": receiver.get("useCommonAlertSchema", False),
        "sentAt": stamp(at),
    }


# ---- the fire request (control API) --------------------------------------------------------

FIRE_KEYS = (
    "targetResource", "severity", "alertRule", "monitorService", "signalType", "firedAt",
    "description", "context",
)  # fmt: skip


def parse_fire(body: Mapping[str, Any], moment: datetime) -> tuple[FiredAlert, datetime]:
    """The alert a POST /_emulator/alerts body describes, and when it fired; 400 naming the key.

    Defaults are a built-in Azure Backup job-failure alert (Sev1, "Backup Failure", Log).
    """
    target = text(body, "targetResource", None)
    found = ARM_ID.match(target)
    if found is None or found["name"] is None:
        raise BadRequest(f"'targetResource' must be a resource id; got '{target}'.")
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise BadRequest("'context' must be a JSON object (the alert context).")
    alert = FiredAlert(
        target_resource=target,
        severity=choice(body, "severity", SEVERITIES, "Sev1"),
        monitor_service=text(body, "monitorService", "Azure Backup"),
        signal_type=choice(body, "signalType", SIGNAL_TYPES, "Log"),
        alert_rule=text(body, "alertRule", "Backup Failure"),
        description=text(body, "description", "", empty=True),
        context=context,
    )
    return alert, fired_at(body.get("firedAt"), moment)


def text(body: Mapping[str, Any], key: str, default: str | None, *, empty: bool = False) -> str:
    """A string member (the default when absent), or a 400 naming the key."""
    value = body.get(key, default)
    if not isinstance(value, str) or (not value and not empty):
        raise BadRequest(f"'{key}' must be a non-empty string; got {value!r}.")
    return value


def choice(body: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    """One of `allowed` (any case; returned in the canonical casing), or a 400 naming the key."""
    value = text(body, key, default)
    for member in allowed:
        if member.lower() == value.lower():
            return member
    raise BadRequest(f"'{key}' must be one of {', '.join(allowed)}; got '{value}'.")


def fired_at(value: Any, moment: datetime) -> datetime:
    """`firedAt` (ISO 8601 with a zone) or now; within the 30-day retention, not in the future."""
    if value is None:
        return moment
    parsed = aware(value)
    if parsed is None:
        raise BadRequest(f"'firedAt' must be an ISO 8601 time with a zone; got {value!r}.")
    if parsed > moment or parsed < moment - RETENTION:
        raise BadRequest(
            f"'firedAt' must lie within the last 30 days (alerts are kept 30 days); got {value!r}."
        )
    return parsed.astimezone(UTC)


# ---- reading (Alerts_GetAll, Alerts_GetById, Alerts_GetHistory, Alerts_ChangeState) -----------


def purge(world: World, moment: datetime) -> None:
    """Forget alerts older than the retention period."""
    oldest = moment - RETENTION
    for key in [k for k, r in world.alerts.items() if started(r) < oldest]:
        del world.alerts[key]


def started(record: Mapping[str, Any]) -> datetime:
    """When an alert fired."""
    return datetime.fromisoformat(record["alert"]["properties"]["essentials"]["startDateTime"])


def record_of(world: World, subscription: str, alert_id: str, moment: datetime) -> JsonObject:
    """The stored alert of this subscription, or a 404."""
    world.subscription(subscription)
    purge(world, moment)
    record = world.alerts.get(alert_id.lower())
    if record is None or record["subscription"] != subscription.lower():
        raise NotFound(f"The alert '{alert_id}' was not found.", code="AlertNotFound")
    return record


def shown(record: Mapping[str, Any], *, context: bool) -> JsonObject:
    """The Alert body, with its context when asked for (includeContext)."""
    body = dict(record["alert"])
    body["properties"] = {**body["properties"], "context": record["context"] if context else {}}
    return body


def history(world: World, subscription: str, alert_id: str, moment: datetime) -> JsonObject:
    """AlertModification: the events, newest first as the official example lists them."""
    record = record_of(world, subscription, alert_id, moment)
    return {
        "id": f"{record['alert']['id']}/history/default",
        "type": TYPE,
        "name": record["alert"]["name"],
        "properties": {
            "alertId": record["alert"]["id"].rsplit("/", 1)[-1],
            "modifications": list(reversed(record["history"])),
        },
    }


def change_state(
    world: World, subscription: str, alert_id: str, new_state: str, *, comment: Any, caller: str
) -> JsonObject:
    """POST changestate: a new alertState and a StateChange event naming the caller."""
    moment = now()
    record = record_of(world, subscription, alert_id, moment)
    state = one_of_query(new_state, ALERT_STATES, "newState")
    comments = comment.get("comments") if isinstance(comment, dict) else None
    if comments is not None and not isinstance(comments, str):
        raise BadRequest("'comments' must be a string.")
    essentials = record["alert"]["properties"]["essentials"]
    old = essentials["alertState"]
    essentials.update(
        alertState=state, lastModifiedDateTime=stamp(moment), lastModifiedUserName=caller
    )
    record["history"].append(
        event(
            "StateChange",
            moment,
            f"State changed from '{old}' to '{state}'",
            old=old,
            new=state,
            by=caller,
            comments=comments or "",
        )
    )
    return shown(record, context=False)


def one_of_query(value: str, allowed: tuple[str, ...], name: str) -> str:
    """A query parameter's enum member (any case), or a 400 naming the parameter."""
    for member in allowed:
        if member.lower() == value.lower():
            return member
    raise BadRequest(
        f"The query parameter '{name}' must be one of {', '.join(allowed)}; got '{value}'."
    )


def list_alerts(
    world: World, subscription: str, query: Mapping[str, str], moment: datetime
) -> tuple[list[JsonObject], int]:
    """Alerts_GetAll: the matching alerts, sorted and projected, and the page size to use."""
    world.subscription(subscription)
    purge(world, moment)
    since, until = time_window(query, moment)
    context = boolean(query, "includeContext")
    boolean(query, "includeEgressConfig")
    records = [
        r
        for r in world.alerts.values()
        if r["subscription"] == subscription.lower()
        and since <= started(r) <= until
        and matches_query(r["alert"], query)
    ]
    bodies = [select(shown(r, context=context), query.get("select")) for r in sort(records, query)]
    return bodies, page_count(query, context)


def time_window(query: Mapping[str, str], moment: datetime) -> tuple[datetime, datetime]:
    """timeRange (1h, 1d, 7d, 30d; default 1d) or customTimeRange "start/end", not both."""
    custom, named = query.get("customTimeRange"), query.get("timeRange")
    if custom is not None and named is not None:
        raise BadRequest("Either timeRange or customTimeRange may be given, not both.")
    if custom is None:
        span = TIME_RANGES.get((named or "1d").lower())
        if span is None:
            raise BadRequest(
                f"The query parameter 'timeRange' must be one of 1h, 1d, 7d, 30d; got '{named}'."
            )
        return moment - span, moment
    return custom_window(custom, moment)


def custom_window(value: str, moment: datetime) -> tuple[datetime, datetime]:
    """customTimeRange "<start>/<end>" (ISO 8601), within the last 30 days."""
    parts = [aware(part) for part in value.split("/")]
    if len(parts) != 2 or None in parts or parts[0] > parts[1]:  # type: ignore[operator]
        raise BadRequest(
            f"customTimeRange '{value}' must be '<start>/<end>' in ISO 8601 with zones."
        )
    start, end = parts
    assert start is not None and end is not None
    if start < moment - RETENTION:
        raise BadRequest(f"customTimeRange '{value}' must lie within the last 30 days.")
    return start, end


def aware(value: Any) -> datetime | None:
    """An ISO 8601 time with a zone, or None."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def boolean(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter (default false)."""
    value = query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(f"The query parameter '{name}' must be true or false; got '{value}'.")
    return value == "true"


# Query filter → how it matches the alert's essentials (all ignoring case).
EXACT_FILTERS = {
    "targetResource": "targetResource",
    "targetResourceGroup": "targetResourceGroup",
    "monitorService": "monitorService",
    "monitorCondition": "monitorCondition",
    "severity": "severity",
    "alertState": "alertState",
    "alertRule": "alertRule",
    "smartGroupId": "smartGroupId",
}


def matches_query(alert: Mapping[str, Any], query: Mapping[str, str]) -> bool:
    """Every filter given matches; targetResourceType by its full or its short form."""
    essentials = alert["properties"]["essentials"]
    for name, key in EXACT_FILTERS.items():
        wanted = query.get(name)
        if wanted is not None and str(essentials.get(key, "")).lower() != wanted.lower():
            return False
    kind = query.get("targetResourceType")
    if kind is None:
        return True
    short = essentials["targetResourceType"].lower()
    return kind.lower() in (short, type_of(essentials["targetResource"]))


def type_of(resource_id: str) -> str:
    """provider/type of an ARM id, lower case."""
    return FiredAlert(resource_id).target_type


def sort(records: list[JsonObject], query: Mapping[str, str]) -> list[JsonObject]:
    """sortBy (default lastModifiedDateTime) and sortOrder (default desc for times, else asc)."""
    field = one_of_query(query.get("sortBy", "lastModifiedDateTime"), SORT_FIELDS, "sortBy")
    default_order = "desc" if field in TIME_FIELDS else "asc"
    order = one_of_query(query.get("sortOrder", default_order), ("asc", "desc"), "sortOrder")

    def key(record: JsonObject) -> str:
        alert = record["alert"]
        value = alert["name"] if field == "name" else alert["properties"]["essentials"].get(field)
        return str(value or "").lower()

    return sorted(records, key=key, reverse=order == "desc")


def select(body: JsonObject, fields: str | None) -> JsonObject:
    """`select`: only the named essentials fields (comma separated)."""
    if not fields:
        return body
    wanted = {f.strip().lower() for f in fields.split(",")}
    essentials = body["properties"]["essentials"]
    kept = {k: v for k, v in essentials.items() if k.lower() in wanted}
    return {**body, "properties": {**body["properties"], "essentials": kept}}


def page_count(query: Mapping[str, str], context: bool) -> int:
    """pageCount: 1-250 (default 25), at most 25 with includeContext."""
    raw = query.get("pageCount")
    if raw is None:
        return PAGE_COUNT_DEFAULT
    most = PAGE_COUNT_WITH_CONTEXT_MAX if context else PAGE_COUNT_MAX
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise BadRequest(
            f"The query parameter 'pageCount' must be an integer from 1 to {most}; got '{raw}'."
        )
    return int(raw)
