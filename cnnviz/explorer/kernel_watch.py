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

from cnnviz.explorer.web import asset

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

_ESM = asset("kernel_watch.js")

_CSS = asset("kernel_watch.css")


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
