"""Bus URLs: the schemes ``make_bus`` takes, and the Sentinel URL's parts.

Pure parsing, no I/O: the settings check ``BUS_URL`` with it before anything
connects, so a malformed URL stops start-up with one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = ("memory", "redis", "rediss", "redis+sentinel")
SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_FORM = "redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db]"
DEFAULT_SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelURL:
    """Where the sentinels are, which master they watch, and how to log in to it."""

    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: str | None = None


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case, ``""`` when it has none."""
    return url.partition("://")[0].lower() if "://" in url else ""


def check_bus_url(url: str) -> None:
    """Raise :class:`ValueError` (one line) unless ``make_bus`` can use ``url``."""
    scheme = scheme_of(url)
    if scheme not in SCHEMES:
        allowed = ", ".join(f"{name}://" for name in SCHEMES)
        raise ValueError(f"unsupported bus URL scheme {scheme!r}; use one of {allowed}")
    if scheme == SENTINEL_SCHEME:
        parse_sentinel_url(url)


def parse_sentinel_url(url: str) -> SentinelURL:
    """The parts of ``redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db]``.

    A sentinel without a port is on 26379. The password (and optional user) is
    the master's. Anything else raises :class:`ValueError` naming the problem.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != SENTINEL_SCHEME:
        raise ValueError(f"not a Sentinel URL; expected {SENTINEL_FORM}")
    if parts.query or parts.fragment:
        raise ValueError(f"a Sentinel URL takes no query or fragment; expected {SENTINEL_FORM}")
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    path = [unquote(segment) for segment in parts.path.removesuffix("/").split("/")[1:]]
    if not path or not path[0]:
        raise ValueError(
            f"a Sentinel URL needs the master's service name; expected {SENTINEL_FORM}"
        )
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(
            f"after the service name only a database number may follow: {SENTINEL_FORM}"
        )
    return SentinelURL(
        sentinels=tuple(_address(host) for host in hosts.split(",")),
        service_name=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
    )


def _address(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":") if not text.endswith("]") else (text, "", "")
    if not colon:
        host, port = text, str(DEFAULT_SENTINEL_PORT)
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad sentinel address {text!r}; expected host:port in {SENTINEL_FORM}")
    return host, int(port)
