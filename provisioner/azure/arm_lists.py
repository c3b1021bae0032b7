"""Paged ARM lists read as JSON through an SDK client's own pipeline (its `send_request`).

Plan and apply list thousands of rules and vaults. The SDK's typed list builds a model per item
and its attributes rebuild values on every read: for 400 rules that was 139 ms of CPU against
20 ms for the same pages as JSON (measured against the emulator), most of what a large first
apply spent around its writes (docs/azure-behaviour.md#sdk-models-are-mappings). The request is the SDK client's own (`send_request`, documented at
https://aka.ms/azsdk/dpcodegen/python/send_request): the same credential, retry, pacing and
request counting; only the decoding is ours, with the shape of every answer checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.core.exceptions import ARMErrorFormat

from provisioner.azure.mappings.arm_json import ArmShapeError
from provisioner.ids import ResourceId

# What the generated list operations raise for each status (their `error_map`), so that callers
# see the same exceptions whichever way a list was read.
_ERRORS: Final = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}
_OK: Final = 200
# A list that pages on past this is not ARM's (a nextLink loop behind a proxy, say): 100 items a
# page makes this a million resources of one kind in one scope.
MAX_PAGES: Final = 10_000


class SendsRequests(Protocol):
    """An SDK management client: `send_request` runs a request through its pipeline."""

    def send_request(self, request: HttpRequest, *, stream: bool = False, **kwargs: Any) -> Any: ...


def list_path(scope: ResourceId, arm_type: str) -> str:
    """The URL path of the list of `arm_type` in a resource group, or in a whole subscription.

    Names are percent-encoded as the SDK's operations encode them: a resource group may hold
    spaces, parentheses and letters beyond ASCII (`Rg (Prod)`).
    """
    where = f"/subscriptions/{quote(scope.subscription, safe='')}"
    if scope.resource_group is not None:
        where += f"/resourceGroups/{quote(scope.resource_group, safe='')}"
    return f"{where}/providers/{arm_type}"


def list_json(
    client: SendsRequests, path: str, api_version: str, endpoint: str
) -> Iterator[Mapping[str, Any]]:
    """Every item of a paged ARM list, as JSON objects, following nextLink.

    Errors are the SDK's own (ResourceNotFoundError, HttpResponseError with ARM's error
    parsed); an answer that is not a page of items raises ArmShapeError. A nextLink is
    followed with this API version (as the SDK does) and only on `endpoint`'s host: the
    request carries the credential's token.
    """
    request = HttpRequest("GET", path, params={"api-version": api_version})
    followed: set[str] = set()
    for _ in range(MAX_PAGES):
        items, next_link = _page(client.send_request(request))
        yield from items
        if not next_link:
            return
        if next_link in followed:
            raise ArmShapeError(f"its nextLink leads back to a page already read ({next_link})")
        followed.add(next_link)
        request = HttpRequest("GET", _next_url(next_link, api_version, endpoint))
    raise ArmShapeError(f"it went on past {MAX_PAGES} pages")


def _page(response: HttpResponse) -> tuple[list[Mapping[str, Any]], str | None]:
    """The items and the nextLink of one page; an error status raises as the SDK would."""
    if response.status_code != _OK:
        map_error(status_code=response.status_code, response=response, error_map=_ERRORS)
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    try:
        body = response.json()
    except ValueError as error:  # json.JSONDecodeError and azure-core's DecodeError
        raise ArmShapeError(f"a page is not JSON ({error})") from None
    if not isinstance(body, Mapping):
        raise ArmShapeError("a page is not a JSON object")
    items, next_link = body.get("value", []), body.get("nextLink")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise ArmShapeError("a page's value is not a list of objects")
    if next_link is not None and not isinstance(next_link, str):
        raise ArmShapeError("a page's nextLink is not a URL")
    return items, next_link


def _next_url(link: str, api_version: str, endpoint: str) -> str:
    """nextLink with our API version, refused off the ARM endpoint (the token would go there)."""
    parts = urlsplit(link)
    if _origin(link) != _origin(endpoint):
        raise ArmShapeError(f"its nextLink leads off {endpoint} ({link})")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() != "api-version"
    ]
    query.append(("api-version", api_version))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, the port spelled out or not (`:443` is https's own)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        return scheme, url, None
    default = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port if port is not None else default
