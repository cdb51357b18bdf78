"""A loopback TCP proxy for fault injection: forwards to a real server, drops on cue.

``DroppingProxy(target_port, trigger=b" LOGIN ")`` listens on 127.0.0.1 and forwards
every connection to the target. When the client sends bytes containing ``trigger``,
the proxy either closes both sides at once (the command never reaches the server) or,
with ``reply_bytes=n``, forwards the command and only the first ``n`` bytes of the
server's answer before closing: a connection cut in the middle of a response.
``action="reset"`` closes with a TCP RST instead of a FIN; ``action="hang"`` swallows the
command and keeps the connection open, silent (the client's read timeout fires).
``drops`` counts how often it fired; ``armed = False`` makes it a plain forwarder.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Literal


class DroppingProxy:
    def __init__(
        self,
        target_port: int,
        *,
        trigger: bytes,
        reply_bytes: int | None = None,
        action: Literal["close", "reset", "hang"] = "close",
        target_host: str = "127.0.0.1",
    ) -> None:
        self.target = (target_host, target_port)
        self.trigger = trigger
        self.reply_bytes = reply_bytes
        self.action = action
        self.armed = True
        self.drops = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._spawn(self._accept_loop)

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> DroppingProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stopping = True
        _close(self._listener)  # shutdown() first: close() alone does not wake accept()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    # -- forwarding -----------------------------------------------------------------------

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open += [client, server]
            # Per connection: how many server bytes may still pass once triggered.
            state: dict[str, int | None] = {"budget": None}
            self._spawn(self._client_to_server, client, server, state)
            self._spawn(self._server_to_client, server, client, state)

    def _client_to_server(
        self, client: socket.socket, server: socket.socket, state: dict[str, int | None]
    ) -> None:
        recent = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                recent = (recent + data)[-4096:]
                if self.armed and self.trigger in recent:
                    self.drops += 1
                    if self.action == "hang":
                        return  # swallowed; closed when the proxy closes
                    if self.action == "reset":
                        # SO_LINGER 0: close() sends RST, the client sees a reset.
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        client.close()
                        _close(server)
                        return
                    if self.reply_bytes is None:
                        break  # the command never reaches the server
                    # Keep forwarding (imaplib sends the CRLF on its own); the other
                    # pump closes once the budget of answer bytes is spent.
                    state["budget"] = self.reply_bytes
                    recent = b""
                server.sendall(data)
        except OSError:
            pass
        _close(client)
        _close(server)

    def _server_to_client(
        self, server: socket.socket, client: socket.socket, state: dict[str, int | None]
    ) -> None:
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                budget = state["budget"]
                if budget is not None:
                    client.sendall(data[:budget])
                    state["budget"] = budget - len(data[:budget])
                    if state["budget"] == 0:
                        break
                    continue
                client.sendall(data)
        except OSError:
            pass
        _close(client)
        _close(server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
