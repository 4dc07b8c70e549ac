"""The walks as data: step counts, running sums, scatter == gather == core, zero zone, presets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz.core.conv import dilate, pad_input, rot180
from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import WALKS, Walk, final_dx, framed_delta, gather_window_products

PRESET_LAYERS = {name: snapshot_from_settings(p.settings) for name, p in PRESETS.items()}


@pytest.mark.parametrize("name", list(PRESETS))
def test_step_counts(name):
    layer = PRESET_LAYERS[name]
    (h, w), (ho, wo) = layer.geometry.input_size, layer.geometry.output_size
    assert len(Walk(layer, "scatter")) == layer.filters * ho * wo
    assert len(Walk(layer, "gather")) == h * w


def _scatter_by_hand(walk: Walk) -> np.ndarray:
    """Add every step's patch into its windows, with plain loops: the trace's own story."""
    layer = walk.layer
    (ph, pw), (dh, dw) = layer.padding, layer.dilation
    padded = pad_input(np.zeros_like(layer.x), layer.padding)  # (C, Hp, Wp)
    for step in walk:
        top, left, _, _ = step.window
        kh, kw = step.added.shape[1:]
        for u in range(kh):
            for v in range(kw):
                padded[:, top + ph + u * dh, left + pw + v * dw] += step.added[:, u, v]
        core = padded[:, ph : ph + layer.x.shape[1], pw : pw + layer.x.shape[2]]
        assert np.allclose(step.dx, core), f"running sum differs at step {step.index}"
    return core


@pytest.mark.parametrize("name", list(PRESETS))
def test_accumulating_scatter_steps_reproduces_core_dx(name):
    layer = PRESET_LAYERS[name]
    assert np.allclose(_scatter_by_hand(Walk(layer, "scatter")), layer.dx)


@pytest.mark.parametrize("name", list(PRESETS))
def test_gather_equals_scatter_pixel_by_pixel(name):
    layer = PRESET_LAYERS[name]
    walk = Walk(layer, "gather")
    for step in walk:
        r, q = step.pixel
        assert np.allclose(step.pixel_values.sum(axis=0), layer.dx[:, r, q])
        for k in range(layer.filters):
            products = gather_window_products(walk, step, k, 0)
            assert np.isclose(products.sum(), step.pixel_values[k, 0])
        assert step.done.sum() == step.index + 1
    assert np.allclose(final_dx(layer, "gather"), final_dx(layer, "scatter"))


def test_frame_holds_the_dilated_delta_where_the_docstring_says():
    layer = PRESET_LAYERS["course-demo"]
    frame = framed_delta(layer)
    eh, ew = layer.geometry.kernel_extent
    (sh, sw), (hp, wp) = layer.stride, layer.geometry.padded_size
    assert frame.shape == (layer.filters, hp + eh - 1, wp + ew - 1)
    assert frame[1, eh - 1 + 2 * sh, ew - 1 + 3 * sw] == layer.delta[1, 2, 3]
    assert np.count_nonzero(frame) == np.count_nonzero(dilate(layer.delta, layer.stride))
    flipped = rot180(layer.w)
    assert np.array_equal(flipped[0, 0], layer.w[0, 0, ::-1, ::-1])


def test_zero_zone_matches_geometry_and_no_window_touches_it():
    layer = PRESET_LAYERS["untouched-rows"]
    untouched = ~layer.geometry.touched_mask()
    assert untouched[-2:, :].all() and untouched[:, -2:].all()  # rows/cols 6, 7 of 8
    assert np.all(layer.dx[:, untouched] == 0)
    for step in Walk(layer, "scatter"):
        top, left, eh, ew = step.window
        assert top + eh <= 6 and left + ew <= 6
        assert np.all(step.dx[:, untouched] == 0)


def test_presets_produce_the_geometry_they_name():
    g = {name: layer.geometry for name, layer in PRESET_LAYERS.items()}
    demo = PRESET_LAYERS["course-demo"]
    assert demo.x.shape == (3, 7, 7) and demo.w.shape == (2, 3, 3, 3)
    assert g["course-demo"].stride == (2, 2) and g["course-demo"].padding == (1, 1)
    assert g["course-demo"].output_size == (4, 4)
    single = PRESET_LAYERS["single-channel"]
    assert single.depth == 1 and single.filters == 1 and g["single-channel"].stride == (1, 1)
    deep = PRESET_LAYERS["depth-10"]
    assert deep.depth == 10 and deep.filters == 1 and deep.w.shape[1] == 10
    assert g["stride-2"].stride == (2, 2)
    assert (~g["untouched-rows"].touched_rows()).any()
    counts = g["uneven-overlap"].window_counts()
    assert g["uneven-overlap"].kernel_size == (3, 3) and g["uneven-overlap"].stride == (2, 2)
    assert {1, 2, 4} <= set(np.unique(counts))  # the checkerboard


@settings(max_examples=40, deadline=None)
@given(
    depth=st.integers(1, 4),
    filters=st.integers(1, 3),
    size=st.integers(3, 9),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    seed=st.integers(0, 50),
)
def test_both_walks_end_at_core_dx(depth, filters, size, kernel, stride, padding, dilation, seed):
    s = Settings(depth=depth, filters=filters, input_height=size, input_width=size + 1,
                 kernel_height=kernel, kernel_width=max(1, kernel - 1), stride=stride,
                 padding=padding, dilation=dilation, seed=seed)
    assume(s.problem() is None)  # an impossible combination is not a case (hypothesis redraws)
    layer = snapshot_from_settings(s)
    for walk in WALKS:
        assert np.allclose(final_dx(layer, walk), layer.dx)
    assert np.allclose(_scatter_by_hand(Walk(layer, "scatter")), layer.dx)


def test_step_errors():
    walk = Walk(PRESET_LAYERS["stride-2"], "scatter")
    with pytest.raises(IndexError, match="index must be in"):
        walk.step(len(walk))
    with pytest.raises(TypeError, match="index must be an int"):
        walk.step(1.5)
    with pytest.raises(ValueError, match="walk must be one of"):
        Walk(PRESET_LAYERS["stride-2"], "sideways")
    with pytest.raises(TypeError, match="LayerSnapshot"):
        Walk("layer")
    assert walk.step(-1).index == len(walk) - 1
    with pytest.raises(ValueError, match="gather step"):
        gather_window_products(walk, walk.step(0), 0, 0)
