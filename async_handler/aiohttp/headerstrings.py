"""Header names and values as META strings, shared between requests where they repeat.

Each request's environ holds a META key per header and its value. A WebSocket's
handshake request lives as long as its socket, so with thousands of idle sockets
these small strings add up (~1 KB a socket with the bench client's ten headers,
by tracemalloc on the WebSocket section's idle sockets). Names, and the values of
headers that take few distinct values, are made once and reused.
"""

from __future__ import annotations

# Each cache is bounded: past the bound strings are made per request, as without it, so
# clients sending endless new names or values cannot grow it.
_CACHE_BOUND = 512
_KEYS: dict[bytes, tuple[str, str]] = {}  # raw name -> (upper-cased name, META key)
_VALUES: dict[bytes, str] = {}
_SHARED_VALUES = frozenset({
    "HOST", "UPGRADE", "CONNECTION", "ACCEPT", "ACCEPT-ENCODING", "ACCEPT-LANGUAGE",
    "USER-AGENT", "ORIGIN", "CACHE-CONTROL", "PRAGMA", "SEC-WEBSOCKET-VERSION",
    "SEC-WEBSOCKET-EXTENSIONS", "SEC-WEBSOCKET-PROTOCOL", "SEC-FETCH-MODE", "SEC-FETCH-SITE",
    "SEC-FETCH-DEST", "X-FORWARDED-PROTO", "X-FORWARDED-HOST"})


def header_key(raw_name: bytes) -> tuple[str, str]:
    """(NAME, HTTP_NAME): a raw header name upper-cased, and its META key."""
    found = _KEYS.get(raw_name)
    if found is None:
        name = raw_name.decode("latin-1").upper()
        found = (name, "HTTP_" + name.replace("-", "_"))
        if len(_KEYS) < _CACHE_BOUND:
            _KEYS[raw_name] = found
    return found


def header_value(name: str, raw_value: bytes) -> str:
    """A header's value as META has it (latin-1), shared across requests for `name`s
    whose values repeat."""
    if name not in _SHARED_VALUES or len(raw_value) > 200:
        return raw_value.decode("latin-1")
    value = _VALUES.get(raw_value)
    if value is None:
        value = raw_value.decode("latin-1")
        if len(_VALUES) < _CACHE_BOUND:
            _VALUES[raw_value] = value
    return value
