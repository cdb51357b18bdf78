"""aiosmtpd handlers that fail the way real servers and networks do, for the digest tests."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from smtp_testing import Recorder


@dataclass
class DropAfterData(Recorder):
    """Takes the message (it counts as delivered) and then drops the connection instead
    of answering the final "." — for the next ``drops`` messages; then behaves."""

    drops: int = 1

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.drops > 0:
            self.drops -= 1
            server.transport.close()
        return "250 OK"


@dataclass
class BlockInData(Recorder):
    """Keeps the message at the final "." (as a server may deliver it, whatever becomes
    of the client), then holds the answer until ``release`` is set and answers 250."""

    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    blocks: int = 1

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.blocks > 0:
            self.blocks -= 1
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"
