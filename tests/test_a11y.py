"""The words a screen reader gets (alt texts, announcements) and the live region's pace."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from cnnviz.core.claims import dw_recipe
from cnnviz.explorer.a11y import SCRIPT, PageA11y
from cnnviz.explorer.app import Explorer
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render.describe import (
    figure_alt,
    gradients_alt,
    img_html,
    plain_text,
    step_alt,
    step_announcement,
)
from cnnviz.explorer.render.fanout import FanOutFigure
from cnnviz.explorer.render.text import _n, equation_html


@pytest.fixture(scope="module")
def figure() -> FanOutFigure:
    return FanOutFigure(snapshot_from_settings(PRESETS["course-demo"].settings))


def test_plain_text_drops_markup_and_ends_lines_as_sentences():
    assert plain_text("<b>Step 1</b> of 2<br>δ<sub>1</sub> &amp; W") == "Step 1 of 2. δ1 & W"
    assert plain_text("a,<br>b") == "a, b"
    with pytest.raises(TypeError, match="snippet"):
        plain_text(3)


def test_step_alt_is_the_sentence_under_the_figure(figure):
    figure.set_walk("scatter")
    figure.frame(figure.walk.count - 1)
    step = figure.current
    alt = step_alt(figure)
    shown = plain_text(equation_html(figure.walk, step, channel=figure.channels[0]))
    assert alt.endswith(shown)
    k, (i, j) = step.filter_index, step.delta_index
    assert f"Step {step.count} of {step.count}" in alt
    assert f"δ{k + 1}[{i}, {j}] = {_n(step.delta_value)}" in alt
    assert "filters 1-2 of 2, channels 1-3 of 3" in alt


def test_announcement_names_the_same_element_and_window_as_the_page(figure):
    figure.set_walk("scatter")
    for index in (0, 7, figure.walk.count - 1):
        figure.frame(index)
        step = figure.current
        said = step_announcement(step)
        page = plain_text(equation_html(figure.walk, step))
        k, (i, j) = step.filter_index, step.delta_index
        name = f"δ{k + 1}[{i}, {j}] = {_n(step.delta_value)}"
        assert said.startswith(f"Step {index + 1} of {step.count}: {name}") and name in page
        top, left, eh, ew = step.window
        rows = f"{top}–{top + eh - 1}"
        assert f"rows {rows}" in said and f"rows {rows}" in page
    figure.set_walk("gather")
    figure.frame(5)
    r, q = figure.current.pixel
    said = step_announcement(figure.current, channel=1)
    assert f"input pixel ({r}, {q}) gathers dx = {_n(figure.current.dx[1, r, q])}" in said
    with pytest.raises(ValueError, match="channel"):
        step_announcement(figure.current, channel=3)


def test_step_alt_needs_a_drawn_step():
    fresh = FanOutFigure(snapshot_from_settings(PRESETS["course-demo"].settings))
    with pytest.raises(ValueError, match="draw a step"):
        step_alt(fresh)


def test_gradients_alt_says_what_it_shows(figure):
    layer = figure.layer
    text = gradients_alt(layer, channels=[0, 1], filter_rows=[1])
    assert "filter 2 of 2, channels 1-2 of 3" in text
    assert f"db2 = {_n(layer.db[1])}" in text and "db1" not in text
    assert dw_recipe(layer.geometry) in text


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_live_region_keeps_a_pace_a_screen_reader_can_follow():
    play, clock = widgets.Play(max=50), _Clock()
    glue = PageA11y(play=play, min_interval=2.0, clock=clock)
    assert glue.announce("Step 1")  # not playing: at once, every time
    clock.now += 0.1
    assert glue.announce("Step 2") and glue.live.value == "Step 2"
    play.playing = True
    said = []
    for n in range(3, 43):  # 40 steps at 4 steps/s while playing: 10 s
        clock.now += 0.25
        if glue.announce(f"Step {n}"):
            said.append(n)
    assert len(said) == 5, said  # once every 2 s
    assert all(b - a == 8 for a, b in zip(said, said[1:], strict=False))
    assert glue.live.value == f"Step {said[-1]}"
    play.playing = False  # paused: the step it stopped on is read
    assert glue.live.value == "Step 42"
    assert glue.announce("Step 41", now=True)


def test_alt_texts_reach_the_page_through_one_hidden_widget():
    glue = PageA11y()
    image = widgets.Image()
    with pytest.raises(ValueError, match="describe"):
        glue.set_alt(image, "x")
    glue.describe(image, "A <figure>")
    name = [c for c in image._dom_classes if c.startswith("cnnviz-img-")][0]
    assert f"data-alt-for='{name}'>A &lt;figure&gt;</div>" in glue.alt_source.value
    with pytest.raises(ValueError, match="non-empty"):
        glue.set_alt(image, " ")
    with pytest.raises(TypeError, match="image"):
        glue.describe(widgets.HTML(), "x")
    assert glue.alt_source.layout.display == "none"
    assert "cnnviz-live" in glue.live._dom_classes
    assert "aria-live', 'polite'" in SCRIPT


def test_explorer_describes_its_figures_and_announces_steps():
    explorer = Explorer()
    explorer.show_step(2)
    assert explorer.a11y.live.value.startswith("Step 3 of ")
    assert "Step 3 of " in explorer.image.alt  # the FrameView draws its own <img alt>
    assert "Weight and bias gradients" in explorer.a11y.alt_source.value
    assert explorer.a11y.widget in explorer.widget.children


def test_static_figures_carry_their_titles_as_alt():
    from cnnviz.lessons.figures import Panel, maps_figure

    figure = maps_figure([Panel(r"$\delta_{0} \ast$ rot180($w_{0,1}$)", [[1.0]]),
                          Panel("dL/dx", [[0.0]])], title="two maps")
    alt = figure_alt(figure)
    assert alt == "Figure: two maps; δ0 ∗ rot180(w0,1); dL/dx"
    tag = img_html(b"\x89PNG", 'a "quoted" <alt>')
    assert tag.startswith('<img alt="a &quot;quoted&quot; &lt;alt&gt;" src="data:image/png;base64,')
    with pytest.raises(TypeError, match="figure"):
        figure_alt("not a figure")
