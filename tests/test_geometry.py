"""Geometry's sizes and touched-pixel maps against brute-force counting."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from core_cases import NAMED, cases
from hypothesis import given, settings

from cnnviz import Geometry, conv2d, output_length


def geometry_of(case) -> Geometry:
    return Geometry(case.size, case.kernel, **case.settings)


@pytest.mark.parametrize("case", list(NAMED.values()), ids=list(NAMED))
def test_named_output_size_matches_counting_windows(case):
    assert geometry_of(case).output_size == reference.output_size(case.size, case.kernel,
                                                                  **case.settings)


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_output_size_formula_matches_counting_windows(case):
    g = geometry_of(case)
    assert g.output_size == reference.output_size(case.size, case.kernel, **case.settings)
    x = np.zeros((1, 1, *case.size))
    assert conv2d(x, np.zeros((1, 1, *case.kernel)), **case.settings).shape[2:] == g.output_size


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_window_counts_and_touched_maps_match_brute_force(case):
    g = geometry_of(case)
    counts = reference.reads(case.size, case.kernel, **case.settings)
    np.testing.assert_array_equal(g.window_counts(), counts)
    np.testing.assert_array_equal(g.touched_mask(), counts > 0)
    # rows and columns are judged one axis at a time (a row is touched if some window tap
    # lands on it, even where that tap's column is padding); the mask is their outer product
    rows = reference.reads((case.size[0], 1), (case.kernel[0], 1), (g.stride[0], 1),
                           (g.padding[0], 0), (g.dilation[0], 1))[:, 0]
    cols = reference.reads((1, case.size[1]), (1, case.kernel[1]), (1, g.stride[1]),
                           (0, g.padding[1]), (1, g.dilation[1]))[0]
    np.testing.assert_array_equal(g.touched_rows(), rows > 0)
    np.testing.assert_array_equal(g.touched_cols(), cols > 0)
    assert g.touched_mask().dtype == bool and g.touched_mask().shape == case.size


def test_classroom_sizes():
    g = Geometry((7, 7), (3, 3), stride=2, padding=1)
    assert g.output_size == (4, 4)
    assert g.padded_size == (9, 9)
    assert g.kernel_extent == (3, 3)
    assert g.dilated_output_size == (7, 7)
    assert g.window_origin(1, 3) == (2, 6)
    assert g.describe() == (
        "7x7 input, 3x3 kernel, stride 2, padding 1, dilation 1 -> 4x4 output"
    )


def test_rectangular_sizes_and_description():
    g = Geometry((6, 9), (2, 3), stride=(1, 2), padding=(0, 1), dilation=(2, 1))
    assert g.kernel_extent == (3, 3)
    assert g.padded_size == (6, 11)
    assert g.output_size == (4, 5)
    assert "stride 1x2" in g.describe() and "2x3 kernel" in g.describe()


def test_trailing_row_and_column_untouched():
    g = Geometry((8, 8), (3, 3), stride=2)
    assert g.output_size == (3, 3)
    assert g.touched_rows().tolist() == [True] * 7 + [False]
    assert not g.touched_mask()[7].any() and not g.touched_mask()[:, 7].any()


def test_stride_larger_than_kernel_leaves_gaps():
    g = Geometry(9, 2, stride=3)
    assert g.touched_rows().tolist() == [True, True, False] * 3


def test_checkerboard_counts_for_kernel_three_stride_two():
    g = Geometry(7, 3, stride=2, padding=1)
    assert g.window_counts()[:, 0].tolist() == [1, 2, 1, 2, 1, 2, 1]
    assert set(np.unique(g.window_counts())) == {1, 2, 4}


def test_values_are_normalised_to_pairs_of_python_ints():
    g = Geometry(np.int64(5), [3, np.int32(2)], stride=np.array([1, 2]))
    assert g.input_size == (5, 5) and g.kernel_size == (3, 2) and g.stride == (1, 2)
    assert all(type(v) is int for v in (*g.input_size, *g.kernel_size, *g.stride))
    assert Geometry(5, 3) == Geometry((5, 5), (3, 3), stride=(1, 1))
    assert hash(Geometry(5, 3)) == hash(Geometry((5, 5), (3, 3)))


def test_geometry_is_frozen():
    g = Geometry(5, 3)
    with pytest.raises(AttributeError):
        g.stride = (2, 2)


def test_output_length_is_pytorchs_formula():
    for size, kernel, stride, padding, dilation in [(7, 3, 2, 1, 1), (10, 2, 3, 0, 3),
                                                    (5, 5, 1, 0, 1), (1, 1, 4, 0, 1)]:
        want = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
        assert output_length(size, kernel, stride, padding, dilation) == want
        got = reference.output_size(size, kernel, stride, padding, dilation)[0]
        assert got == want
