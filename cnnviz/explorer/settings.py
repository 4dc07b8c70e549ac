"""The explorer's settings: every control a learner can move, its range, and what is possible.

A :class:`Settings` is plain data. It does not raise when a combination is impossible (a
kernel wider than the padded input, say); :meth:`Settings.problem` says why in one plain
sentence, so the page can show that sentence instead of a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from cnnviz.core.activations import ACTIVATION_NAMES
from cnnviz.core.geometry import Geometry

ACTIVATIONS = ACTIVATION_NAMES  # the one list of names lives with the functions, in the core

# Integer controls: name -> (lowest, highest, label a learner reads).
RANGES: dict[str, tuple[int, int, str]] = {
    "depth": (1, 10, "input depth C"),
    "filters": (1, 4, "filters K"),
    "input_height": (3, 16, "input height H"),
    "input_width": (3, 16, "input width W"),
    "kernel_height": (1, 7, "kernel height kh"),
    "kernel_width": (1, 7, "kernel width kw"),
    "stride": (1, 4, "stride s"),
    "padding": (0, 3, "padding p"),
    "dilation": (1, 3, "dilation d"),
    "seed": (0, 9999, "random seed"),
}


@dataclass(frozen=True)
class Settings:
    """One explorer scenario. Every field is a control on the page.

    Stride, padding and dilation apply to both directions (the core accepts pairs; the
    explorer keeps one knob each so that a learner has fewer things to hold).
    """

    depth: int = 3
    filters: int = 2
    input_height: int = 7
    input_width: int = 7
    kernel_height: int = 3
    kernel_width: int = 3
    stride: int = 2
    padding: int = 1
    dilation: int = 1
    seed: int = 0
    activation: str = "relu"

    def __post_init__(self) -> None:
        for name, (low, high, label) in RANGES.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} ({label}) must be an int; got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} ({label}) must be between {low} and {high}; got {value}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}; got {self.activation!r}")

    def problem(self) -> str | None:
        """A plain sentence saying why this combination cannot run, or None if it can."""
        extent_h = self.dilation * (self.kernel_height - 1) + 1
        extent_w = self.dilation * (self.kernel_width - 1) + 1
        padded_h = self.input_height + 2 * self.padding
        padded_w = self.input_width + 2 * self.padding
        if extent_h > padded_h or extent_w > padded_w:
            return (
                f"The kernel spans {extent_h}x{extent_w} pixels (size {self.kernel_height}x"
                f"{self.kernel_width}, dilation {self.dilation}), but the padded input is only "
                f"{padded_h}x{padded_w}: no window fits. Make the kernel or dilation smaller, "
                "or add padding."
            )
        return None

    def geometry(self) -> Geometry:
        """The :class:`~cnnviz.core.geometry.Geometry` these settings describe.

        Raises
        ------
        ValueError
            When :meth:`problem` is not None.
        """
        reason = self.problem()
        if reason is not None:
            raise ValueError(reason)
        return Geometry(
            (self.input_height, self.input_width),
            (self.kernel_height, self.kernel_width),
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
        )

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (checked like a new one)."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, object]:
        """Field name -> value, in the order of the fields."""
        return asdict(self)


def field_names() -> tuple[str, ...]:
    """Every control's name, in display order."""
    return tuple(f.name for f in fields(Settings))
