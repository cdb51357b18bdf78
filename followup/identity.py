"""Which addresses are "me": the configured ones plus the senders of my sent folders."""

from __future__ import annotations

from followup.config import Config
from followup.store.store import Store

# A sent-folder sender counts as me when it wrote at least this share of the folder;
# the rest are usually messages filed there by hand.
SENT_SHARE = 0.05


def my_addresses(config: Config, store: Store) -> frozenset[str]:
    me = set(config.me.addresses)
    senders = store.sent_folder_senders()
    total = sum(n for _, n in senders)
    for email, n in senders:
        if total and n / total >= SENT_SHARE:
            me.add(email)
    return frozenset(me)
