"""Who is calling, for rate limits: a member by token ``sub``, a guest by client address.

The address comes from ``X-Forwarded-For`` only when the peer is one of the
configured trusted proxies; the client is then the right-most address in the
header that is not itself a trusted proxy (left-most entries are whatever the
client chose to send, and cannot be believed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN_ADDRESS = "unknown"


class TrustedProxies:
    """The networks whose ``X-Forwarded-For`` is believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(network, strict=False) for network in networks
        )

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address given the TCP ``peer`` and the ``X-Forwarded-For`` header."""
        address = peer or UNKNOWN_ADDRESS
        if not self._networks or forwarded_for is None or not self._trusted(address):
            return address
        for hop in reversed(forwarded_for.split(",")):
            hop = hop.strip()
            if not hop:
                continue
            if not self._trusted(hop):
                return hop
            address = hop
        return address


def member_key(user_id: str) -> str:
    """The rate-limit identity of a member."""
    return f"user:{user_id}"


def guest_key(address: str) -> str:
    """The rate-limit identity of a guest."""
    return f"addr:{address}"
