"""The request and reply types every handler speaks (a thin layer over werkzeug)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

from provisioner.emulator.exceptions import InvalidRequestContent, UnsupportedMediaType
from provisioner.emulator.state import EmulatorState

# .NET's JSON readers (Newtonsoft.Json 13, System.Text.Json) stop at depth 64 by default; ARM's
# exact limit is UNCONFIRMED. A cap also keeps the emulator's recursive code (deep copies,
# merge-patch, serialisation) far from Python's recursion limit.
MAX_JSON_DEPTH = 64

_TOO_DEEP = f"the JSON is nested deeper than the maximum depth of {MAX_JSON_DEPTH}."


def nesting_depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), iteratively."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


@dataclass
class Call:
    """One request as a handler sees it: werkzeug request, path parameters, emulator state."""

    request: Request
    params: dict[str, str]
    state: EmulatorState
    path: str

    @property
    def api_version(self) -> str:
        """The api-version query parameter ('' when absent)."""
        return self.request.args.get("api-version", "")

    @property
    def caller(self) -> str:
        """Who is calling, for systemData: the client the bearer token was issued to."""
        token = self.request.headers.get("Authorization", "").partition(" ")[2]
        return self.state.token_client(token) or self.state.client_id

    def json_body(self) -> Any:
        """The JSON body (None when empty); 415 for a non-JSON media type, 400 for bad JSON."""
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            return None
        mimetype = self.request.mimetype
        if mimetype and "json" not in mimetype:
            raise UnsupportedMediaType(
                f"The content media type '{mimetype}' is not supported. Only 'application/json' is supported."
            )
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidRequestContent(str(error)) from error
        except RecursionError as error:  # nested deeper than the parser's stack allows
            raise InvalidRequestContent(_TOO_DEEP) from error
        if nesting_depth(body) > MAX_JSON_DEPTH:
            raise InvalidRequestContent(_TOO_DEEP)
        return body

    def absolute(self, path: str, api_version: str) -> str:
        """An absolute URL on the emulator's own host (nextLink, Location: azure-mgmt-* paging)."""
        return f"{self.state.url}{path}?api-version={api_version}"


@dataclass
class Reply:
    """What a handler answers: status, JSON body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
