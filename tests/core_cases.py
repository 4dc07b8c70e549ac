"""Named geometries and random data shared by the core's test files."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import cnnviz.core._fast as conv_module


@dataclass(frozen=True)
class Case:
    """One convolution to test: shapes and settings, as the core's keywords take them."""

    n: int
    c: int
    size: tuple[int, int]  # (H, W)
    k: int
    kernel: tuple[int, int]  # (kh, kw)
    stride: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    dilation: int | tuple[int, int] = 1

    @property
    def settings(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    def data(self, seed: int = 0, dtype=np.float64):
        """x (N, C, H, W), w (K, C, kh, kw), b (K,) and a dout shaped like the output."""
        import reference

        rng = np.random.default_rng(seed)
        x = rng.standard_normal((self.n, self.c, *self.size)).astype(dtype)
        w = rng.standard_normal((self.k, self.c, *self.kernel)).astype(dtype)
        b = rng.standard_normal(self.k).astype(dtype)
        ho, wo = reference.output_size(self.size, self.kernel, **self.settings)
        dout = rng.standard_normal((self.n, self.k, ho, wo)).astype(dtype)
        return x, w, b, dout


NAMED = {
    # windows at 0, 3, 6 read columns 0-1, 3-4, 6-7: gaps at 2, 5 and the last column 8
    "stride-larger-than-kernel": Case(1, 2, (9, 9), 2, (2, 2), stride=3),
    # a 3x3 window at stride 2 over 8 stops at 6: the last row and column are never read
    "trailing-untouched": Case(1, 1, (8, 8), 1, (3, 3), stride=2),
    "classroom": Case(1, 3, (7, 7), 2, (3, 3), stride=2, padding=1),
    "padding": Case(2, 3, (5, 5), 2, (3, 3), padding=2),
    "dilation": Case(1, 2, (9, 9), 3, (3, 3), dilation=2),
    "dilation-strided-untouched": Case(1, 2, (10, 10), 2, (2, 2), stride=3, dilation=3),
    "rectangular": Case(2, 3, (6, 9), 2, (2, 3), stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
    "one-by-one": Case(2, 4, (5, 5), 3, (1, 1)),
    "one-by-one-strided": Case(1, 3, (6, 7), 2, (1, 1), stride=2),
    "one-channel": Case(1, 1, (6, 6), 1, (3, 3)),
    "ten-channels": Case(1, 10, (6, 6), 2, (3, 3), padding=1),
    "twelve-filters": Case(1, 2, (5, 5), 12, (2, 2), stride=2, padding=1),
    "batch": Case(3, 2, (6, 5), 2, (3, 2), stride=(2, 1), padding=(1, 0)),
    "kernel-fills-input": Case(2, 2, (4, 5), 2, (4, 5)),
    "everything-odd": Case(
        2, 3, (11, 8), 2, (3, 2), stride=(2, 3), padding=(1, 2), dilation=(2, 1)
    ),
}

ROUTES = ("gather", "slices")


@contextlib.contextmanager
def route(name: str, chunked: bool = False):
    """Force the core's small-size (index gather) or large-size (strided slices) route.

    ``chunked`` sends a batch through one sample at a time, as large batches go.
    """
    limit, ratio = {"gather": (10**18, 10**18), "slices": (-1, -1)}[name]
    names = ("_TAKE_LIMIT", "_GATHER_LIMIT", "_GATHER_RATIO", "_CHUNK")
    saved = [getattr(conv_module, attr) for attr in names]
    chunk = 1 if chunked else conv_module._CHUNK
    for attr, value in zip(names, (limit, limit, ratio, chunk), strict=True):
        setattr(conv_module, attr, value)
    try:
        yield
    finally:
        for attr, value in zip(names, saved, strict=True):
            setattr(conv_module, attr, value)


@st.composite
def cases(draw, max_batch: int = 2, max_channels: int = 3) -> Case:
    """A random valid geometry: the (dilated) kernel always fits the padded input."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    size = []
    for axis in (0, 1):
        extent = dilation[axis] * (kernel[axis] - 1) + 1
        smallest = max(1, extent - 2 * padding[axis])
        size.append(draw(st.integers(smallest, smallest + 6)))
    return Case(
        n=draw(st.integers(1, max_batch)),
        c=draw(st.integers(1, max_channels)),
        size=tuple(size),
        k=draw(st.integers(1, 3)),
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
