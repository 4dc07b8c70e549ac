"""The synthetic gesture data set: determinism, balance, ranges, and the rasterizer's maths."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.nn.gestures import (
    CLASS_NAMES,
    POINTS,
    TEMPLATES,
    Strokes,
    make_gestures,
    rasterize,
    resample,
    train_test_split,
)


def test_same_seed_same_images_other_seed_other_images():
    first = make_gestures(96, seed=7)
    again = make_gestures(96, seed=7)
    other = make_gestures(96, seed=8)
    np.testing.assert_array_equal(first.images, again.images)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert not np.array_equal(first.images, other.images)


@pytest.mark.parametrize("count", [8, 203, 1000])
def test_classes_are_balanced(count):
    data = make_gestures(count, seed=1)
    counts = np.bincount(data.labels, minlength=len(CLASS_NAMES))
    assert counts.size == len(CLASS_NAMES) >= 8
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == count


def test_labels_are_shuffled_not_in_blocks():
    labels = make_gestures(400, seed=2).labels
    assert not np.array_equal(labels, np.sort(labels))
    assert not np.array_equal(labels, np.arange(400) % len(CLASS_NAMES))


def test_images_are_small_grayscale_in_unit_range():
    data = make_gestures(64, seed=0)
    assert data.images.shape == (64, 1, 28, 28)
    assert data.images.dtype == np.float32
    assert data.labels.dtype == np.int64
    assert data.images.min() >= 0 and data.images.max() <= 1
    # every image shows a stroke: a good number of lit pixels (a thin stroke with a dim
    # start, as the widened ranges draw, has few above 0.5 but many above 0.3)
    lit = (data.images > 0.3).reshape(64, -1).sum(axis=1)
    assert lit.min() >= 12


def test_other_sizes():
    data = make_gestures(16, seed=0, size=16)
    assert data.images.shape == (16, 1, 16, 16)


def test_split_is_reproducible_and_disjoint():
    train, test = train_test_split(80, 40, seed=5)
    train2, test2 = train_test_split(80, 40, seed=5)
    np.testing.assert_array_equal(train.images, train2.images)
    np.testing.assert_array_equal(test.images, test2.images)
    flat_train = train.images.reshape(len(train), -1)
    flat_test = test.images.reshape(len(test), -1)
    same = (flat_train[:, None, :] == flat_test[None, :, :]).all(axis=2)
    assert not same.any()


def test_subset_copies():
    data = make_gestures(16, seed=0)
    part = data.subset(slice(0, 4))
    part.images[...] = 0
    assert data.images[:4].max() > 0
    assert len(part) == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"count": 0}, ValueError, "count must be >= 1"),
        ({"count": 2.5}, TypeError, "count must be an int"),
        ({"count": True}, TypeError, "count must be an int"),
        ({"count": 4, "seed": -1}, ValueError, "seed must be >= 0"),
        ({"count": 4, "size": 8}, ValueError, "size must be >= 12"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_gestures(**kwargs)


def test_resample_keeps_ends_and_spaces_evenly():
    line = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]])  # length 4
    points = resample(line, 9)
    np.testing.assert_allclose(points[0], line[0])
    np.testing.assert_allclose(points[-1], line[-1])
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    np.testing.assert_allclose(steps, 0.5, atol=1e-12)  # the corner falls on a sample point
    assert all(t.shape == (POINTS, 2) for t in TEMPLATES)
    assert len(TEMPLATES) == len(CLASS_NAMES)


def _one_stroke(points, *, width=2.0, low=0.3, pace=1.0):
    points = np.asarray(points, dtype=np.float64)[None]
    return Strokes(
        points=points,
        widths=np.array([width]),
        start_brightness=np.array([low]),
        noise=np.array([0.0]),
        pace=np.array([pace]),
    )


def _loop_reference(strokes: Strokes, size: int) -> np.ndarray:
    """The rasterizer's rule written pixel by pixel, segment by segment (slow, plain)."""
    points = strokes.points[0]
    half, low, pace = strokes.widths[0] / 2, strokes.start_brightness[0], strokes.pace[0]
    times = np.linspace(0, 1, len(points))
    image = np.zeros((size, size))
    for row in range(size):
        for col in range(size):
            best = 0.0
            for s in range(len(points) - 1):
                a, b = points[s], points[s + 1]
                ab, ap = b - a, np.array([col, row]) - a
                u = min(max(ap @ ab / max(ab @ ab, 1e-6), 0.0), 1.0)
                dist = np.linalg.norm(ap - u * ab)
                cover = min(max(half + 0.5 - dist, 0.0), 1.0)
                t = times[s] + u * (times[s + 1] - times[s])
                best = max(best, cover * (low + (1 - low) * t**pace))
            image[row, col] = best
    return image


@pytest.mark.parametrize("pace", [0.7, 1.0, 1.5])
def test_rasterizer_matches_a_pixel_loop(pace):
    rng = np.random.default_rng(0)
    points = np.cumsum(rng.normal(0, 1.5, (POINTS, 2)), axis=0) + 6.0
    strokes = _one_stroke(points, width=1.7, low=0.35, pace=pace)
    np.testing.assert_allclose(rasterize(strokes, 13)[0], _loop_reference(strokes, 13), atol=1e-5)


def test_brightness_rises_along_the_stroke():
    # left to right along row 10: dim at the start, 1 at the end
    points = np.stack([np.linspace(4, 23, POINTS), np.full(POINTS, 10.0)], axis=1)
    image = rasterize(_one_stroke(points, low=0.3), 28)[0]
    row = image[10, 4:24]
    assert row[0] == pytest.approx(0.3, abs=0.02)
    assert row[-1] == pytest.approx(1.0, abs=0.02)
    assert np.all(np.diff(row) > 0)
    assert image[2].max() == 0  # far rows untouched


def test_left_and_right_swipes_differ_in_where_the_bright_end_is():
    data = make_gestures(400, seed=3)
    columns = np.arange(28)

    def bright_minus_dim_side(label):
        images = data.images[data.labels == label][:, 0]
        weights = images * (images > 0.2)
        mean_col = (weights * columns).sum(axis=(1, 2)) / weights.sum(axis=(1, 2))
        bright = images > 0.8  # the end of the stroke
        bright_col = (bright * columns).sum(axis=(1, 2)) / np.maximum(bright.sum(axis=(1, 2)), 1)
        return np.mean(bright_col - mean_col)

    assert bright_minus_dim_side(CLASS_NAMES.index("swipe left")) < -1
    assert bright_minus_dim_side(CLASS_NAMES.index("swipe right")) > 1
