"""The shape of one convolution: sizes, stride, padding, dilation, and what follows from them.

Everything here is integer arithmetic; no arrays of data. A :class:`Geometry` is checked once
when it is made, so the code that uses it can trust it.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

Pair = tuple[int, int]
IntOrPair = int | tuple[int, int]  # what a caller may give: ``stride=2`` or ``stride=(2, 1)``
# No size, stride, padding or dilation may pass this (about a billion): products of two such
# numbers must stay inside NumPy's int64 index arithmetic, and no array that large fits anyway.
LARGEST = 2**30


def as_pair(value: IntOrPair, name: str, minimum: int) -> Pair:
    """Turn an int or an ``(h, w)`` pair into a checked pair of Python ints.

    Parameters
    ----------
    value : int or pair of int
        What the caller gave, e.g. ``stride=2`` or ``stride=(2, 1)``.
    name : str
        The parameter's name, used in the error message.
    minimum : int
        The smallest allowed value of each entry.

    Raises
    ------
    TypeError
        If ``value`` is not an int or a sequence of two ints (bools and floats are refused).
    ValueError
        If the pair has the wrong length, or an entry is below ``minimum`` or above
        :data:`LARGEST`.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:  # np.array(2): a number in a box
        value = value[()]
    if _is_int(value):
        items = (value, value)
    elif isinstance(value, (tuple, list, np.ndarray)):
        items = tuple(value)
        if len(items) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w); got {len(items)} values")
        if not all(_is_int(v) for v in items):
            raise TypeError(f"{name} must hold whole numbers (ints); got {value!r}")
    else:
        raise TypeError(f"{name} must be an int or a pair (h, w) of ints; got {value!r}")
    pair = (int(items[0]), int(items[1]))
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum} in each direction; got {pair}")
    if max(pair) > LARGEST:
        shown = ", ".join(str(v) if v.bit_length() < 64 else _about(v) for v in pair)
        raise ValueError(
            f"{name} must be <= {LARGEST} in each direction (no array that large can be "
            f"indexed); got ({shown})"
        )
    return pair


def _about(value: int) -> str:
    """A huge int in a few characters, ``about 10**400``: no float overflow, no 4300-digit str."""
    return f"about 10**{int(value.bit_length() * 0.30103)}"


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def output_length(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Number of window positions along one axis.

    ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``, the formula
    PyTorch documents for ``Conv2d``. Arguments are assumed already checked.
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Geometry:
    """The shape of a 2-D convolution over one input map.

    Parameters
    ----------
    input_size : int or (H, W)
        Height and width of each input channel, before padding.
    kernel_size : int or (kh, kw)
        Height and width of each filter slice.
    stride, padding, dilation : int or (h, w)
        As in PyTorch: stride >= 1, padding >= 0 (zeros on both sides), dilation >= 1
        (1 = dense kernel).

    Raises
    ------
    TypeError, ValueError
        With the parameter named, when a value breaks its rule or the (dilated) kernel does
        not fit inside the padded input.

    Examples
    --------
    >>> g = Geometry((7, 7), (3, 3), stride=2, padding=1)
    >>> g.output_size
    (4, 4)
    """

    input_size: Pair
    kernel_size: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)

    def __post_init__(self) -> None:
        checked = {
            "input_size": as_pair(self.input_size, "input_size", 1),
            "kernel_size": as_pair(self.kernel_size, "kernel_size", 1),
            "stride": as_pair(self.stride, "stride", 1),
            "padding": as_pair(self.padding, "padding", 0),
            "dilation": as_pair(self.dilation, "dilation", 1),
        }
        for field, pair in checked.items():
            object.__setattr__(self, field, pair)
        for axis in (0, 1):
            if self.kernel_extent[axis] > self.padded_size[axis]:
                raise ValueError(
                    f"kernel_size {self.kernel_size} with dilation {self.dilation} spans "
                    f"{self.kernel_extent}, larger than the padded input {self.padded_size}; "
                    "use a smaller kernel or dilation, or more padding"
                )

    @property
    def padded_size(self) -> Pair:
        """``(H + 2*ph, W + 2*pw)``: the input with its zero border."""
        return tuple(n + 2 * p for n, p in zip(self.input_size, self.padding, strict=True))

    @property
    def kernel_extent(self) -> Pair:
        """``(dil_h*(kh-1)+1, dil_w*(kw-1)+1)``: the span a dilated kernel covers."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation, strict=True))

    @property
    def output_size(self) -> Pair:
        """``(Ho, Wo)`` with ``Ho = floor((H + 2*ph - dil_h*(kh-1) - 1)/sh) + 1``."""
        return tuple(
            output_length(*args)
            for args in zip(
                self.input_size,
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
                strict=True,
            )
        )

    @property
    def dilated_output_size(self) -> Pair:
        """``((Ho-1)*sh+1, (Wo-1)*sw+1)``: the delta map after :func:`cnnviz.dilate`."""
        return tuple((o - 1) * s + 1 for o, s in zip(self.output_size, self.stride, strict=True))

    def window_origin(self, i: int, j: int) -> Pair:
        """Top-left corner, in padded coordinates, of the window that makes output ``[i, j]``."""
        return (i * self.stride[0], j * self.stride[1])

    def touched_rows(self) -> np.ndarray:
        """Boolean ``(H,)``: True where some kernel tap of some window reads that input row."""
        return self._touched(0)

    def touched_cols(self) -> np.ndarray:
        """Boolean ``(W,)``: True where some kernel tap of some window reads that input column."""
        return self._touched(1)

    def touched_mask(self) -> np.ndarray:
        """Boolean ``(H, W)``: pixels whose gradient can be non-zero.

        A pixel no window reads has no path to the loss, so its gradient is exactly 0.
        """
        return np.outer(self.touched_rows(), self.touched_cols())

    def window_counts(self) -> np.ndarray:
        """Integer ``(H, W)``: how many (window, kernel tap) pairs read each input pixel.

        Zero marks the untouched zone; uneven counts (a kernel 3 at stride 2 gives 1, 2 and 4)
        are why strided gradients form a checkerboard.
        """
        return np.outer(self._reads(0), self._reads(1))

    def _reads(self, axis: int) -> np.ndarray:
        size, pad = self.input_size[axis], self.padding[axis]
        origins = np.arange(self.output_size[axis]) * self.stride[axis]  # (Ho,)
        taps = np.arange(self.kernel_size[axis]) * self.dilation[axis]  # (kh,)
        padded_rows = (origins[:, None] + taps[None, :]).ravel()  # (Ho*kh,)
        reads = np.bincount(padded_rows, minlength=size + 2 * pad)  # (H + 2p,)
        return reads[pad : pad + size]  # (H,) padding cropped off

    def _touched(self, axis: int) -> np.ndarray:
        return self._reads(axis) > 0

    def describe(self) -> str:
        """One line a learner can read, e.g. ``7x7 input, 3x3 kernel, stride 2 ... -> 4x4``."""

        def fmt(pair: Pair) -> str:
            return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"

        (h, w), (kh, kw), (ho, wo) = self.input_size, self.kernel_size, self.output_size
        return (
            f"{h}x{w} input, {kh}x{kw} kernel, stride {fmt(self.stride)}, "
            f"padding {fmt(self.padding)}, dilation {fmt(self.dilation)} -> {ho}x{wo} output"
        )
