"""Named scenarios: the readers' questions and the classic demos, each one a :class:`Settings`."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.explorer.settings import Settings


@dataclass(frozen=True)
class Preset:
    """A named scenario: a short title, one sentence of why, and the settings."""

    name: str
    title: str
    description: str
    settings: Settings


_ALL = (
    Preset(
        "single-channel",
        "One channel, one filter, stride 1",
        "The classic blog derivation: one input channel, one filter, stride 1.",
        Settings(depth=1, filters=1, input_height=5, input_width=5, stride=1, padding=0),
    ),
    Preset(
        "depth-10",
        "10-deep input, one 10-deep filter",
        "The depth question: one delta map flows back into all 10 input channels.",
        Settings(depth=10, filters=1, input_height=5, input_width=5, stride=1, padding=0),
    ),
    Preset(
        "stride-2",
        "Stride 2",
        "The stride question: the delta is dilated with zeros, then full-correlated (⋆) with "
        "rot180(W) at stride 1.",
        Settings(depth=1, filters=1, input_height=6, input_width=6, stride=2, padding=0),
    ),
    Preset(
        "course-demo",
        "7x7x3 input, two 3x3x3 filters, stride 2, padding 1",
        "The classic course demo: two filters over a padded 3-channel input at stride 2.",
        Settings(depth=3, filters=2, input_height=7, input_width=7, stride=2, padding=1),
    ),
    Preset(
        "untouched-rows",
        "Untouched rows and columns",
        "A 3x3 kernel at stride 3 on 8x8: no window reaches the last two rows and columns, "
        "so their gradient is exactly zero.",
        Settings(depth=2, filters=1, input_height=8, input_width=8, stride=3, padding=0),
    ),
    Preset(
        "uneven-overlap",
        "Uneven overlap (checkerboard)",
        "Kernel 3 at stride 2: some pixels are read by one window, some by two or four, so "
        "strided gradients form a checkerboard.",
        Settings(depth=1, filters=1, input_height=9, input_width=9, stride=2, padding=0),
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in _ALL}
DEFAULT_PRESET = "course-demo"


def get_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises
    ------
    ValueError
        Naming the known presets, when ``name`` is not one of them.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]
