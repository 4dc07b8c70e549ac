"""Figures for the gesture CNN: samples per class, training curves, confusion matrix, filters.

matplotlib only (no widgets, no pyplot): every function returns a new
:class:`matplotlib.figure.Figure` on an Agg canvas, so nothing piles up in pyplot's registry.

``python -m cnnviz gesture-samples --out docs/gestures.png`` (:mod:`cnnviz.cli.commands`) writes the
picture of samples per class that the README shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from cnnviz.explorer.render.png import figure_png as figure_png  # re-exported for the notebook
from cnnviz.explorer.render.png import new_figure as _new_figure
from cnnviz.nn.gestures import CLASS_NAMES, Gestures

# Colour-blind-safe: grayscale for images, a sequential map for counts, a diverging map
# centred on zero for filter weights (as everywhere in cnnviz).
IMAGE_CMAP = "gray"
COUNT_CMAP = "Blues"
WEIGHT_CMAP = "RdBu_r"


def sample_figure(image: np.ndarray, *, title: str) -> Figure:
    """One gesture image ``(1, H, W)`` or ``(H, W)``, small, with a title."""
    image = np.asarray(image)
    figure = _new_figure(2.2, 2.4)
    ax = figure.subplots()
    ax.imshow(image.reshape(image.shape[-2:]), cmap=IMAGE_CMAP, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return figure


def samples_figure(data: Gestures, *, per_class: int = 6) -> Figure:
    """A grid of images: one row per class, ``per_class`` samples in each row.

    Parameters
    ----------
    data : Gestures
    per_class : int, >= 1, samples shown per class (fewer if the set has fewer)
    """
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1; got {per_class}")
    names = data.class_names
    figure = _new_figure(1.0 * per_class + 1.4, 1.0 * len(names))
    axes = figure.subplots(len(names), per_class, squeeze=False)
    for row, name in enumerate(names):
        picks = np.flatnonzero(data.labels == row)[:per_class]
        for col in range(per_class):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < picks.size:
                ax.imshow(data.images[picks[col], 0], cmap=IMAGE_CMAP, vmin=0, vmax=1)
            else:
                ax.set_axis_off()
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center")
    figure.suptitle("Synthetic gestures: dim at the stroke's start, bright at its end")
    return figure


def curves_figure(
    train_loss: Sequence[float],
    train_accuracy: Sequence[float],
    test_accuracy: Sequence[float] | None = None,
) -> Figure:
    """Loss and accuracy per epoch, side by side.

    Parameters
    ----------
    train_loss, train_accuracy : one value per finished epoch
    test_accuracy : one value per finished epoch, optional
    """
    figure = _new_figure(8.0, 3.0)
    loss_ax, acc_ax = figure.subplots(1, 2)
    epochs = np.arange(1, len(train_loss) + 1)
    loss_ax.plot(epochs, train_loss, marker="o", color="tab:blue")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("mean cross-entropy loss")
    loss_ax.set_title("training loss")
    acc_ax.plot(epochs, train_accuracy, marker="o", color="tab:blue", label="training")
    if test_accuracy is not None and len(test_accuracy):
        acc_ax.plot(
            np.arange(1, len(test_accuracy) + 1),
            test_accuracy,
            marker="s",
            color="tab:orange",
            label="held-out",
        )
    acc_ax.axhline(1 / len(CLASS_NAMES), color="gray", linestyle=":", label="chance")
    acc_ax.set_ylim(0, 1.02)
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_title("accuracy")
    acc_ax.legend(loc="lower right")
    for ax in (loss_ax, acc_ax):
        if len(epochs):
            ax.set_xticks(epochs)
    return figure


def curves_alt(
    train_loss: Sequence[float],
    train_accuracy: Sequence[float],
    test_accuracy: Sequence[float] | None = None,
) -> str:
    """Alternative text of :func:`curves_figure`: every epoch's numbers, in words."""
    if not len(train_loss):
        return "Training curves: loss and accuracy per epoch, drawn when the first epoch ends."
    held = list(test_accuracy or [])
    epochs = "; ".join(
        f"epoch {n}: loss {loss:.3f}, training accuracy {acc:.3f}"
        + (f", held-out accuracy {held[n - 1]:.3f}" if n <= len(held) else "")
        for n, (loss, acc) in enumerate(zip(train_loss, train_accuracy, strict=False), 1)
    )
    return (
        f"Training curves over {len(train_loss)} epoch{'s' if len(train_loss) > 1 else ''}, "
        f"loss on the left, accuracy on the right (chance {1 / len(CLASS_NAMES):.3f}): {epochs}."
    )


def sample_alt(image: np.ndarray, *, title: str) -> str:
    """Alternative text of :func:`sample_figure`: the title, the size and the brightest pixel."""
    pixels = np.asarray(image).reshape(np.asarray(image).shape[-2:])
    i, j = (int(v) for v in np.unravel_index(int(np.argmax(pixels)), pixels.shape))
    lit = int((pixels > 0.5).sum())
    return (
        f"Gesture image {title}, {pixels.shape[0]}×{pixels.shape[1]} grey pixels: "
        f"{lit} brighter than 0.5; the brightest at (i, j) = ({i}, {j})."
    )


def confusion_figure(confusion: np.ndarray, class_names: Sequence[str] = CLASS_NAMES) -> Figure:
    """A confusion matrix with the count printed in every cell.

    Parameters
    ----------
    confusion : ``(n_classes, n_classes)`` int, rows = true class, columns = predicted
    """
    confusion = np.asarray(confusion)
    n = len(class_names)
    if confusion.shape != (n, n):
        raise ValueError(f"confusion must be ({n}, {n}) for {n} classes; got {confusion.shape}")
    figure = _new_figure(6.4, 5.4)
    ax = figure.subplots()
    image = ax.imshow(confusion, cmap=COUNT_CMAP, vmin=0)
    top = confusion.max() if confusion.size else 0
    for (row, col), count in np.ndenumerate(confusion):
        ax.text(
            col,
            row,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if count > 0.6 * top else "black",
        )
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(confusion) / max(confusion.sum(), 1)
    ax.set_title(f"held-out confusion matrix (accuracy {accuracy:.3f})")
    figure.colorbar(image, ax=ax, shrink=0.8, label="samples")
    return figure


def filters_figure(w: np.ndarray, *, title: str = "learned filters") -> Figure:
    """Every slice ``w[k, c]`` of a filter bank, one row per filter, on one shared scale.

    Filters and channels are numbered from 1, as in the explorer (``W3`` is ``w[2]``).

    Parameters
    ----------
    w : ``(K, C, kh, kw)``
    """
    w = np.asarray(w)
    if w.ndim != 4:
        raise ValueError(f"w must be (K, C, kh, kw); got shape {w.shape}")
    k, c, kh, kw = w.shape
    scale = float(np.abs(w).max()) or 1.0
    # one image of all slices, a blank line between them: one imshow instead of K*C axes;
    # a bank of depth-1 filters (the first conv) reads better as one row
    rows, cols = (1, k) if c == 1 else (k, c)
    tiles = w.reshape(rows, cols, kh, kw)
    mosaic = np.full((rows * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for row, col in np.ndindex(rows, cols):
        top, left = row * (kh + 1), col * (kw + 1)
        mosaic[top : top + kh, left : left + kw] = tiles[row, col]
    figure = _new_figure(max(4.0, min(0.55 * cols + 2.2, 12.0)), min(0.5 * rows + 1.6, 12.0))
    ax = figure.subplots()
    image = ax.imshow(mosaic, cmap=WEIGHT_CMAP, vmin=-scale, vmax=scale)
    centres_x = np.arange(cols) * (kw + 1) + (kw - 1) / 2
    centres_y = np.arange(rows) * (kh + 1) + (kh - 1) / 2
    ax.tick_params(length=0, labelsize=8)
    if c == 1:
        ax.set_xticks(centres_x, [f"W{i + 1}" for i in range(k)])
        ax.set_yticks([])
        ax.set_xlabel("filter (each 1 deep: it reads the image)")
    else:
        ax.set_xticks(centres_x, [str(i + 1) for i in range(c)])
        ax.set_yticks(centres_y, [f"W{i + 1}" for i in range(k)])
        ax.set_xlabel("input channel")
        ax.set_ylabel("filter")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{title}: w (K={k}, C={c}, {kh}×{kw})")
    figure.colorbar(image, ax=ax, shrink=0.8, label="weight")
    return figure
