"""The HTML digest in a real browser (headless Chromium) at phone width, light and dark.

Headless Chromium will not make a window narrower than 500 px, so the digest is laid
out in a 360 px wide iframe (a viewport of its own) and measured from inside it: no
horizontal scroll, every section and card within the width, readable contrast, and no
resource loaded from anywhere.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from digest_samples import NOW, TZ, every_kind, hostile

from followup.digest.render import render_html
from followup.nudges import KIND_ORDER

pytestmark = [pytest.mark.server, pytest.mark.slow]

WIDTH = 360

PROBE = """
<script>
window.addEventListener('load', () => {
  const f = document.getElementById('digest');
  const w = f.contentWindow, d = f.contentDocument, root = d.documentElement;
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, height: r.height}; };
  const css = (el, p) => w.getComputedStyle(el).getPropertyValue(p);
  const cardOf = (sel) => [...d.querySelectorAll(sel)].map(el => ({
    box: box(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
    number: el.dataset.number, bg: css(el, 'background-color'),
    text: css(el.querySelector('.fu-text'), 'color'),
    muted: css(el.querySelector('.fu-muted'), 'color'),
    link: el.querySelector('a') ? css(el.querySelector('a'), 'color') : null }));
  const out = {
    innerWidth: w.innerWidth, scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
    dark: w.matchMedia('(prefers-color-scheme: dark)').matches,
    pageBg: css(d.body, 'background-color'), pageText: css(d.body, 'color'),
    sections: [...d.querySelectorAll('h2')].map(h => ({id: h.id, box: box(h),
      color: css(h, 'color')})),
    cards: cardOf('.fu-card'),
    resources: w.performance.getEntriesByType('resource').map(e => e.name),
    height: root.scrollHeight };
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>
"""


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    reason = "chromium not found: install the Debian package chromium (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the browser tests, not skip them", pytrace=False)
    pytest.skip(reason)


def chromium(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=500,2600",
        *extra,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def measure(tmp: Path, digest_html: str, *, dark: bool = False) -> dict[str, Any]:
    (tmp / "digest.html").write_text(digest_html, encoding="utf-8")
    page = tmp / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><body style="margin:0;background:#ff00ff">'
        f'<iframe id="digest" style="width:{WIDTH}px;height:2400px;border:0;display:block" '
        f'srcdoc="{html.escape(digest_html, quote=True)}"></iframe>{PROBE}</body></html>',
        encoding="utf-8",
    )
    flags = ["--force-dark-mode"] if dark else []
    result = chromium(tmp, page.as_uri(), *flags, "--dump-dom")
    start = result.stdout.find('<pre id="probe">')
    assert start >= 0, f"no probe output; chromium said: {result.stderr[-2000:]}"
    raw = result.stdout[start + len('<pre id="probe">') :].split("</pre>", 1)[0]
    # A screenshot for a human to look at when a layout assertion fails.
    chromium(tmp, page.as_uri(), *flags, f"--screenshot={tmp / 'digest.png'}")
    return json.loads(html.unescape(raw))  # type: ignore[no-any-return]


def rgb(value: str) -> tuple[float, float, float]:
    parts = value[value.index("(") + 1 : value.index(")")].split(",")
    r, g, b = (float(p) for p in parts[:3])
    return r, g, b


def luminance(value: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb(value)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    digest = render_html([hostile(), *every_kind()], NOW, TZ)
    return {
        mode: measure(tmp_path_factory.mktemp(mode), digest, dark=mode == "dark")
        for mode in ("light", "dark")
    }


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_fits_phone_width_without_horizontal_scroll(
    layouts: dict[str, dict[str, Any]], mode: str
) -> None:
    m = layouts[mode]
    assert m["innerWidth"] == WIDTH  # measured in the phone-sized viewport
    assert m["scrollWidth"] <= m["clientWidth"] <= WIDTH
    assert len(m["cards"]) == 8
    for card in m["cards"]:
        assert card["box"]["left"] >= 0 and card["box"]["right"] <= WIDTH, card
        # The 300-character word and the long hostile sentence wrap inside the card.
        assert card["scrollWidth"] <= card["clientWidth"], card


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_all_sections_visible_in_order(layouts: dict[str, dict[str, Any]], mode: str) -> None:
    sections = layouts[mode]["sections"]
    assert [s["id"] for s in sections] == [f"section-{k}" for k in KIND_ORDER]
    tops = [s["box"]["top"] for s in sections]
    assert tops == sorted(tops)
    for s in sections:
        assert s["box"]["height"] > 0 and s["box"]["right"] <= WIDTH


def test_dark_mode_follows_the_system(layouts: dict[str, dict[str, Any]]) -> None:
    light, dark = layouts["light"], layouts["dark"]
    assert (light["dark"], dark["dark"]) == (False, True)
    assert luminance(light["pageBg"]) > 0.8 and luminance(dark["pageBg"]) < 0.05
    assert luminance(dark["cards"][0]["bg"]) < 0.05


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_text_is_readable(layouts: dict[str, dict[str, Any]], mode: str) -> None:
    # WCAG AA: 4.5:1 for body text, on the card it sits on.
    for card in layouts[mode]["cards"]:
        assert contrast(card["text"], card["bg"]) >= 7, card
        assert contrast(card["muted"], card["bg"]) >= 4.5, card
        if card["link"]:
            assert contrast(card["link"], card["bg"]) >= 4.5, card
    for s in layouts[mode]["sections"]:
        assert contrast(s["color"], layouts[mode]["pageBg"]) >= 4.5


def test_loads_nothing_from_anywhere(layouts: dict[str, dict[str, Any]]) -> None:
    # The hostile nudge carries <img src=x>: it must stay text, and no fonts, images
    # or stylesheets are fetched (mail clients block them, and they leak a read receipt).
    assert layouts["light"]["resources"] == []
