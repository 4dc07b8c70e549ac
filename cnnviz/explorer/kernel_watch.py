"""Say so when the page has lost its kernel: one sentence, a reload button, controls disabled.

A Voila page keeps showing its widgets after the Python kernel behind them is gone (killed,
culled after a laptop slept past the idle time, server restarted): sliders still slide and
Play still counts, but nothing is drawn. :class:`KernelWatch` is a small anywidget whose
browser side listens to the page's kernel connection (``model.widget_manager.kernel``, the
same object in Voila and JupyterLab):

* kernel status ``dead``, ``restarting`` or ``autorestarting`` (a restarted kernel no longer
  holds this page's widgets) or connection status ``disconnected``: the kernel is gone;
* connection status ``connecting`` for more than :data:`RECONNECT_GRACE_MS` (the server does
  not answer): gone too, but taken back if the same kernel answers again.

Then it shows :data:`GONE_SENTENCE` (and in Voila a "Reload the page" button) at the top of
the page, stops ``Play``, marks every control it was given as disabled in the browser, and
greys the picture (the explorer root gets the class ``cnnviz-kernel-gone``).

It also tells the kernel when a page shows it (:meth:`KernelWatch.on_shown`), so the page can
draw its first picture first and the rest once the picture is up.

Use::

    watch = KernelWatch(controls=[play, slider, button])   # put it first in the page's VBox
    watch.on_shown(draw_the_details)
"""

from __future__ import annotations

import anywidget
import ipywidgets as widgets
import traitlets

RECONNECT_GRACE_MS = 8000  # a short network blip reconnects within a few seconds
ROOT_CLASS = "cnnviz-explorer"  # the element the watcher greys out; the explorer's VBox has it
GONE_SENTENCE = (
    "This page has lost its connection to Python (the kernel stopped or the server restarted),"
    " so the controls no longer work: reload the page to start again."
)
GONE_SENTENCE_LAB = (
    "This notebook's kernel has stopped or restarted, so these controls no longer work:"
    " run the notebook's cells again."
)

_ESM = r"""
const GONE_STATUS = new Set(["dead", "restarting", "autorestarting"]);

function render({ model, el }) {
  const banner = document.createElement("div");
  banner.className = "cnnviz-kernel-banner";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  const words = document.createElement("span");
  const reload = document.createElement("button");
  reload.className = "jupyter-button mod-warning";
  reload.textContent = "Reload the page";
  reload.addEventListener("click", () => window.location.reload());
  banner.append(words, reload);
  el.append(banner);
  model.send({ event: "shown" });  // the page shows the explorer: the kernel may draw the rest
  const inLab = el.closest(".jp-NotebookPanel") !== null;  // Voila has no notebook panel
  let goneFor = null;  // why the banner shows: "gone" (final) or "connecting" (may recover)
  let timer = null;

  async function controls(disabled) {
    for (const ref of model.get("controls")) {
      const id = String(ref).replace(/^IPY_MODEL_/, "");
      try {
        const control = await model.widget_manager.get_model(id);
        if (disabled && control.get("playing")) control.set("playing", false);
        control.set("disabled", disabled);  // in the browser only: the kernel cannot hear
      } catch (error) { /* a control that is not on this page */ }
    }
  }

  function show(reason) {
    if (goneFor === "gone") return;
    goneFor = reason;
    words.textContent = inLab ? model.get("sentence_lab") : model.get("sentence");
    reload.hidden = inLab;
    banner.hidden = false;
    const root = el.closest("." + model.get("root_class")) || document.body;
    root.classList.add("cnnviz-kernel-gone");
    controls(true);
  }

  function recover() {
    if (goneFor !== "connecting") return;
    goneFor = null;
    banner.hidden = true;
    const root = el.closest("." + model.get("root_class")) || document.body;
    root.classList.remove("cnnviz-kernel-gone");
    controls(false);
  }

  const kernel = model.widget_manager && model.widget_manager.kernel;
  if (!kernel || !kernel.statusChanged) return;  // no live kernel (e.g. a static export)
  el.dataset.watching = "kernel";
  kernel.statusChanged.connect((_, status) => {
    if (GONE_STATUS.has(status)) show("gone");
  });
  kernel.connectionStatusChanged.connect((_, status) => {
    clearTimeout(timer);
    if (status === "disconnected") show("gone");
    else if (status === "connecting") timer = setTimeout(() => show("connecting"),
                                                         model.get("grace_ms"));
    else if (status === "connected") recover();
  });
  if (GONE_STATUS.has(kernel.status) || kernel.connectionStatus === "disconnected") show("gone");
}
export default { render };
"""

_CSS = """
.cnnviz-kernel-banner {
  position: sticky; top: 0; z-index: 10; display: flex; flex-wrap: wrap; gap: 8px 16px;
  align-items: center; padding: 10px 14px; margin: 4px 0 8px;
  border: 2px solid #b35900; border-radius: 4px; font-size: 15px;
  background: var(--jp-layout-color1, #fff); color: var(--jp-ui-font-color0, #111);
}
.cnnviz-kernel-banner[hidden] { display: none; }
.cnnviz-kernel-gone img.widget-image { opacity: 0.45; filter: grayscale(1); }
/* ipywidgets' own broken-link icons on every control say less than the sentence does */
.cnnviz-kernel-gone .jupyter-widgets-disconnected::before,
.cnnviz-kernel-gone.jupyter-widgets-disconnected::before { display: none; }
"""


class KernelWatch(anywidget.AnyWidget):
    """Shows a sentence and a reload button when the page's kernel is gone.

    Parameters
    ----------
    controls : list of ipywidgets.DOMWidget
        Controls to disable in the browser then (a ``Play`` is also stopped).
    """

    _esm = _ESM
    _css = _CSS
    controls = traitlets.List(trait=traitlets.Instance(widgets.Widget)).tag(
        sync=True, **widgets.widget_serialization
    )
    sentence = traitlets.Unicode(GONE_SENTENCE).tag(sync=True)
    sentence_lab = traitlets.Unicode(GONE_SENTENCE_LAB).tag(sync=True)
    root_class = traitlets.Unicode(ROOT_CLASS).tag(sync=True)
    grace_ms = traitlets.Int(RECONNECT_GRACE_MS).tag(sync=True)

    def on_shown(self, callback) -> None:
        """Call ``callback()`` (no arguments) each time a page shows this widget."""

        def handle(_widget, content, _buffers) -> None:
            if isinstance(content, dict) and content.get("event") == "shown":
                callback()

        self.on_msg(handle)
