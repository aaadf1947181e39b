"""A before/after wipe: a line dragged across the picture itself, the photo before on its left.

A slider beside a picture makes the eye leave the picture; this small v2 component (not
sandboxed) stacks the two images and clips the top one at the line, which follows the pointer
(or a finger, or the arrow keys) with no round trip to Python. The pictures go as JPEG previews
at most ``PREVIEW`` pixels on the long side; the page shows exact pixels in its 1:1 detail.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from ui.shared import shared

PREVIEW = 1600

_HTML = """
<div class="wipe" role="slider" tabindex="0" aria-valuemin="0" aria-valuemax="100">
  <img class="after" alt="" draggable="false">
  <img class="before" alt="" draggable="false">
  <div class="line"><span></span></div>
  <span class="tag left"></span><span class="tag right"></span>
</div>
"""

_CSS = """
.wipe { position: relative; width: 100%; touch-action: none; cursor: ew-resize; user-select: none; line-height: 0; }
.wipe img { width: 100%; display: block; border-radius: 0.25rem; }
.wipe img.before { position: absolute; inset: 0; height: 100%; }
.wipe .line { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px; background: #fff;
  box-shadow: 0 0 4px rgba(0,0,0,.7); pointer-events: none; }
.wipe .line span { position: absolute; top: 50%; left: -11px; width: 20px; height: 20px; margin-top: -11px;
  border-radius: 50%; background: #fff; border: 2px solid rgba(0,0,0,.55); }
.wipe .tag { position: absolute; top: 0.5rem; padding: 0.15rem 0.5rem; line-height: 1.4; font-size: 0.85rem;
  background: rgba(0,0,0,.6); color: #fff; border-radius: 0.25rem; pointer-events: none; }
.wipe .tag.left { left: 0.5rem; } .wipe .tag.right { right: 0.5rem; }
.wipe:focus-visible { outline: 2px solid var(--st-primary-color); outline-offset: 2px; }
"""

_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".wipe");
  const before = root.querySelector("img.before");
  const line = root.querySelector(".line");
  root.querySelector("img.after").src = data.after;
  before.src = data.before;
  root.querySelector("img.after").alt = data.after_label;
  before.alt = data.before_label;
  root.querySelector(".tag.left").textContent = data.before_label;
  root.querySelector(".tag.right").textContent = data.after_label;
  root.setAttribute("aria-label", data.label);
  const place = (fraction) => {
    root.__at = Math.min(1, Math.max(0, fraction));
    before.style.clipPath = `inset(0 ${(1 - root.__at) * 100}% 0 0)`;
    line.style.left = `${root.__at * 100}%`;
    root.setAttribute("aria-valuenow", String(Math.round(root.__at * 100)));
    root.dataset.position = root.__at.toFixed(3);
  };
  const follow = (event) => {
    const box = root.getBoundingClientRect();
    place((event.clientX - box.left) / box.width);
  };
  let dragging = false;
  root.onpointerdown = (event) => { dragging = true; root.setPointerCapture(event.pointerId); follow(event); };
  root.onpointermove = (event) => { if (dragging) follow(event); };
  root.onpointerup = root.onpointercancel = () => { dragging = false; };
  root.onkeydown = (event) => {
    const step = { ArrowLeft: -0.05, ArrowRight: 0.05 }[event.key];
    if (step !== undefined) { place(root.__at + step); event.preventDefault(); }
  };
  place(root.__at ?? 0.5);
}
"""

_WIPE = st.components.v2.component("latent_lab_wipe", html=_HTML, css=_CSS, js=_JS)


def _jpeg_url(image: np.ndarray) -> str:
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
    picture.thumbnail((PREVIEW, PREVIEW))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _jpeg_urls(before: np.ndarray, after: np.ndarray, content: str | None) -> tuple[str, str]:
    """The two pictures as JPEG URLs; once per server when ``content`` names them (a class opens
    the same sample photo)."""
    if content is None:
        return _jpeg_url(before), _jpeg_url(after)
    return shared((content,), lambda: (_jpeg_url(before), _jpeg_url(after)))


def wipe(
    before: np.ndarray,
    after: np.ndarray,
    before_label: str,
    after_label: str,
    label: str,
    key: str,
    content: str | None = None,
) -> None:
    """``before`` left of a draggable line and ``after`` right of it, both (H, W, C) in [0, 1];
    ``content``, when given, names the two pictures (their previews are then made once per server)."""
    urls = _jpeg_urls(before, after, content)
    _WIPE(
        key=key,
        data={
            "before": urls[0],
            "after": urls[1],
            "before_label": before_label,
            "after_label": after_label,
            "label": label,
        },
    )
