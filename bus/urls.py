"""Bus URLs: the schemes ``make_bus`` takes, and the Sentinel and Cluster URLs' parts.

Pure parsing, no I/O: the settings check ``BUS_URL`` with it before anything
connects, so a malformed URL stops start-up with one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = ("memory", "redis", "rediss", "redis+sentinel", "redis+cluster")
SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_FORM = "redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db]"
DEFAULT_SENTINEL_PORT = 26379
CLUSTER_SCHEME = "redis+cluster"
CLUSTER_FORM = "redis+cluster://[:password@]host:port[,host:port...]"
DEFAULT_REDIS_PORT = 6379


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
    elif scheme == CLUSTER_SCHEME:
        parse_cluster_url(url)


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
        sentinels=tuple(
            _address(host, DEFAULT_SENTINEL_PORT, SENTINEL_FORM) for host in hosts.split(",")
        ),
        service_name=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(username) or None,
        password=unquote(password) or None,
    )


@dataclass(frozen=True)
class ClusterURL:
    """Some nodes of a Redis Cluster (the rest are discovered), and how to log in."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None = None
    password: str | None = None


def parse_cluster_url(url: str) -> ClusterURL:
    """The parts of ``redis+cluster://[:password@]host:port[,host:port...]``.

    A node without a port is on 6379. A cluster has one database, so a path
    (a database number) is refused, as is anything else that isn't in the form.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != CLUSTER_SCHEME:
        raise ValueError(f"not a Cluster URL; expected {CLUSTER_FORM}")
    if parts.query or parts.fragment:
        raise ValueError(f"a Cluster URL takes no query or fragment; expected {CLUSTER_FORM}")
    if parts.path.strip("/"):
        raise ValueError(
            f"a Redis Cluster has no database numbers: drop {parts.path!r}; expected {CLUSTER_FORM}"
        )
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    return ClusterURL(
        nodes=tuple(_address(host, DEFAULT_REDIS_PORT, CLUSTER_FORM) for host in hosts.split(",")),
        username=unquote(username) or None,
        password=unquote(password) or None,
    )


def _address(text: str, default_port: int, form: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":") if not text.endswith("]") else (text, "", "")
    if not colon:
        host, port = text, str(default_port)
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        kind = "node" if form == CLUSTER_FORM else "sentinel"
        raise ValueError(f"bad {kind} address {text!r}; expected host:port in {form}")
    return host, int(port)
