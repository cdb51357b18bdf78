"""A loopback TCP proxy in front of the test Dovecot that can lose an APPEND's answer.

It forwards both ways, line by line from the server, and when ``drop_appends`` > 0 it
closes both sides right after the server's tagged OK to an APPEND, before the client
sees it: the server has stored the message, the client only knows the connection died.
With ``refuse_after_drop`` it then refuses every new connection until ``reset``.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

_APPEND = re.compile(rb"(?:^|\r\n)([A-Za-z0-9]+) APPEND ", re.I)


@dataclass
class ImapProxy:
    target: tuple[str, int]
    drop_appends: int = 0
    refuse_after_drop: bool = False
    dropped: int = 0
    refusing: bool = False
    port: int = 0
    _server: socket.socket = field(default_factory=socket.socket)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._server.close()

    def reset(self) -> None:
        with self._lock:
            self.refusing = False
            self.drop_appends = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            tags: list[bytes] = []
            threading.Thread(target=self._up, args=(client, upstream, tags), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client, tags), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket, tags: list[bytes]) -> None:
        """Client to server, noting the tags of APPEND commands."""
        seen = b""
        try:
            while data := client.recv(65536):
                # Match before trimming: with LITERAL+ the command and the message
                # arrive in one chunk, and the command is at its start.
                seen += data
                tags.extend(m.group(1) for m in _APPEND.finditer(seen) if m.group(1) not in tags)
                seen = seen[-256:]
                upstream.sendall(data)
        except OSError:
            pass
        _close(client, upstream)

    def _down(self, upstream: socket.socket, client: socket.socket, tags: list[bytes]) -> None:
        """Server to client, line by line, so a tagged OK can be held back."""
        pending = b""
        try:
            while data := upstream.recv(65536):
                pending += data
                *lines, pending = pending.split(b"\r\n")
                for line in lines:
                    if self._drops(line, tags):
                        _close(client, upstream)
                        return
                    client.sendall(line + b"\r\n")
        except OSError:
            pass
        _close(client, upstream)

    def _drops(self, line: bytes, tags: list[bytes]) -> bool:
        with self._lock:
            if self.drop_appends <= 0 or not any(line.startswith(t + b" OK") for t in tags):
                return False
            self.drop_appends -= 1
            self.dropped += 1
            self.refusing = self.refuse_after_drop
            return True


def _close(*socks: socket.socket) -> None:
    for s in socks:
        with suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()


@contextmanager
def imap_proxy(host: str, port: int, **options: object) -> Iterator[ImapProxy]:
    proxy = ImapProxy((host, port), **options)  # type: ignore[arg-type]
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
