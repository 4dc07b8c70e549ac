"""Synthetic hand gestures: unistroke drawings rasterized to small grayscale images.

No download: every sample is drawn on the fly from a seed. Eight classes, each a single
stroke a finger or a mouse could draw (:data:`CLASS_NAMES`). A sample is made in four steps:

1. take the class's template polyline in a unit box (``[-1, 1]²``, y pointing down) and
   resample it to :data:`POINTS` points evenly spaced along its length;
2. wobble it: a smooth random displacement along the stroke plus a little jitter per point;
3. scale (also unevenly in x and y), rotate a little, shift, and map into pixels;
4. rasterize: every pixel takes the brightness of the nearest stroke point within half the
   stroke width, anti-aliased over one pixel, then Gaussian noise.

Random per sample: rotation (±30°), scale and aspect, position, stroke width (1.0-3.0 px),
wobble, the brightness at the start (0.3-0.7) and how it rises (the pace), noise level.
The ranges are wide enough that a trained network still errs on 2-3 % of held-out images
(a dim-ended swipe read the other way, a flat check read as a swipe): the confusion
matrix has something to show.

Brightness grows along the stroke, from dim at the start to 1 at the end, the way a motion
history image records a gesture. That is what tells "swipe left" from "swipe right": the
two strokes cover the same pixels and differ only in which end is bright. For the same
reason rotations stay small (a swipe turned by 180° would be the other swipe).

The rasterizer is vectorized: for a chunk of samples it measures every pixel's distance to
every stroke segment at once, ``(samples, segments, pixels)``, and takes the brightest hit.

``python -m cnnviz.nn.gestures`` prints how long drawing a data set takes; the picture of
samples per class in ``docs/gestures.png`` is drawn by
``python -m cnnviz.nn.figures --png docs/gestures.png``.
"""

from __future__ import annotations

import argparse
import numbers
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.core.budget import check_work

CLASS_NAMES: tuple[str, ...] = (
    "swipe left",
    "swipe right",
    "swipe up",
    "swipe down",
    "circle",
    "check",
    "zigzag",
    "caret",
)

POINTS = 32  # points per stroke after resampling: 31 segments
DEFAULT_SIZE = 28
_CHUNK = 128  # samples rasterized together: (128, 31, 784) float32 is 12 MB per array

# Ranges of the random drawing parameters, in unit-box coordinates unless noted.
MAX_ROTATION_DEGREES = 30.0
SCALE_RANGE = (0.55, 0.92)
ASPECT_RANGE = (0.8, 1.2)  # extra scale of x relative to y
SHIFT = 0.16
WOBBLE = 0.1  # amplitude of the smooth displacement along the stroke
JITTER = 0.016  # per-point noise
WIDTH_RANGE = (1.0, 3.0)  # stroke width in pixels
START_BRIGHTNESS_RANGE = (0.3, 0.7)  # brightness at the stroke's first point; the last is 1
NOISE_RANGE = (0.0, 0.25)  # standard deviation of the pixel noise
PACE_RANGE = (0.5, 2.0)  # brightness follows time**pace: a stroke sped up or slowed down


def _templates() -> tuple[np.ndarray, ...]:
    """One polyline ``(M, 2)`` per class, in drawing order, (x, y) with y pointing down."""
    circle_angles = np.linspace(-np.pi / 2, -np.pi / 2 + 2 * np.pi * 0.94, 40)
    circle = 0.8 * np.stack([np.cos(circle_angles), np.sin(circle_angles)], axis=1)
    return (
        np.array([[0.85, 0.0], [-0.85, 0.0]]),  # swipe left
        np.array([[-0.85, 0.0], [0.85, 0.0]]),  # swipe right
        np.array([[0.0, 0.85], [0.0, -0.85]]),  # swipe up
        np.array([[0.0, -0.85], [0.0, 0.85]]),  # swipe down
        circle,
        np.array([[-0.7, -0.05], [-0.2, 0.55], [0.75, -0.7]]),  # check
        np.array([[-0.8, -0.4], [-0.4, 0.4], [0.0, -0.4], [0.4, 0.4], [0.8, -0.4]]),  # zigzag
        np.array([[-0.7, 0.55], [0.0, -0.6], [0.7, 0.55]]),  # caret
    )


def resample(polyline: np.ndarray, count: int = POINTS) -> np.ndarray:
    """``count`` points evenly spaced along a polyline's length: ``(M, 2)`` -> ``(count, 2)``.

    The first and last points are kept, so the stroke's direction is kept.
    """
    polyline = np.asarray(polyline, dtype=np.float64)
    steps = np.linalg.norm(np.diff(polyline, axis=0), axis=1)  # (M-1,)
    along = np.concatenate([[0.0], np.cumsum(steps)])  # (M,) arc length at each vertex
    targets = np.linspace(0.0, along[-1], count)  # (count,)
    return np.stack(
        [np.interp(targets, along, polyline[:, 0]), np.interp(targets, along, polyline[:, 1])],
        axis=1,
    )


TEMPLATES: tuple[np.ndarray, ...] = tuple(resample(t) for t in _templates())


@dataclass(frozen=True)
class Strokes:
    """Random strokes ready to rasterize, for ``N`` samples.

    Attributes
    ----------
    points : ``(N, P, 2)`` float, (x, y) in pixel units (column, row), in drawing order
    widths : ``(N,)`` stroke widths in pixels
    start_brightness : ``(N,)`` brightness of each stroke's first point (the last is 1)
    noise : ``(N,)`` standard deviation of the pixel noise
    pace : ``(N,)`` brightness at stroke time t in [0, 1] is ``low + (1 - low) * t**pace``
    """

    points: np.ndarray
    widths: np.ndarray
    start_brightness: np.ndarray
    noise: np.ndarray
    pace: np.ndarray


def random_strokes(labels: np.ndarray, rng: np.random.Generator, size: int) -> Strokes:
    """Draw one random stroke per label.

    Parameters
    ----------
    labels : ``(N,)`` int, class indices into :data:`CLASS_NAMES`
    rng : numpy Generator, the only source of randomness
    size : int, the image side in pixels

    Returns
    -------
    Strokes
    """
    n = labels.shape[0]
    base = np.stack(TEMPLATES)[labels]  # (N, P, 2)
    # a circle may be drawn either way round: mirror half of them in x
    mirror = np.where((labels == CLASS_NAMES.index("circle")) & (rng.random(n) < 0.5), -1.0, 1.0)
    base = base * np.stack([mirror, np.ones(n)], axis=1)[:, None, :]

    along = np.linspace(0.0, 1.0, POINTS)  # (P,)
    harmonics = np.arange(1, 4)  # smooth: three low frequencies along the stroke
    amplitude = rng.uniform(0, WOBBLE, (n, 2, 3)) / harmonics  # (N, 2, 3)
    phase = rng.uniform(0, 2 * np.pi, (n, 2, 3))
    waves = np.sin(np.pi * harmonics[None, None, :, None] * along + phase[..., None])
    wobble = np.einsum("nah,nahp->npa", amplitude, waves)  # (N, P, 2)
    points = base + wobble + rng.normal(0.0, JITTER, (n, POINTS, 2))

    scale = rng.uniform(*SCALE_RANGE, n)
    aspect = rng.uniform(*ASPECT_RANGE, n)
    points = points * np.stack([scale * aspect, scale], axis=1)[:, None, :]
    angle = np.deg2rad(rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES, n))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], 1), np.stack([sin, cos], 1)], 1)  # (N, 2, 2)
    points = np.einsum("nij,npj->npi", rotation, points)
    points = points + rng.uniform(-SHIFT, SHIFT, (n, 1, 2))
    pixels = (points + 1.0) * 0.5 * (size - 1)  # unit box -> pixel centres 0 .. size-1

    return Strokes(
        points=pixels,
        widths=rng.uniform(*WIDTH_RANGE, n),
        start_brightness=rng.uniform(*START_BRIGHTNESS_RANGE, n),
        noise=rng.uniform(*NOISE_RANGE, n),
        pace=rng.uniform(*PACE_RANGE, n),
    )


def rasterize(strokes: Strokes, size: int) -> np.ndarray:
    """Draw strokes as anti-aliased lines whose brightness grows along the stroke.

    Parameters
    ----------
    strokes : Strokes, N of them
    size : int, the image side in pixels

    Returns
    -------
    images : ``(N, size, size)`` float32 in ``[0, 1]``, before noise
    """
    n, count = strokes.points.shape[:2]
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    gx, gy = cols.ravel(), rows.ravel()  # (G,) pixel centres
    step = np.float32(1.0 / (count - 1))  # stroke time between neighbouring points
    images = np.empty((n, size * size), dtype=np.float32)
    for start in range(0, n, _CHUNK):  # chunks bound memory; everything inside is vectorized
        part = slice(start, start + _CHUNK)
        points = strokes.points[part].astype(np.float32)  # (n, P, 2)
        ax, ay = points[:, :-1, 0, None], points[:, :-1, 1, None]  # (n, S, 1) segment starts
        dx = np.diff(points[..., 0], axis=1)[..., None]  # (n, S, 1) segment vectors
        dy = np.diff(points[..., 1], axis=1)[..., None]
        inverse_length2 = 1.0 / np.maximum(dx * dx + dy * dy, 1e-6)
        px, py = gx - ax, gy - ay  # (n, S, G) from each segment start to each pixel
        u = (px * dx + py * dy) * inverse_length2
        np.clip(u, 0.0, 1.0, out=u)  # (n, S, G) where along the segment the nearest point is
        px -= u * dx
        py -= u * dy
        cover = (strokes.widths[part].astype(np.float32) / 2 + 0.5)[:, None, None] - np.sqrt(
            px * px + py * py
        )
        np.clip(cover, 0.0, 1.0, out=cover)  # one-pixel anti-aliased edge
        # brightness only where the stroke covers the pixel: a few percent of the entries
        hit = np.nonzero(cover)  # (sample, segment, pixel) indices
        time_ = (hit[1].astype(np.float32) + u[hit]) * step  # stroke time in [0, 1]
        low = strokes.start_brightness[part].astype(np.float32)[hit[0]]
        pace = strokes.pace[part].astype(np.float32)[hit[0]]
        cover[hit] *= low + (1.0 - low) * time_**pace
        images[part] = cover.max(axis=1)  # the brightest segment at each pixel
    return images.reshape(n, size, size)


@dataclass(frozen=True, eq=False)
class Gestures:
    """A labelled set of gesture images.

    Attributes
    ----------
    images : ``(N, 1, H, W)`` float32 in ``[0, 1]`` (one channel: grayscale)
    labels : ``(N,)`` int64, indices into ``class_names``
    class_names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...] = CLASS_NAMES

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, indices: Sequence[int] | np.ndarray | slice) -> Gestures:
        """The samples at ``indices``, as a new :class:`Gestures` (copies)."""
        return Gestures(self.images[indices].copy(), self.labels[indices].copy(), self.class_names)


def _check_count(value: object, name: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def make_gestures(count: int, *, seed: int = 0, size: int = DEFAULT_SIZE) -> Gestures:
    """Draw ``count`` gesture images, the classes as balanced as ``count`` allows.

    The same ``(count, seed, size)`` always gives the same arrays. Each class appears
    ``count // 8`` or ``count // 8 + 1`` times, in shuffled order.

    Parameters
    ----------
    count : int, >= 1
    seed : int, >= 0
    size : int, >= 12, the image side in pixels

    Returns
    -------
    Gestures with images ``(count, 1, size, size)``

    Raises
    ------
    TypeError, ValueError
        Naming the argument and the rule it breaks.
    """
    count = _check_count(count, "count", 1)
    seed = _check_count(seed, "seed", 0)
    size = _check_count(size, "size", 12)
    # the images, the noise drawn as float64 and its float32 copy; labels and strokes per image
    nbytes = count * (16 * size * size + 1024)
    check_work(nbytes, what="make_gestures", blame=f"count {count} of size {size}x{size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % len(CLASS_NAMES)).astype(np.int64)
    strokes = random_strokes(labels, rng, size)
    images = rasterize(strokes, size)  # (N, H, W)
    noise = rng.normal(0.0, 1.0, images.shape).astype(np.float32) * strokes.noise[:, None, None]
    images = np.clip(images + noise, 0.0, 1.0, out=images)
    return Gestures(images[:, None].astype(np.float32, copy=False), labels)


def train_test_split(
    train_count: int, test_count: int, *, seed: int = 0, size: int = DEFAULT_SIZE
) -> tuple[Gestures, Gestures]:
    """A training set and a held-out test set, drawn from independent random streams.

    Both come from the one ``seed`` (through :class:`numpy.random.SeedSequence`), so no test
    image is a copy of a training image and the pair is reproducible.
    """
    seed = _check_count(seed, "seed", 0)
    train_seed, test_seed = (
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2)
    )
    return (
        make_gestures(train_count, seed=train_seed, size=size),
        make_gestures(test_count, seed=test_seed, size=size),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cnnviz.nn.gestures [--count N] [--seed S]``: time drawing a data set."""
    parser = argparse.ArgumentParser(prog="python -m cnnviz.nn.gestures", description=__doc__)
    parser.add_argument("--count", type=int, default=5000, help="samples to draw")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = make_gestures(args.count, seed=args.seed)
    seconds = time.perf_counter() - started
    counts = np.bincount(data.labels, minlength=len(CLASS_NAMES))
    print(f"{len(data)} images {data.images.shape[1:]} in {seconds:.2f} s; per class {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
