"""Keyboard, screen-reader and focus glue for widget pages (ipywidgets wiring only).

ipywidgets 8.1 gives its slider handles, the Play widget's icon buttons and its images no
accessible name and has no option to set one (upstream: jupyter-widgets/ipywidgets#2650, open
since 2019). This module adds them from our side, once per page, with a small script and style
carried by an ``Output`` widget (an HTML output with a ``<script>`` runs in Voila and in
JupyterLab; a ``<script>`` inside an ``HTML`` widget does not):

* every slider handle (and its editable value readout) is named by its label, the Play
  buttons by what they do ("Play" or "Pause", "Stop: back to the first step", "Repeat"),
  ``label title="null"`` tooltips go;
* each described image gets its ``alt`` from text the kernel computes (kept in a hidden
  ``HTML`` widget the script reads; ipywidgets' ``Image`` has no ``alt``);
* a live region (``role=status``, ``aria-live=polite``) announces the step: at once when the
  learner steps, at most once every ``min_interval`` seconds while Play runs, and the last
  step when Play stops;
* Voila's cell column becomes the page's ``main`` landmark (Voila 0.5 has none);
* Space on a slider handle that sits next to a Play widget plays and pauses (arrow keys on the
  handle already move the step);
* a visible focus ring on every button, menu, link and slider handle; links in the prose are
  underlined (JupyterLab's theme tells them apart by colour only).

Use::

    glue = PageA11y(play=play)
    glue.describe(image, "the fan-out figure")          # before the first set_alt
    glue.set_alt(image, "Step 3 of 32: ...")
    glue.announce("Step 3 of 32: ...")                    # rate-limited while playing
    VBox([..., glue.widget])                              # once per page part
"""

from __future__ import annotations

import html
import itertools
import time
from collections.abc import Callable

import ipywidgets as widgets
from IPython.display import HTML

from cnnviz.explorer.web import asset

_COUNTER = itertools.count(1)
MIN_INTERVAL = 2.0  # seconds between announcements while playing: a screen reader keeps up

STYLE = asset("a11y.css")

# Idempotent: a second copy (another explorer on the page, a re-render) only re-applies.
SCRIPT = asset("a11y.js")


class PageA11y:
    """Names, alternative texts and a rate-limited live region for one widget page part.

    Parameters
    ----------
    play : ipywidgets.Play, optional
        While it plays, announcements are rate-limited; when it stops, the last step is read.
    min_interval : float
        Seconds between two announcements while playing.
    clock : callable
        Returns seconds (``time.monotonic``); a test passes its own.
    """

    def __init__(
        self,
        *,
        play: widgets.Play | None = None,
        min_interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if play is not None and not isinstance(play, widgets.Play):
            raise TypeError(f"play must be an ipywidgets.Play; got {type(play).__name__}")
        if not isinstance(min_interval, (int, float)) or min_interval < 0:
            raise ValueError(f"min_interval must be a number >= 0; got {min_interval!r}")
        self.play = play
        self.min_interval = float(min_interval)
        self._clock = clock
        self._last_time: float | None = None
        self._pending: str | None = None
        self._alts: dict[str, str] = {}
        self._classes: dict[int, str] = {}
        self.live = widgets.HTML()
        self.live.add_class("cnnviz-live")
        self.live.add_class("cnnviz-sr-only")
        self.alt_source = widgets.HTML(layout=widgets.Layout(display="none"))
        self.alt_source.add_class("cnnviz-alt-source")
        self.script = widgets.Output()
        self.script.append_display_data(HTML(f"<style>{STYLE}</style><script>{SCRIPT}</script>"))
        # present for screen readers, invisible on screen (and never a scrolling region)
        self.widget = widgets.Box([self.script, self.live, self.alt_source])
        self.widget.add_class("cnnviz-sr-only")
        if play is not None:
            play.observe(self._on_playing, names="playing")

    # ------------------------------------------------------------------ images

    def describe(self, image: widgets.Image, what: str) -> None:
        """Mark ``image`` as described; ``what`` is its alt until :meth:`set_alt` says more."""
        if not isinstance(image, widgets.Image):
            raise TypeError(f"image must be an ipywidgets.Image; got {type(image).__name__}")
        if id(image) not in self._classes:
            name = f"cnnviz-img-{next(_COUNTER)}"
            self._classes[id(image)] = name
            image.add_class(name)
        self.set_alt(image, what)

    def set_alt(self, image: widgets.Image, text: str) -> None:
        """Give ``image`` (already :meth:`describe`-d) the alternative text ``text``."""
        if id(image) not in self._classes:
            raise ValueError("image must be passed to describe() before set_alt()")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must be a non-empty str")
        self._alts[self._classes[id(image)]] = text
        self.alt_source.value = "".join(
            f"<div data-alt-for='{name}'>{html.escape(alt)}</div>"
            for name, alt in self._alts.items()
        )

    # ------------------------------------------------------------------ live region

    def announce(self, text: str, *, now: bool = False) -> bool:
        """Read ``text`` in the live region; while playing, at most once per ``min_interval``.

        ``now=True`` skips the rate limit (the learner asked: a step button, a key).
        Returns whether the text was put in the region now (else it waits for the next
        announcement or for Play to stop).
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        clock = self._clock()
        playing = self.play is not None and bool(self.play.playing)
        recent = self._last_time is not None and clock - self._last_time < self.min_interval
        if playing and recent and not now:
            self._pending = text
            return False
        self._say(text, clock)
        return True

    def _say(self, text: str, clock: float) -> None:
        self._pending = None
        self._last_time = clock
        self.live.value = html.escape(text)

    def _on_playing(self, change) -> None:
        if not change["new"] and self._pending is not None:
            self._say(self._pending, self._clock())

