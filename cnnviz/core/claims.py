"""What the page and the lessons say about a convolution's geometry, built from the geometry.

Every sentence here states a fact that depends on the settings (sizes, stride, padding,
dilation, how many filters and channels), so it is computed, never typed: a condition in a
sentence is a predicate the sentence is built from. ``tests/test_claims.py`` checks each one
against an independent route (the loops of ``tests/reference.py``, ``scipy.signal``, torch).

Rows and columns count from 0, as NumPy does; filters and channels are named from 1 on the page.

Use::

    g = Geometry((7, 6), 3, stride=2, padding=1)
    dw_recipe(g)           # "dW[k, c] = crop … a 3×4 correlation, cropped to its first 3×3 …"
    tap_lines(-1, 3, 2)    # [-1, 1, 3]: the rows a dilated window's taps land on
    zero_zone_sentence(g)  # "" or "input rows … are read by no window …"
    depth_answer(1, 10)    # the depth question answered for one filter and ten channels
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from cnnviz.core.geometry import Geometry, Pair

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _checked(geometry: object) -> Geometry:
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a Geometry; got {type(geometry).__name__}")
    return geometry


def _size(pair: Pair) -> str:
    return f"{pair[0]}×{pair[1]}"


def _param(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def _ordinal(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _every(dilation: Pair) -> str:
    """``(2, 2)`` -> ``"2nd"``, ``(2, 3)`` -> ``"(2nd, 3rd)"``: which rows and columns are kept."""
    dh, dw = dilation
    return _ordinal(dh) if dh == dw else f"({_ordinal(dh)}, {_ordinal(dw)})"


# --------------------------------------------------------------------------- dW


@dataclass(frozen=True)
class DwSizes:
    """The sizes along the route ``dW[k, c] = every_d(crop(pad_p(x[c]) ⋆ dilate_s(δ_k)))``."""

    padded: Pair  # pad_p(x[c])
    dilated_delta: Pair  # dilate_s(δ_k)
    correlation: Pair  # their valid correlation: extent + (H + 2p − extent) mod s
    extent: Pair  # d(kh − 1) + 1: what the crop keeps
    kernel: Pair  # every d-th of the crop: the kernel's size


def dw_sizes(geometry: Geometry) -> DwSizes:
    """The sizes of the dW route for ``geometry`` (``correlation`` is ``padded − dilated + 1``)."""
    g = _checked(geometry)
    correlation = tuple(p - d + 1 for p, d in zip(g.padded_size, g.dilated_output_size,
                                                  strict=True))
    return DwSizes(g.padded_size, g.dilated_output_size, correlation, g.kernel_extent,
                   g.kernel_size)


def dw_formula(geometry: Geometry) -> str:
    """``dW[k, c] = every_2(crop_5×5(pad_1(x[c]) ⋆ dilate_2(δk)))``, trivial steps left out."""
    g, sizes = _checked(geometry), dw_sizes(geometry)
    x = f"pad_{_param(g.padding)}(x[c])" if any(g.padding) else "x[c]"
    delta = f"dilate_{_param(g.stride)}(δk)" if g.stride != (1, 1) else "δk"
    route = f"{x} ⋆ {delta}"
    if sizes.correlation != sizes.extent:
        route = f"crop_{_size(sizes.extent)}({route})"
    if g.dilation != (1, 1):
        route = f"every_{_param(g.dilation)}({route})"
    return f"dW[k, c] = {route}"


def dw_recipe(geometry: Geometry) -> str:
    """The dW route in one sentence with its real sizes (the dW picture's alt text uses it).

    E.g. 7×6 input, 3×3 kernel, stride 2, padding 1: "… gives a 3×4 correlation, cropped to its
    first 3×3 rows and columns"; with dilation 2: "… a 5×6 correlation, cropped to its first
    5×5 rows and columns, then every 2nd row and column: 3×3".
    """
    g, sizes = _checked(geometry), dw_sizes(geometry)
    text = (f"{dw_formula(g)}: the {_size(sizes.padded)} padded input ⋆ the "
            f"{_size(sizes.dilated_delta)} dilated delta gives a {_size(sizes.correlation)} "
            "correlation")
    if sizes.correlation != sizes.extent:
        extra = [name if n == 1 else f"{n} {name}s" for n, name in zip(
            np.subtract(sizes.correlation, sizes.extent), ("row", "column"), strict=True) if n]
        text += (f", cropped to its first {_size(sizes.extent)} rows and columns (its last "
                 f"{' and '.join(extra)} dropped)")
    else:
        text += " (no crop: it is the dilated kernel's size)"
    if g.dilation != (1, 1):
        text += f", then every {_every(g.dilation)} row and column kept: {_size(sizes.kernel)}"
    return text + ", one per filter and channel."


def dw_caption(geometry: Geometry) -> str:
    """The dW picture's two-line caption: the route, then its sizes (no sentence, for pixels)."""
    g, sizes = _checked(geometry), dw_sizes(geometry)
    steps = [f"{_size(sizes.correlation)} correlation"]
    if sizes.correlation != sizes.extent:
        steps.append(f"its first {_size(sizes.extent)}")
    if g.dilation != (1, 1):
        steps.append(f"every {_every(g.dilation)} row and column: {_size(sizes.kernel)}")
    return f"{dw_formula(g)}\n" + " → ".join(steps)


# --------------------------------------------------------------------------- output padding


def output_padding(geometry: Geometry) -> Pair:
    """``a = (H + 2p − d(kh − 1) − 1) mod s`` per axis: rows ConvTranspose2d adds back."""
    g = _checked(geometry)
    return tuple((n - e) % s for n, e, s in zip(g.padded_size, g.kernel_extent, g.stride,
                                                 strict=True))


def added_lines(geometry: Geometry, axis: int) -> tuple[list[int], list[int]]:
    """``(added, zero)``: the input rows (axis 0) or columns (1) output padding adds back, and
    those of them no forward window reads (so their gradient is 0; the others carry some)."""
    g = _checked(geometry)
    size, a = g.input_size[axis], output_padding(g)[axis]
    read = g.touched_mask().any(axis=1 - axis)  # (size,): some pixel of the line is read
    added = list(range(max(0, size - a), size))
    return added, [n for n in added if not read[n]]


def output_padding_sentence(geometry: Geometry) -> str:
    """What ConvTranspose2d's output padding adds for ``geometry``, and which of it is 0."""
    g = _checked(geometry)
    parts = []
    for axis, (name, where) in enumerate((("row", "bottom"), ("column", "right"))):
        added, zero = added_lines(g, axis)
        if not added:
            continue
        said = f"{_count_noun(len(added), name)} {lines_words(added)} at the {where}"
        if not zero:
            said += " (a window reads it, so it carries gradient)" if len(added) == 1 else (
                " (windows read them, so they carry gradient)")
        elif zero == added:
            said += " (no window reads it: 0)" if len(added) == 1 else (
                " (no window reads them: 0)")
        else:
            said += f" ({name} {lines_words(zero)} no window reads: 0; the others carry gradient)"
        parts.append(said)
    a = output_padding(g)
    if not parts:
        return (f"Output padding a = {_param(a)}: the last window ends at the end of the padded "
                "input, so ConvTranspose2d adds nothing.")
    return f"Output padding a = {_param(a)}: ConvTranspose2d adds {' and '.join(parts)}."


# --------------------------------------------------------------------------- taps, zero zone


def tap_lines(origin: int, kernel: int, dilation: int) -> list[int]:
    """The rows (or columns) a window's taps land on: ``origin + u·d`` for ``u < kernel``."""
    for name, value in (("origin", origin), ("kernel", kernel), ("dilation", dilation)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int; got {value!r}")
    if kernel < 1 or dilation < 1:
        raise ValueError(f"kernel and dilation must be >= 1; got {kernel}, {dilation}")
    return [int(origin + u * dilation) for u in range(kernel)]


def lines_words(lines: list[int]) -> str:
    """``[2, 3, 4]`` -> ``"2–4"``; ``[-1, 1, 3]`` -> ``"-1, 1, 3"``; one -> ``"5"``."""
    said = [str(n) for n in lines]
    if len(lines) > 2 and list(lines) == list(range(lines[0], lines[-1] + 1)):
        return f"{said[0]}–{said[-1]}"
    return ", ".join(said)


def _count_noun(count: int | str, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _unread(read: np.ndarray, noun: str) -> list[str]:
    """Clauses on the unread lines of one axis, naming only real lines (0 … size − 1)."""
    seen = np.flatnonzero(read)
    unread = np.flatnonzero(~read)
    if unread.size == 0:
        return []
    first, last = int(seen[0]), int(seen[-1])
    groups = [
        ([n for n in unread if n < first], f"before {noun} {first}, the first any window reads"),
        ([n for n in unread if first < n < last],
         "in the gaps the stride and dilation leave between the taps"),
        ([n for n in unread if n > last], f"after {noun} {last}, the last any window reads"),
    ]
    return [f"{_count_noun(len(lines), noun)} {lines_words([int(n) for n in lines])} "
            f"{'lies' if len(lines) == 1 else 'lie'} {why}" for lines, why in groups if lines]


def zero_zone_sentence(geometry: Geometry) -> str:
    """Which input rows and columns no window reads, and why; only real rows are named."""
    g = _checked(geometry)
    if not g.touched_rows().any() or not g.touched_cols().any():
        (h, w) = g.input_size
        return (f"No window reads any input pixel (rows {lines_words(list(range(h)))}, columns "
                f"{lines_words(list(range(w)))}): the taps land only in the padding and the "
                "gaps between them, so every gradient is exactly 0.")
    clauses = _unread(g.touched_rows(), "row") + _unread(g.touched_cols(), "column")
    if not clauses:
        return "Every input pixel is read by at least one window, so every pixel can receive " \
               "gradient."
    return ("Input " + "; ".join(clauses) + " (grey stripes): no window reads them, so they "
            "never reach the output and their gradient is exactly 0.")


# --------------------------------------------------------------------------- overlap


def border_only(counts: np.ndarray) -> bool:
    """True when every row and column of a read-count map only climbs from its ends inwards.

    Zeros count: a line read 2, 0, 2 dips inside and is not "only the border read less".
    """
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"counts must be 2-D (H, W); got shape {counts.shape}")
    lines = [*counts, *counts.T]
    for line in lines:
        steps = np.sign(np.diff(line))
        steps = steps[steps != 0]
        if np.any((steps[:-1] < 0) & (steps[1:] > 0)):
            return False
    return True


def overlap_profile(counts: np.ndarray) -> tuple[int, np.ndarray, int, np.ndarray]:
    """A row and a column of a ``window_counts()`` map ``(H, W)``, as read: ``(i, row, j, col)``.

    The least-read row that is read at all (and likewise column): its counts show the pattern
    along the width (height) with the smallest numbers.
    """
    counts = np.asarray(counts)
    row_peaks, col_peaks = counts.max(axis=1), counts.max(axis=0)
    i = int(np.argmin(np.where(row_peaks > 0, row_peaks, np.iinfo(np.int64).max)))
    j = int(np.argmin(np.where(col_peaks > 0, col_peaks, np.iinfo(np.int64).max)))
    return i, counts[i, :], j, counts[:, j]


def overlap_sentence(geometry: Geometry) -> str:
    """How often each input pixel is read, 0 included, and where the counts vary ("" when even)."""
    counts = _checked(geometry).window_counts()
    values = np.unique(counts)
    if values.size <= 1:
        return ""
    listed = ", ".join(str(n) for n in values[:-1]) + f" or {values[-1]}"
    i, along_row, j, along_col = overlap_profile(counts)
    uneven_row = np.unique(along_row).size > 1
    where, profile = (f"row {i}", along_row) if uneven_row else (f"column {j}", along_col)
    counted = ", ".join(str(int(n)) for n in profile)
    zero = " (0: the zero-gradient zone)" if values[0] == 0 else ""
    if border_only(counts):
        why = ("only the border is read less: fewer windows reach the pixels near the edge "
               "than those in the middle")
    else:
        why = ("the counts rise and fall inside the map, not only at the border: the "
               "checkerboard of uneven overlap (stride and dilation space the taps unevenly)")
    return (f"each input pixel is read by {listed} kernel taps across the windows{zero}, so it "
            f"collects that many terms of δ·W. Along {where} the pixels are read {counted} "
            f"times: {why}.")


# --------------------------------------------------------------------------- depth


def _amount(value: int | str, name: str) -> int | str:
    """A count (int, or a number word "one" … "ten") or a symbol such as "K"."""
    if isinstance(value, str):
        word = value.strip().lower()
        return _WORDS.index(word) if word in _WORDS[1:] else value.strip()
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a symbol (str); got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}")
    return int(value)


def _word(amount: int | str) -> str:
    if isinstance(amount, str):
        return amount
    return _WORDS[amount] if amount < len(_WORDS) else str(amount)


def _many(amount: int | str, noun: str) -> str:
    return f"{_word(amount)} {_count_noun(amount, noun)}"


# the per-slice formula the answer names; tests recompute dx from it with scipy
DEPTH_SLICE_FORMULA = "dilate_s(δₖ) ⋆full rot180(dilate_d(Wₖ,c))"


def depth_answer(filters: int | str = "K", depth: int | str = "C") -> str:
    """The depth question answered literally for ``filters`` K and ``depth`` C.

    Counts are ints (or number words, "one" … "ten"); a str such as ``"K"`` is kept as a symbol.

    Raises
    ------
    TypeError, ValueError
        If a count is not an int >= 1 or a str, naming the parameter.
    """
    k, c = _amount(filters, "filters"), _amount(depth, "depth")
    question = (f"Can the one-deep δₖ be convolved with the {_word(c)}-deep filter Wₖ? ")
    if c == 1:
        how = "Yes: as one 2-D full correlation with its only slice"
    else:
        how = f"Yes: as {_word(c)} separate 2-D full correlations, one per slice Wₖ,c"
    how += (f": {DEPTH_SLICE_FORMULA}, cropped by p, with no sum over depth "
            "(⋆ with the turned slice is ∗ with the slice as it is). ")
    if k == 1 and c == 1:
        sums = "There is no sum on either side: one channel forward, one filter backward. "
    elif k == 1:
        sums = (f"Forward, zₖ adds over the {_many(c, 'channel')}; backward there is one "
                "filter, so dx[c] is its one correlation, with no sum over k. ")
    elif c == 1:
        sums = ("Forward, zₖ has its one channel, with no sum over c; backward, dx[c] adds over "
                f"the {_many(k, 'filter')}. ")
    else:
        sums = (f"The sum moves from c to k: forward, zₖ adds over the {_many(c, 'channel')}; "
                f"backward, dx[c] adds over the {_many(k, 'filter')}. ")
    each = f"{_word(k)} deep" if c == 1 else f"each {_word(k)} deep"
    bank = (f"So the backward pass is a forward pass (⋆, no flip, as conv2d computes it) of the "
            f"dilated δ, padded for a full correlation, through the transposed bank: "
            f"{_many(c, 'filter')}, {each}, whose "
            f"{'one slice is' if k == c == 1 else 'slices are'} rot180(dilate_d(Wₖ,c)); "
            "then crop p.")
    return question + how + sums + bank
