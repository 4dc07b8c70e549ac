"""The lessons' computations: every number a lesson states, computed here and checked in tests.

Pure NumPy, built on :mod:`cnnviz.core.conv` and :mod:`cnnviz.core.geometry`. The notebooks call
these functions and check them against the core; no lesson holds logic of its own.

Notation, as in the blog and the lessons: ``z`` the pre-activation, ``a = σ(z)``, ``δ = dL/dz``
(``delta``), ``rot180`` the kernel turned half a turn, ``σ'`` the activation's slope.

Single-channel helpers take 2-D maps: ``delta`` is ``(Ho, Wo)``, ``kernel`` is ``(kh, kw)``.
The deep helpers take one sample: ``x`` is ``(C, H, W)``, ``delta`` is ``(K, Ho, Wo)`` and
``w`` is ``(K, C, kh, kw)``.

One module per lesson, re-exported here so ``from cnnviz import lessons as T`` reaches them all:
:mod:`~cnnviz.lessons.single_channel` and :mod:`~cnnviz.lessons.previous_delta` (lesson 1),
:mod:`~cnnviz.lessons.shapes` (lesson 2, depth), :mod:`~cnnviz.lessons.stride` (lesson 3),
:mod:`~cnnviz.lessons.weights` (lesson 4, weights and bias), :mod:`~cnnviz.lessons.padding`
(lesson 5, padding and overlap), and :mod:`~cnnviz.lessons.exercises` (check yourself).
:mod:`~cnnviz.lessons.checks` holds their shared argument checks. Around them:
:mod:`~cnnviz.lessons.course` (the one list of lessons and the links between them),
:mod:`~cnnviz.lessons.sentences` (every sentence a lesson states about the geometry, built from
its predicate) and :mod:`~cnnviz.lessons.independent` (lesson 3's checks by torch or scipy).
"""

from cnnviz.core.claims import output_padding_sentence  # lesson 03 prints it
from cnnviz.lessons.padding import all_ones_input_grad, input_grad_before_crop
from cnnviz.lessons.previous_delta import delta_previous_layer, delta_previous_layer_numeric
from cnnviz.lessons.shapes import markdown_table, shapes_from_core, shapes_table
from cnnviz.lessons.single_channel import (
    ConnectionCount,
    count_connections,
    format_taps,
    gather_input_grad,
    scatter_input_grad,
    scatter_partial_sums,
    taps_reaching,
)
from cnnviz.lessons.stride import (
    StrideAttempt,
    output_padding_for,
    same_stride_attempt,
    transposed_conv2d,
    transposed_output_size,
)
from cnnviz.lessons.weights import (
    EntryCheck,
    finite_difference_entry,
    per_position_weight_grads,
    weight_grad_by_correlation,
)

__all__ = [
    "ConnectionCount",
    "EntryCheck",
    "StrideAttempt",
    "all_ones_input_grad",
    "count_connections",
    "delta_previous_layer",
    "delta_previous_layer_numeric",
    "finite_difference_entry",
    "format_taps",
    "gather_input_grad",
    "input_grad_before_crop",
    "markdown_table",
    "output_padding_for",
    "output_padding_sentence",
    "per_position_weight_grads",
    "same_stride_attempt",
    "scatter_input_grad",
    "scatter_partial_sums",
    "shapes_from_core",
    "shapes_table",
    "taps_reaching",
    "transposed_conv2d",
    "transposed_output_size",
    "weight_grad_by_correlation",
]
