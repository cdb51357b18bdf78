"""HTML to plain text with the stdlib parser: enough for an excerpt, never raises.

Only the readable text matters here (the NLP layer reads sentences), so the converter
drops scripts, styles and the document head, turns block elements and ``<br>`` into line
breaks, and lets ``html.parser`` unescape entities. Truncated input (an IMAP partial
fetch cuts mid-tag) is fine: whatever was parsed so far is returned.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

logger = logging.getLogger(__name__)

# Elements whose content is never shown to a reader.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
# Elements that start a new line when rendered.
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
# Void elements never get an end tag, so they must not open a hidden section.
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr"})

_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b\u200c\u200d\ufeff]+")
# C0 controls but tab and newline, and DEL: noise in an excerpt, and unsafe in a terminal.
# (str.translate is 4x faster than a regex here; this runs on every excerpt.)
_DROP_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


class _TextExtractor(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN and tag not in _VOID:
            self.hidden += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <p/>: a line break, but never the start of a hidden section.
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and tag not in _VOID:
            if self.hidden:
                self.hidden -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.hidden or self.size > self.limit:
            return
        self.parts.append(data)
        self.size += len(data)


def html_to_text(html: str, *, limit: int = 1 << 20) -> str:
    """Return the readable text of ``html``, tidied; stops collecting after ``limit`` chars.

    Never raises: a parser failure returns what was extracted up to that point.
    """
    parser = _TextExtractor(limit)
    lt = html.rfind("<")
    if lt != -1 and html.find(">", lt) == -1:
        html = html[:lt]  # a tag cut off by a partial fetch would show up as text
    try:
        # Fed in slices so that a huge newsletter stops costing once enough text is in.
        for i in range(0, len(html), 8192):
            parser.feed(html[i : i + 8192])
            if parser.size > limit:
                break
        parser.close()
    except Exception:  # html.parser is lenient, but a hostile document must not crash a sync
        logger.debug("HTML parser gave up; keeping the text parsed so far", exc_info=True)
    return tidy_text("".join(parser.parts), collapse_spaces=True)


def tidy_text(text: str, *, collapse_spaces: bool = False) -> str:
    """Normalise line ends, strip trailing spaces and control characters, squeeze blank lines.

    ``collapse_spaces`` also squeezes runs of spaces inside lines (HTML whitespace is not
    significant; plain text's alignment is kept).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_DROP_CONTROLS)
    if collapse_spaces:
        text = _SPACES.sub(" ", text)
        lines = [line.strip() for line in text.split("\n")]
    else:
        lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:  # faster than re.sub(r"\n{3,}") on text with many lines
        text = text.replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n")
    return text.strip()
