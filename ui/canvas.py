"""A drawing pad (a Streamlit v2 component): draw a digit with the mouse or a finger.

It sends the drawing as 28x28 grey levels in [0, 1] when a stroke ends; "Clear" sends nothing.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.i18n import _

_HTML = """
<div class="pad">
  <canvas width="280" height="280"></canvas>
  <button type="button">Clear</button>
</div>
"""

_CSS = """
.pad { display: flex; gap: 0.75rem; align-items: flex-start; }
canvas { background: #000; border-radius: 0.5rem; touch-action: none; cursor: crosshair; }
button { font: inherit; padding: 0.25rem 0.75rem; border-radius: 0.5rem; border: 1px solid var(--st-border-color, #ccc);
         background: var(--st-secondary-background-color, #f0f2f6); color: inherit; cursor: pointer; }
"""

_JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const canvas = parentElement.querySelector("canvas");
  const clear = parentElement.querySelector("button");
  clear.textContent = component.data.clear;
  const pen = canvas.getContext("2d");
  pen.lineWidth = 22; pen.lineCap = "round"; pen.lineJoin = "round"; pen.strokeStyle = "#fff";
  let drawing = false;
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  const send = () => {
    const small = document.createElement("canvas");
    small.width = 28; small.height = 28;
    const ctx = small.getContext("2d");
    ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
    ctx.drawImage(canvas, 0, 0, 28, 28);
    const rgba = ctx.getImageData(0, 0, 28, 28).data;
    const grey = [];
    for (let i = 0; i < rgba.length; i += 4) grey.push(rgba[i] / 255);
    setStateValue("drawing", grey);
  };
  canvas.onpointerdown = (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); const [x, y] = at(e);
    pen.beginPath(); pen.moveTo(x, y); pen.lineTo(x + 0.1, y + 0.1); pen.stroke(); };
  canvas.onpointermove = (e) => { if (!drawing) return; const [x, y] = at(e); pen.lineTo(x, y); pen.stroke(); };
  canvas.onpointerup = () => { if (drawing) { drawing = false; send(); } };
  clear.onclick = () => { pen.clearRect(0, 0, canvas.width, canvas.height); setStateValue("drawing", null); };
}
"""

_PAD = st.components.v2.component("latent_lab_draw_pad", html=_HTML, css=_CSS, js=_JS)


def drawing_pad(key: str) -> np.ndarray | None:
    """The current drawing as a (28, 28) array in [0, 1], or None before anything is drawn."""
    result = _PAD(key=key, data={"clear": _("Clear")}, on_drawing_change=lambda: None)
    pixels = getattr(result, "drawing", None)
    if not pixels:
        return None
    return np.asarray(pixels, np.float32).reshape(28, 28)
