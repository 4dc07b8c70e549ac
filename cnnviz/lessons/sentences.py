"""The lessons' sentences about the geometry, each built from the predicate it states.

A lesson never types a claim about sizes, crops or coverage: it displays one of these, and
tests/test_lesson_sentences.py recomputes every number and condition in them with scipy and
hand-written loops over stride 1–4, padding 0–3 and dilation 1–3.

Symbols, as in lesson 00's table: ``kh × kw`` the kernel, ``e = d(kh − 1) + 1`` its extent, ``s``
the stride, ``p`` the padding, ``d`` the dilation, ``H`` the input height, ``Ho`` the output's.
Array rows and columns count from 0.
"""

from __future__ import annotations

from math import gcd

from cnnviz.core.arrays import as_count
from cnnviz.core.claims import dw_sizes
from cnnviz.core.geometry import Geometry
from cnnviz.lessons.checks import as_geometry

__all__ = [
    "correlation_size",
    "dw_crop_rule",
    "dw_crop_sentence",
    "dw_needs_crop",
    "even_interior_rule",
    "extra_row_inputs",
    "interior_is_even",
    "interior_sentence",
    "same_stride_sentence",
    "stride_route_sentence",
]

AXES = (("row", "rows", "H", "kh"), ("column", "columns", "W", "kw"))


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _size(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# ------------------------------------------------------------------------------ dW and its crop


def correlation_size(geometry: Geometry) -> tuple[int, int]:
    """Shape of ``pad_p(x) ⋆ dilate_s(δ)`` (valid): ``H + 2p − (Ho − 1)s`` along each axis.

    The core's :func:`cnnviz.core.claims.dw_sizes` computes it (the page's dW caption uses the
    same sizes).
    """
    return dw_sizes(as_geometry(geometry)).correlation


def dw_needs_crop(geometry: Geometry) -> tuple[bool, bool]:
    """Per axis: whether ``pad_p(x) ⋆ dilate_s(δ)`` is larger than the kernel's extent ``e``.

    That happens exactly when ``(H + 2p − e) mod s ≠ 0``: the windows stop that many rows
    before the padded input's end, and the correlation slides that many rows further.
    """
    sizes = dw_sizes(as_geometry(geometry))
    return tuple(n != e for n, e in zip(sizes.correlation, sizes.extent, strict=True))


def extra_row_inputs(geometry: Geometry, axis: int = 0) -> list[int]:
    """Padded input rows (``axis=1``: columns) that the correlation's first extra row adds up.

    The row at offset ``u = e`` is ``Σ_i δ[i] · x̃[i·s + e]`` (``x̃ = pad_p(x)``); empty if no crop.
    """
    g = as_geometry(geometry)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1; got {axis!r}")
    if not dw_needs_crop(g)[axis]:
        return []
    return [i * g.stride[axis] + g.kernel_extent[axis] for i in range(g.output_size[axis])]


def dw_crop_rule() -> str:
    """Lesson 04's general rule for the crop, in words (the predicate is :func:`dw_needs_crop`)."""
    return (
        "For all taps at once, dW is a correlation of the padded input with the dilated delta, "
        "pad_p(x) ⋆ dilate_s(δ): it slides the delta over every position that fits, which "
        "gives H + 2p − (Ho − 1)s rows. That equals the kernel's extent e = d(kh − 1) + 1 "
        "exactly when (H + 2p − e) mod s = 0; otherwise it has (H + 2p − e) mod s rows more "
        "(columns likewise, with W, kw). Those extra rows sit at offsets u ≥ e, where the kernel "
        "has no tap, so they are the gradient of no weight and are cropped off: dW keeps rows "
        "0 to e − 1 (every d-th of them when d > 1)."
    )


def _crop_axis(g: Geometry, axis: int, name: str) -> str:
    """The crop along one axis: the sizes, the predicate's value and what the extra rows read."""
    _, rows, big, small = AXES[axis]
    row = rows[:-1]
    n, p, s = g.input_size[axis], g.padding[axis], g.stride[axis]
    e, o, d = g.kernel_extent[axis], g.output_size[axis], g.dilation[axis]
    size, extra = correlation_size(g)[axis], (n + 2 * p - e) % s
    head = (
        f"{name}, {big} + 2p − ({big}o − 1)s = {n} + {2 * p} − ({o} − 1)·{s} = {size} and "
        f"e = d({small} − 1) + 1 = {d}·{g.kernel_size[axis] - 1} + 1 = {e}: "
        f"({n + 2 * p} − {e}) mod {s} = {extra}"
    )
    if not extra:
        return head + f", no {row} to crop"
    feeds = extra_row_inputs(g, axis)
    read = [r for r in feeds if _read_in_padded(g, axis, r)]
    text = (
        f"{head}, so {_plural(extra, row, rows)} too many. Its {row} {e} is offset u = {e}, a "
        f"tap the kernel does not have: it adds up δ times padded input {rows} "
        f"{', '.join(map(str, feeds))}"
    )
    if read:
        text += f", of which windows read {row if len(read) == 1 else rows} " + ", ".join(
            map(str, read))
    return text


def _read_in_padded(g: Geometry, axis: int, padded_row: int) -> bool:
    """Whether some window tap reads ``padded_row`` (padded coordinates) along ``axis``."""
    s, d, k = g.stride[axis], g.dilation[axis], g.kernel_size[axis]
    return any(i * s + u * d == padded_row
               for i in range(g.output_size[axis]) for u in range(k))  # fmt: skip


def dw_crop_sentence(geometry: Geometry) -> str:
    """What the correlation for ``dW`` gives at ``geometry``, whether it is cropped, and why."""
    g = as_geometry(geometry)
    size, crop = correlation_size(g), dw_needs_crop(g)
    square = all(pair[0] == pair[1] for pair in
                 (g.input_size, g.kernel_size, g.stride, g.padding, g.dilation))  # fmt: skip
    axes = [_crop_axis(g, 0, "Along each axis")] if square else [
        _crop_axis(g, 0, "Along the rows"), _crop_axis(g, 1, "along the columns")]
    text = f"At {g.describe()}, pad_p(x) ⋆ dilate_s(δ) is {_size(size)}. {'; '.join(axes)}. "
    (eh, ew), (dh, dw) = g.kernel_extent, g.dilation
    if any(crop):
        text += (
            "So the extra rows are the gradient of no weight, and the crop keeps rows "
            f"0–{eh - 1} and columns 0–{ew - 1}, the offsets where the kernel has taps."
        )
    else:
        text += f"No crop: the correlation is exactly the kernel's extent, {eh}×{ew}."
    if (dh, dw) != (1, 1):
        text += (f" dW takes every d-th row and column of it (d = {dh}, {dw}): "
                 f"{_size(g.kernel_size)}.")
    return text


# ----------------------------------------------------------------------- lesson 03: the routes


def _step(pair: tuple[int, int]) -> str:
    """A stride or dilation as a subscript: ``2``, or ``(2,3)`` when the axes differ."""
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]},{pair[1]})"


def _kernel_name(g: Geometry) -> str:
    return "w" if g.dilation == (1, 1) else f"dilate_{_step(g.dilation)}(w)"


def stride_route_sentence(geometry: Geometry) -> str:
    """Lesson 03's check, in words: the stride-1 route through the dilated delta, its sizes,
    which rows of ``dL/dx`` it fills and which it leaves at 0."""
    g = as_geometry(geometry)
    dilated = g.dilated_output_size
    full = tuple(a + e - 1 for a, e in zip(dilated, g.kernel_extent, strict=True))
    kernel = _kernel_name(g)
    text = (
        f"A stride-1 full correlation ⋆ of dilate_{_step(g.stride)}(δ) ({_size(dilated)}) with "
        f"rot180({kernel}), which is the same as a full convolution ∗ of it with {kernel} as it "
        f"is, gives a {_size(full)} map"
    )
    if any(g.padding):
        text += (f"; crop_p drops the padding, {g.padding[0]} row(s) at the top and bottom and "
                 f"{g.padding[1]} column(s) at each side")
    reached = [max(min(f - p, n), 0) for f, p, n in zip(full, g.padding, g.input_size,
                                                         strict=True)]  # fmt: skip
    if min(reached) == 0:
        return text + ": all of it lies in the padding, so dL/dx is 0 everywhere."
    text += f": dL/dx's rows {_span(0, reached[0] - 1)} and columns {_span(0, reached[1] - 1)}."
    left = [n - r for n, r in zip(g.input_size, reached, strict=True)]
    if any(left):
        parts = [f"{AXES[a][0 if left[a] == 1 else 1]} {_span(reached[a], g.input_size[a] - 1)}"
                 for a in (0, 1) if left[a]]  # fmt: skip
        one = sum(left) == 1
        text += (f" {' and '.join(parts).capitalize()} {'gets' if one else 'get'} nothing: no "
                 f"window read {'it' if one else 'them'}.")
    return text


def same_stride_sentence(geometry: Geometry) -> str:
    """The wrong "same stride" backward pass of lesson 03, in words (padding 0, dilation 1)."""
    g = as_geometry(geometry)
    if any(g.padding) or g.dilation != (1, 1):
        raise ValueError("geometry must have padding 0 and dilation 1 (the question as asked)")
    (kh, kw), (sh, sw) = g.kernel_size, g.stride
    step = f"{sh} pixels" if sh == sw else f"{sh} rows down and {sw} columns across"
    framed = tuple(o + 2 * (k - 1) for o, k in zip(g.output_size, g.kernel_size, strict=True))
    out = tuple((f - k) // st + 1 for f, k, st in zip(framed, g.kernel_size, g.stride,
                                                      strict=True))  # fmt: skip
    return (
        f"Suppose we run the backward pass at the forward's stride: pad δ with kh − 1 = {kh - 1} "
        f"zeros all round (kw − 1 = {kw - 1} at the sides) for a full correlation ⋆, with no "
        f"dilation, and slide rot180(w) over it {step} at a time. Out comes a {_size(out)} "
        f"map, for a {_size(g.input_size)} input."
    )


# ------------------------------------------------------------------- lesson 05: even coverage


def interior_is_even(kernel: int, stride: int, dilation: int) -> bool:
    """Whether, along one axis, every pixel inside the map is read by equally many taps.

    Inside means away from the borders, where every tap's windows exist. Pixel ``r`` there is
    read once per tap ``u`` with ``u·d ≡ r (mod s)``; the taps' offsets ``u·d mod s`` cover every
    residue equally exactly when ``s`` divides the kernel size and shares no factor with ``d``.
    """
    kernel, stride = as_count(kernel, "kernel"), as_count(stride, "stride")
    dilation = as_count(dilation, "dilation")
    return kernel % stride == 0 and gcd(stride, dilation) == 1


def even_interior_rule() -> str:
    """Lesson 05's rule, in words (the predicate is :func:`interior_is_even`)."""
    return (
        "Along one axis, the inside of the map (away from the borders) is even exactly when the "
        "stride s divides the kernel size kh and shares no factor with the dilation d "
        "(gcd(s, d) = 1). With a common factor, the taps land only on every gcd(s, d)-th pixel "
        "between window starts, and the others inside are read by no window at all."
    )


def interior_sentence(geometry: Geometry) -> str:
    """One setting of the overlap picker: even or not inside, per axis, from the predicate."""
    g = as_geometry(geometry)
    parts = []
    square = all(pair[0] == pair[1] for pair in (g.kernel_size, g.stride, g.dilation))
    for axis in (0,) if square else (0, 1):
        k, s, d = g.kernel_size[axis], g.stride[axis], g.dilation[axis]
        even = interior_is_even(k, s, d)
        because = (f"{s} divides {k} and gcd({s}, {d}) = 1" if even else
                   f"{s} does not divide {k}" if k % s else f"gcd({s}, {d}) = {gcd(s, d)}")
        name = "" if square else f"{AXES[axis][1]}: "
        short = len(interior_reads(g, axis)) < s  # the counts repeat every s rows inside
        parts.append(f"{name}{'even' if even else 'uneven'} inside ({because})" + (
            "; this map's inside is shorter than one stride, too short to show it"
            if short else ""))
    return f"{g.describe()}: " + "; ".join(parts) + "."


def interior_reads(geometry: Geometry, axis: int = 0) -> list[int]:
    """How many taps read each input row (``axis=1``: column) inside the map, from the core's
    :meth:`~cnnviz.core.geometry.Geometry.window_counts`: the rows (in padded coordinates)
    ``e − 1`` to ``(Ho − 1)·s``, where every tap's windows exist."""
    g = as_geometry(geometry)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1; got {axis!r}")
    n, k, s, p, d = (pair[axis] for pair in (g.input_size, g.kernel_size, g.stride,
                                             g.padding, g.dilation))  # fmt: skip
    line = Geometry((n, 1), (k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1))
    reads = line.window_counts()[:, 0]  # one axis alone: (H,)
    e, o = line.kernel_extent[0], line.output_size[0]
    first, last = max(e - 1 - p, 0), min((o - 1) * s - p, n - 1)
    return [int(reads[r]) for r in range(first, last + 1)]  # empty when last < first
