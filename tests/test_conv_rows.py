"""The stride-1 large-batch route (cnnviz.core._rows) against the loop reference, in chunks too."""

from __future__ import annotations

import numpy as np
import pytest
import reference

from cnnviz import conv2d, conv2d_backward
from cnnviz.core import _fast, _rows

SETTINGS = [
    {"padding": 1},
    {"padding": (2, 0), "dilation": (2, 3)},
    {"padding": 0},
    {"padding": (0, 3), "dilation": (1, 2)},
]


def _spy(calls, name, function):
    def wrapped(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("chunk", [_rows._CHUNK, 1, 700])
def test_rows_route_matches_the_loop_reference(settings, chunk, monkeypatch):
    monkeypatch.setattr(_rows, "_CHUNK", chunk)  # 1: one sample per chunk; 700: uneven last
    calls = []
    for name in ("forward", "backward"):
        monkeypatch.setattr(_rows, name, _spy(calls, name, getattr(_rows, name)))
    monkeypatch.setattr(_fast, "_TAKE_LIMIT", -1)  # take the large-problem route at any size
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(3, 4, 9, 11)), rng.normal(size=(5, 4, 3, 2)), rng.normal(size=5)
    z = conv2d(x, w, b, **settings)
    np.testing.assert_allclose(z, reference.conv2d(x, w, b, **settings), rtol=1e-10, atol=1e-10)
    dout = rng.normal(size=z.shape)
    got = conv2d_backward(dout, x, w, **settings)
    want = reference.conv2d_backward(dout, x, w, **settings)
    for a, e in zip(got, want, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)
    assert calls == ["forward", "backward"]


def test_rows_route_is_taken_only_at_stride_1_past_the_small_sizes(monkeypatch):
    calls = []
    monkeypatch.setattr(_rows, "forward", _spy(calls, "forward", _rows.forward))
    rng = np.random.default_rng(1)
    conv2d(rng.normal(size=(1, 3, 7, 7)), rng.normal(size=(2, 3, 3, 3)), padding=1)  # small
    conv2d(rng.normal(size=(16, 8, 28, 28)), rng.normal(size=(4, 8, 3, 3)), stride=2)
    assert calls == []
    x32 = rng.normal(size=(32, 8, 14, 14)).astype(np.float32)
    z = conv2d(x32, rng.normal(size=(16, 8, 3, 3)).astype(np.float32), padding=1)
    assert calls == ["forward"] and z.dtype == np.float32 and z.flags.c_contiguous
