"""What the digest's footer says about the sources: which ones need reconnecting.

Only the source's name from the config and a fixed sentence are shown, never the stored
error text (it may hold what a server said).
"""

from __future__ import annotations

from typing import Protocol

from followup.safe_text import clean_line


class _Sources(Protocol):
    def sources_needing_reconnect(self) -> list[str]: ...


def reconnect_lines(store: _Sources) -> tuple[str, ...]:
    """One line per source whose last sync said it needs reconnect."""
    lines = []
    for name in store.sources_needing_reconnect():
        shown = clean_line(name, 80)
        lines.append(f"{shown} needs reconnect: run followup auth {shown}")
    return tuple(lines)
