"""A platform's signing keys for tests: RS256, ES256 and EdDSA key pairs made with
``cryptography``, their JWKS document, and an https server that serves it (or hangs)."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class PlatformKey:
    """One of the platform's key pairs, named ``kid``, signing with ``algorithm``."""

    kid: str
    algorithm: str
    private: PrivateKey = field(repr=False)

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        exporter = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}
        jwk: dict[str, Any] = exporter[self.algorithm].to_jwk(public, as_dict=True)  # type: ignore[attr-defined]
        return {**jwk, "kid": self.kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """A token of ``claims`` (``exp`` an hour ahead unless given) signed by this key."""
        claims = {"exp": int(time.time()) + 3600, **claims}
        return jwt.encode(
            claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header}
        )


def platform_keys() -> list[PlatformKey]:
    """One fresh key of each kind the service accepts."""
    return [
        PlatformKey("rsa-1", "RS256", rsa.generate_private_key(65537, 2048)),
        PlatformKey("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1())),
        PlatformKey("ed-1", "EdDSA", ed25519.Ed25519PrivateKey.generate()),
    ]


def jwks_document(*keys: PlatformKey) -> str:
    return json.dumps({"keys": [key.jwk() for key in keys]})


@dataclass
class HttpsServer:
    """An https server on 127.0.0.1 answering each request with ``body`` (``None``: never
    answers), counting the requests; ``client_context`` trusts its certificate."""

    url: str
    client_context: ssl.SSLContext
    body: bytes | None = None
    requests: int = 0
    connected: threading.Event = field(default_factory=threading.Event)


@contextmanager
def https_server(directory: Path, body: bytes | None) -> Iterator[HttpsServer]:
    """Serve ``body`` over https until the block ends."""
    certificate, key = _self_signed(directory)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(certificate, key)
    client_context = ssl.create_default_context(cafile=str(certificate))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = HttpsServer(f"https://localhost:{port}/jwks.json", client_context, body)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            connection = server_context.wrap_socket(raw, server_side=True)
            connection.recv(65536)
            server.requests += 1
            server.connected.set()
            if server.body is None:
                held.append(connection)  # hangs: never answers, never closes
                continue
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(server.body)}\r\nConnection: close\r\n\r\n"
            )
            connection.sendall(head.encode() + server.body)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "cert.pem", directory / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path
