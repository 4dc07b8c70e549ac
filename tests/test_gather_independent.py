"""Issue 19: the gather walk gathers, and the agreement line compares two independent routes.

The gather walk computes each pixel from the framed delta and rot180(dilate_d(W)); it must not
read the core's col2im (the scatter's route). Breaking either route turns the line red.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.explorer import trace
from cnnviz.explorer.layer import LayerSnapshot, snapshot_from_settings
from cnnviz.explorer.render import fanout
from cnnviz.explorer.render.text import agreement_html
from cnnviz.explorer.settings import Settings
from cnnviz.explorer.trace import Walk, final_dx

DILATED = Settings(depth=2, filters=2, input_height=7, input_width=6, kernel_height=3,
                   kernel_width=2, stride=2, padding=1, dilation=2)


def _loops_dx(layer: LayerSnapshot) -> np.ndarray:
    return reference.conv2d_backward(layer.delta[None], layer.x[None], layer.w, layer.stride,
                                     layer.padding, layer.dilation)[0][0]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(3, 8), st.integers(3, 8), st.integers(1, 4),
       st.integers(1, 4))
def test_gather_walk_ends_at_the_loops_dx(s, p, d, k, c, h, w, kh, kw):
    chosen = Settings(depth=c, filters=k, input_height=h, input_width=w, kernel_height=kh,
                      kernel_width=kw, stride=s, padding=p, dilation=d)
    if chosen.problem():
        return
    layer = snapshot_from_settings(chosen)
    assert np.allclose(final_dx(layer, "gather"), _loops_dx(layer), atol=1e-12)


def test_gather_does_not_read_the_scatter_route(monkeypatch):
    """With the core's contributions (col2im) broken, the gather still ends at the loops' dx."""
    layer = snapshot_from_settings(DILATED)
    truth = _loops_dx(layer)
    monkeypatch.setattr(LayerSnapshot, "contributions", property(lambda self: np.zeros(
        (self.filters, self.depth, *self.x.shape[1:]))))
    monkeypatch.setattr(trace, "input_grad_contributions",
                        lambda delta, w, size, **_: np.zeros((w.shape[0], w.shape[1], *size)))
    walk = Walk(layer, "gather")
    assert np.allclose(walk.step(len(walk) - 1).dx, truth, atol=1e-12)
    step = walk.step(len(walk) // 2)
    r, q = step.pixel
    for kk in range(layer.filters):
        for cc in range(layer.depth):
            products = trace.gather_window_products(walk, step, kk, cc)
            assert np.isclose(products.sum(), step.pixel_values[kk, cc])
    assert np.allclose(step.pixel_values.sum(axis=0), truth[:, r, q])


def _line(layer: LayerSnapshot) -> str:
    return agreement_html(final_dx(layer, "scatter"), final_dx(layer, "gather"), layer.dx)


def test_agreement_line_is_green_when_both_routes_agree():
    text = _line(snapshot_from_settings(DILATED))
    assert "Both walks end at the same dx" in text and "disagree" not in text


@pytest.mark.parametrize("broken", ["gather", "scatter"])
def test_agreement_line_turns_red_when_one_route_is_broken(monkeypatch, broken):
    layer = snapshot_from_settings(DILATED)
    if broken == "gather":  # forget to turn the kernel: the classic mistake
        monkeypatch.setattr(trace, "rot180", lambda kernel: np.asarray(kernel).copy())
    else:
        real = trace.input_grad_contributions
        monkeypatch.setattr(trace, "input_grad_contributions",
                            lambda *a, **k: 2.0 * real(*a, **k))
    text = _line(layer)
    assert "disagree" in text and "#b2182b" in text and "Both walks end" not in text


def test_gather_picture_shows_the_turned_dilated_kernel(monkeypatch):
    layer = snapshot_from_settings(DILATED)
    painted: list[np.ndarray] = []
    monkeypatch.setattr(fanout.FanOutFigure, "_paint",
                        staticmethod(lambda frame, box, values, limit, *, skip=None:
                                     painted.append(np.asarray(values))))
    figure = fanout.FanOutFigure(layer, walk="gather")
    figure.frame(0)
    w = layer.w[0, 0]
    dilated = np.zeros((5, 3))
    dilated[::2, ::2] = w
    assert any(v.shape == (5, 3) and np.array_equal(v, dilated[::-1, ::-1]) for v in painted)
