"""What of a message's excerpt is kept at rest: the writer's own text, quotes cut.

Its own module, light on imports (regular expressions only), so the mail reader's child
process (``followup.source_child``) cuts the excerpts while the parent stores.
"""

from __future__ import annotations

import dataclasses

from connectors.records import MailBatch

# How much of the first quoted line (the attribution) own_text keeps.
ATTRIBUTION_CHARS = 200


def own_text(excerpt: str) -> str:
    """The part of an excerpt its writer wrote: quoted history and forwarded blocks cut.

    Only the owner's own new text is kept at rest (a reply quotes other people's mail,
    often many times over). The signature stays: it names the writer. The first line of
    the cut (the "On ... wrote:" attribution or "Original Message" rule) is kept, cut
    short, because threading reads it as the sign of a reply.
    """
    from nlp.quoting import split_body  # regular expressions only; no spaCy

    if not excerpt:
        return excerpt
    parts = split_body(excerpt)
    kept = [p for p in (parts.body, parts.signature) if p]
    first_quoted = next((ln.strip() for ln in parts.quoted.splitlines() if ln.strip()), "")
    if first_quoted:
        kept.append(first_quoted[:ATTRIBUTION_CHARS])
    return "\n\n".join(kept)


def own_text_only(batch: MailBatch) -> MailBatch:
    """``batch`` with every record's excerpt reduced to :func:`own_text`; a record whose
    excerpt loses nothing is kept as it is (no copy)."""
    if not batch.records:
        return batch
    records = []
    for r in batch.records:
        cut = own_text(r.excerpt)
        records.append(r if cut == r.excerpt else dataclasses.replace(r, excerpt=cut))
    return dataclasses.replace(batch, records=tuple(records))
