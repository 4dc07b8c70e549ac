"""The lessons' figures (matplotlib only) and widget glue (ipywidgets only)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnviz import Geometry
from cnnviz import lessons as T
from cnnviz.lessons import figures as F
from cnnviz.lessons import widgets as views


def _image_count(box: widgets.VBox) -> int:
    stack = box.children[-1]
    assert isinstance(stack, widgets.Stack)
    return len(stack.children)


def test_maps_figure_draws_one_axis_per_panel_with_labels_and_png():
    figure = F.maps_figure(
        [F.Panel("a", np.eye(3)), F.Panel("counts", np.ones((4, 4)), signed=False)], title="t"
    )
    assert isinstance(figure, Figure)
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == ["a", "counts"]
    assert all(ax.get_xlabel() == "column" and ax.get_ylabel() == "row" for ax in axes)
    # small maps print every value
    assert len(axes[0].texts) == 9
    assert F.figure_png(figure).startswith(b"\x89PNG")


def test_signed_maps_are_centred_on_zero():
    figure = F.maps_figure([F.Panel("a", np.array([[0.0, 3.0], [-1.0, 2.0]]))])
    image = figure.axes[0].images[0]
    low, high = image.get_clim()
    assert low == -high == -3.0


def test_maps_figure_refuses_bad_panels():
    with pytest.raises(TypeError, match="panels"):
        F.maps_figure([])
    with pytest.raises(ValueError, match="2-D"):
        F.maps_figure([F.Panel("bad", np.zeros(3))])


def test_scatter_step_figure_boxes_the_window_of_the_current_element():
    g = Geometry(6, 3, stride=2)
    rng = np.random.default_rng(0)
    delta, w = rng.standard_normal((2, 2)), rng.standard_normal((3, 3))
    sums = T.scatter_partial_sums(delta, w, 6, stride=2)
    figure = F.scatter_step_figure(sums, delta, w, g, 2)  # element (0, 1): window at col 2
    box = [p for p in figure.axes[2].patches if not p.get_fill()][0]
    assert (box.get_x(), box.get_y(), box.get_width()) == (1.5, -0.5, 3)
    with pytest.raises(ValueError, match="step"):
        F.scatter_step_figure(sums, delta, w, g, len(sums))


def test_frame_player_links_play_slider_and_images_in_the_browser(monkeypatch):
    linked = []
    real_jslink = widgets.jslink

    def recording_jslink(source, target):
        linked.append((source[0], source[1], target[0], target[1]))
        return real_jslink(source, target)

    monkeypatch.setattr(views.widgets, "jslink", recording_jslink)
    player = views.frame_player([b"\x89PNG-a", b"\x89PNG-b", b"\x89PNG-c"])
    play, slider = player.children[0].children
    stack = player.children[-1]
    assert (play.max, slider.max) == (2, 2)
    assert _image_count(player) == 3
    assert (play, "value", slider, "value") in linked
    assert (slider, "value", stack, "selected_index") in linked
    with pytest.raises(TypeError, match="frames"):
        views.frame_player(["not a frame"])


def test_pickers_and_players_build_one_image_per_choice():
    rng = np.random.default_rng(1)
    assert (
        _image_count(
            views.contribution_picker(
                rng.standard_normal((2, 4, 4)), rng.standard_normal((2, 3, 3, 3)), 6
            )
        )
        == 6
    )
    assert (
        _image_count(
            views.position_picker(rng.standard_normal((5, 5)), rng.standard_normal((3, 3)), 3)
        )
        == 9
    )
    assert _image_count(views.overlap_picker([Geometry(9, 3, stride=2), Geometry(9, 3)])) == 2
    assert (
        _image_count(
            views.scatter_player(
                rng.standard_normal((2, 2)), rng.standard_normal((3, 3)), 6, stride=2
            )
        )
        == 5
    )
    assert _image_count(views.walk_player("stride-2", walk="scatter")) == 4
    with pytest.raises(ValueError, match="unknown preset"):
        views.walk_player("no-such-preset")
