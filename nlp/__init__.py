"""Text to findings: requests, commitments, due dates and people.

Public API (stable, used by the application):

- ``load_pipeline(prefer="auto") -> Pipeline``: the best pipeline available (the
  statistical English model where installed, else the rule pipeline on
  ``spacy.blank("en")``). ``prefer`` is "auto", "rules" or "model".
- ``Pipeline.name``: a short description for ``followup doctor``.
- ``Pipeline.extract_many(items: Iterable[TextItem], batch_size=64, *, people=True)
  -> Iterator[Extraction]`` (``people=False``: no people, no NER; much faster)
- ``extract(text, sent_at=None, from_me=False, tz="UTC", pipeline=None) -> Extraction``
- ``Finding.firm``: False for findings the corpora count but the digest should not act
  on (courtesy closers, notices); the application stores every finding with its scores
  and nudges on the firm ones.
- ``Finding.addressees``: the names a request is put to ("Dana, can you ...", "Hi
  Dana,"), () when it singles nobody out; with ``TextItem.reader_names`` given, a request
  put by name to someone else only is not firm (cue "addressed_other").
- ``pipeline.installed(prefer) -> Installed``: the identity of the rules + model and the
  thresholds in use, from their files (no model loaded); ``thresholds.rejudge`` decides
  firm again from stored scores under other thresholds.

spaCy is imported lazily, on first use, so importing ``nlp`` stays cheap.
"""

from __future__ import annotations

from nlp.findings import Extraction, Finding, PersonMention, TextItem

__all__ = ["Extraction", "Finding", "PersonMention", "TextItem", "extract", "load_pipeline"]


def load_pipeline(prefer: str = "auto", **options):  # type: ignore[no-untyped-def]
    from nlp.pipeline import load_pipeline as _load

    return _load(prefer, **options)


def extract(  # type: ignore[no-untyped-def]
    text: str, sent_at=None, from_me: bool = False, tz: str = "UTC", pipeline=None
) -> Extraction:
    from nlp.pipeline import extract as _extract

    return _extract(text, sent_at=sent_at, from_me=from_me, tz=tz, pipeline=pipeline)
