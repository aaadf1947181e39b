"""Live latent traversal: sliders whose decoded picture changes in the browser, with no round trip.

A Streamlit slider reruns the script on every move, and that round trip (~200 ms on 2 cores)
is slower than a hand on a slider. So this v2 component (not sandboxed) gets, with each render,
one sprite sheet holding, for every shown dimension, the decoded image at each slider step *with
the other dimensions where they are now*. Moving one slider then only picks a tile: the picture
is the decoder's exact output, drawn in the next frame. Releasing a slider sends the positions to
Python, which decodes the sheet around the new code (one batch). Until it arrives, a move of a
*different* slider shows a tile made with the old position of the one just released; the picture is
marked "updating" for that moment and redrawn exactly when the new sheet comes. Positions go to
Python 50 ms after the hand pauses, after the new frame is on screen.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ae_core.explore.sampling import traversal_sheet
from ae_core.models import Autoencoder
from ui.i18n import _
from ui.shared import shared
from ui.widgets import sprite_url

SHEET_VALUES = 1_500_000  # numbers (pixels × channels) in one sheet: about 0.5–2 MB of PNG per release


def slider_steps(image_shape: tuple[int, ...], sliders: int) -> int:
    """Positions per slider: 41 (steps of 0.15σ over ±3σ) for small images, fewer for large ones
    so a sheet stays quick to decode and send; always 8k + 1 so the 9-column grid is a subset."""
    per_step = sliders * int(np.prod(image_shape))
    return max(9, min(41, (SHEET_VALUES // per_step - 1) // 8 * 8 + 1))


_HTML = """
<div class="traversal">
  <div class="sliders"></div>
  <figure class="live-traversal">
    <canvas width="224" height="224" role="img" aria-label="decoded live"></canvas>
    <figcaption>decoded live</figcaption>
  </figure>
</div>
"""

_CSS = """
.traversal { display: flex; gap: 1.5rem; align-items: flex-start; flex-wrap: wrap; }
.sliders { flex: 1 1 18rem; display: flex; flex-direction: column; gap: 0.6rem; }
.sliders label { display: block; font-size: 0.875rem; }
.sliders .value { float: right; font-variant-numeric: tabular-nums; opacity: 0.75; }
.sliders input { width: 100%; accent-color: var(--st-primary-color); }
.live-traversal { margin: 0; text-align: center; }
.live-traversal canvas { image-rendering: pixelated; border-radius: 0.25rem; background: #000; }
.live-traversal figcaption { font-size: 0.8rem; opacity: 0.7; }
.live-traversal.updating figcaption::after { content: " (" attr(data-updating) ")"; }
"""

_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".traversal");
  // Built once per mount; a new render only brings a new sheet (rebuilding would lose the focus
  // and the thumb under the user's finger).
  let view = root.__view;
  if (!view || view.identity !== data.identity) {
    view = root.__view = build(root, data.labels.length, setStateValue);
    view.identity = data.identity;
  }
  view.update(data);
}

const SEND_AFTER_MS = 50;

function build(root, rows, setStateValue) {
  const figure = root.querySelector("figure");
  const canvas = root.querySelector("canvas");
  const pen = canvas.getContext("2d");
  const box = root.querySelector(".sliders");
  // ks: the positions shown (null: the sample's own value); sheet: the loaded sheet and the
  // positions it was decoded around; pending: a slider moved before any sheet had loaded.
  const view = { data: null, ks: null, sheet: null, sheetKs: null, pending: null };
  const same = (a, b) => a.every((k, j) => k === b[j]);
  // The dataset tells tests and benchmarks what is drawn and from where.
  const paint = (image, sx, sy, source) => {
    const [h, w] = view.data.tile;
    pen.imageSmoothingEnabled = false;
    pen.clearRect(0, 0, canvas.width, canvas.height);
    pen.drawImage(image, sx, sy, w, h, 0, 0, canvas.width, canvas.height);
    figure.dataset.drawn = String(Number(figure.dataset.drawn || 0) + 1);
    figure.dataset.source = source;
    figure.dataset.shown = JSON.stringify(view.ks);
  };
  // A tile is the decoder's exact output when every other slider is where the sheet was made;
  // otherwise it is marked as updating until the next sheet comes.
  const show = (row) => {
    if (!view.sheet) {
      view.pending = row;
      return;
    }
    view.pending = null;
    const [h, w] = view.data.tile;
    paint(view.sheet, view.ks[row] * w, row * h, "sheet");
    figure.classList.toggle("updating", !view.ks.every((k, j) => j === row || k === view.sheetKs[j]));
  };
  const label = (row) => {
    const k = view.ks[row];
    return (k === null ? view.data.base[row] : view.data.values[row][k]).toFixed(2);
  };
  // Tell Python once the hand pauses (held arrow keys fire a change per step), and never before
  // the frame with the new picture is on screen: Streamlit's own work on a state change would
  // otherwise delay that frame.
  let timer = null;
  const send = () => {
    clearTimeout(timer);
    timer = setTimeout(() => setStateValue("ks", view.ks.slice()), SEND_AFTER_MS);
  };
  box.replaceChildren();
  view.inputs = Array.from({ length: rows }, (_, row) => {
    const wrap = document.createElement("label");
    const name = document.createElement("span");
    const value = document.createElement("span");
    value.className = "value";
    const input = document.createElement("input");
    input.type = "range";
    input.step = 1;
    input.addEventListener("input", () => {
      view.ks[row] = Number(input.value);
      value.textContent = label(row);
      show(row);
    });
    input.addEventListener("change", send);
    wrap.append(name, value, input);
    box.append(wrap);
    return { input, name, value };
  });
  view.update = (data) => {
    view.data = data;
    const caption = figure.querySelector("figcaption");
    caption.textContent = data.words.caption;
    caption.dataset.updating = data.words.updating;
    canvas.setAttribute("aria-label", data.words.caption);
    const height = Math.round((canvas.width * data.tile[0]) / data.tile[1]);
    if (canvas.height !== height) canvas.height = height; // setting it at all clears the canvas
    // The browser's positions win over the server's: the user may have moved on meanwhile.
    if (!view.ks) view.ks = data.ks.slice();
    view.inputs.forEach(({ input, name, value }, row) => {
      name.textContent = data.labels[row];
      input.setAttribute("aria-label", data.labels[row]);
      input.min = 0;
      input.max = data.steps - 1;
      input.value = view.ks[row] ?? data.start[row];
      value.textContent = label(row);
    });
    // Decoded off screen and swapped in when ready: moves meanwhile use the previous sheet.
    const sheet = new Image();
    const current = new Image();
    sheet.onload = () => {
      if (view.data !== data) return; // a newer sheet is on its way
      view.sheet = sheet;
      view.sheetKs = data.ks;
      figure.dataset.positions = JSON.stringify(data.ks);
      if (view.pending !== null) show(view.pending);
    };
    current.onload = () => {
      if (view.data !== data || !same(view.ks, data.ks)) return;
      paint(current, 0, 0, "decoded");
      figure.classList.remove("updating");
    };
    sheet.src = data.sprite;
    current.src = data.current;
  };
  return view;
}
"""

_TRAVERSAL = st.components.v2.component("latent_lab_live_traversal", html=_HTML, css=_CSS, js=_JS)


def live_traversal(
    model: Autoencoder, base: np.ndarray, dims: list[int], values: np.ndarray, labels: list[str], key: str
) -> np.ndarray:
    """Sliders over code dimensions ``dims`` (positions ``values[i]``) starting from code ``base``.

    ``key`` names the component and must identify ``base``, ``dims`` and ``values`` (the
    sheet of the untouched sliders is shared by every session under it). Returns the code the
    sliders show now.
    """
    values = np.asarray(values, np.float32)
    ks = (st.session_state.get(key) or {}).get("ks") or [None] * len(dims)
    if all(k is None for k in ks):  # the view every follower of the teacher opens: decoded once per server
        z, image, sheet = shared((key,), traversal_sheet, model, base, dims, values, ks)
    else:
        z, image, sheet = traversal_sheet(model, base, dims, values, ks)
    start = [int(np.abs(values[row] - base[dim]).argmin()) for row, dim in enumerate(dims)]
    _TRAVERSAL(
        key=key,
        data={
            "sprite": sprite_url(sheet.reshape(-1, *image.shape), columns=values.shape[1]),
            "current": sprite_url(image[None], columns=1),
            "tile": list(image.shape[1:]),
            "ks": ks,
            "start": start,
            "steps": values.shape[1],
            "values": values.round(4).tolist(),
            "base": [float(base[d]) for d in dims],
            "labels": labels,
            "identity": key,
            "words": {"caption": _("decoded live"), "updating": _("updating")},
        },
        on_ks_change=lambda: None,
    )
    return z
