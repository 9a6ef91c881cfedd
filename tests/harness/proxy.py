"""An HTTP proxy on 127.0.0.1 in front of a harness server, for the suites that watch or break traffic.

It forwards each request and can, per request, record the exchange (the contract suite checks it
against the spec), inject a fault from a seeded schedule (the fault suite), and terminate TLS
with a given certificate (the TLS checks).
"""

from __future__ import annotations

import http.client
import random
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}

# What the fault schedule can do to a request:
FAULTS = (
    "503",  # answer 503 (HTML, as a load balancer would) without forwarding
    "429",  # answer 429 with Retry-After: 1 without forwarding
    "reset-before",  # reset the connection before the request reaches the server
    "reset-after",  # forward, let the server apply it, then reset instead of answering
    "delay",  # forward, then answer only after the client's timeout has passed
)


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


class FaultSchedule:
    """Faults a `rate` share of requests, chosen by a seeded generator: the same seed, the same run."""

    def __init__(self, seed: int, rate: float, delay_seconds: float, kinds: tuple[str, ...] = FAULTS) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.rate = rate
        self.delay_seconds = delay_seconds
        self.kinds = kinds
        self.counts: Counter[str] = Counter()
        self.requests = 0

    def next(self) -> str | None:
        with self._lock:
            self.requests += 1
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.counts[kind] += 1
            return kind


class Proxy:
    def __init__(
        self,
        upstream: str,
        *,
        record: Callable[[Exchange], None] | None = None,
        faults: FaultSchedule | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        target = urlsplit(upstream)
        host, port = target.hostname or "127.0.0.1", target.port or 80
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reset(self) -> None:
                # SO_LINGER 0: close() sends RST, as a crashed peer or a dropped NAT entry would.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self) -> None:
                body = self._body()
                fault = proxy.faults.next() if proxy.faults else None
                if fault == "503":
                    page = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
                    return self._answer(503, [("Content-Type", "text/html")], page)
                if fault == "429":
                    page = b'{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}'
                    return self._answer(429, [("Content-Type", "application/json"), ("Retry-After", "1")], page)
                if fault == "reset-before":
                    return self._reset()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                conn = http.client.HTTPConnection(host, port, timeout=300)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    upstream = conn.getresponse()
                    data = upstream.read()
                    response_headers = upstream.getheaders()
                finally:
                    conn.close()
                if fault == "reset-after":
                    return self._reset()
                if fault == "delay" and proxy.faults:
                    time.sleep(proxy.faults.delay_seconds)
                try:
                    self._answer(upstream.status, response_headers, data)
                except OSError:
                    return  # the client gave up (a delay fault); the server has applied the request
                if proxy.record:
                    url = urlsplit(self.path)
                    proxy.record(Exchange(self.command, url.path, url.query, dict(self.headers.items()), body,
                                          upstream.status, dict(response_headers), data))  # fmt: skip

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # resets and client timeouts are the point here, not errors

            def finish_request(self, request: Any, client_address: Any) -> None:
                # The TLS handshake runs in the connection's own thread, never in the accept loop.
                if ssl_context:
                    try:
                        request = ssl_context.wrap_socket(request, server_side=True)
                    except (ssl.SSLError, OSError):
                        return  # a client that refuses our certificate: the point of the TLS checks
                super().finish_request(request, client_address)

        self.record = record
        self.faults = faults
        self.server = Server(("127.0.0.1", 0), Handler)
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
