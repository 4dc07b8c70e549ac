"""An animated GIF written one frame at a time, with one palette for the whole animation.

Pillow's own multi-frame GIF writer keeps every frame until the end; this one writes each frame
as it comes (Pillow still does the quantizing and the LZW encoding), so memory stays at one frame
however long the animation. Only NumPy and Pillow: no explorer import.

    palette = gif_palette(sample_frames)          # a few frames spread over the animation
    writer = GifWriter(stream, palette, fps=2)
    for frame in frames:                          # each (height, width, 3) uint8
        writer.add(frame)
    writer.close()
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

# 255 colours: index 255 stays free to mean "unchanged since the last frame" (transparent).
PALETTE_COLOURS = 255
UNCHANGED = 255


def checked_frame(index: int, frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """``frame`` as a contiguous (height, width, 3) uint8 array, or a ValueError naming it."""
    array = np.asarray(frame)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.dtype != np.uint8:
        raise ValueError(
            f"frames[{index}] must be (height, width, 3 or 4) uint8; got {array.shape} "
            f"{array.dtype}"
        )
    if size is not None and array.shape[:2] != size:
        raise ValueError("frames must all have the same size")
    return np.ascontiguousarray(array[..., :3])


def gif_palette(sample: Sequence[np.ndarray]):
    """A Pillow palette image of :data:`PALETTE_COLOURS` colours for frames like ``sample``.

    The median cut runs on the sample frames stacked into one strip, so every colour keeps
    one index in every frame: colours do not flicker.
    """
    from PIL import Image

    size = None
    arrays = []
    for i, frame in enumerate(sample):
        arrays.append(checked_frame(i, frame, size))
        size = arrays[-1].shape[:2]
    if not arrays:
        raise ValueError("frames must hold at least one image; got none")
    strip = Image.fromarray(np.concatenate(arrays, axis=0), "RGB")
    return strip.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)


class GifWriter:
    """An animated, looping GIF written to ``stream`` one frame at a time.

    Each frame after the first stores only the rectangle that changed, with unchanged pixels
    transparent, so a long walk stays small. A frame identical to the one before lengthens it.
    Call :meth:`close` to end the file.

    Parameters
    ----------
    stream : binary file object, written in order (no seeking)
    palette : a Pillow "P" image, e.g. from :func:`gif_palette`
    fps : float > 0, frames a second
    """

    def __init__(self, stream: BinaryIO, palette, *, fps: float) -> None:
        self.stream, self.palette = stream, palette
        self.delay = max(2, round(100 / fps))  # centiseconds; browsers slow faster GIFs down
        self.previous: np.ndarray | None = None  # palette indices of the last frame
        self.pending: list = []  # [(control, block), delay], written once the next one differs
        self.table = b""

    def add(self, frame: np.ndarray) -> None:
        """Quantize ``frame`` ((H, W, 3) uint8) to the palette and queue it."""
        from PIL import Image

        size = None if self.previous is None else self.previous.shape
        rgb = Image.fromarray(checked_frame(0, frame, size), "RGB")
        indices = np.asarray(rgb.quantize(palette=self.palette, dither=Image.Dither.NONE))
        if self.previous is None:
            self._start(indices)
            block = self._block(indices, 0, 0, transparent=False)
        else:
            changed = indices != self.previous
            if not changed.any():
                self.pending[1] = min(self.pending[1] + self.delay, 65535)
                return
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
            patch = indices[box]
            free = not (patch == UNCHANGED).any()  # index 255 unused: it can mean "unchanged"
            if free:
                patch = np.where(changed[box], patch, UNCHANGED).astype(np.uint8)
            block = self._block(patch, int(rows[0]), int(cols[0]), transparent=free)
        self._flush()
        self.previous = indices
        self.pending = [block, self.delay]

    def close(self) -> None:
        """Write the last frame and the trailer (at least one frame must have been added)."""
        if self.previous is None:
            raise ValueError("frames must hold at least one image; got none")
        self._flush()
        self.stream.write(b";")

    def _start(self, indices: np.ndarray) -> None:
        flags, self.table, _ = _lzw_frame(indices, self.palette)
        height, width = indices.shape
        self.stream.write(b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0))
        self.stream.write(self.table)
        # NETSCAPE2.0 application block: loop forever
        self.stream.write(b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")

    def _block(self, patch: np.ndarray, top: int, left: int, *, transparent: bool) -> tuple:
        flags, table, data = _lzw_frame(patch, self.palette)
        local = b"" if table == self.table else table  # Pillow kept our palette: share it
        packed = (0x80 | (flags & 0x07)) if local else 0
        height, width = patch.shape
        head = struct.pack("<BHHHHB", 0x2C, left, top, width, height, packed)
        control = 0x04 | (1 if transparent else 0)  # disposal 1 (keep); bit 0: transparency
        return control, head + local + data

    def _flush(self) -> None:
        if self.pending:
            (control, block), delay = self.pending
            self.stream.write(struct.pack("<3sBHBB", b"!\xf9\x04", control, delay, UNCHANGED, 0))
            self.stream.write(block)
        self.pending = []


def _lzw_frame(indices: np.ndarray, palette) -> tuple[int, bytes, bytes]:
    """Pillow's encoding of one indexed image: (screen flags, colour table, image data).

    The image data is the LZW minimum code size and the data sub-blocks, as they follow an
    image descriptor in any GIF.
    """
    from PIL import Image

    image = Image.fromarray(indices, "L").convert("P")
    image.putpalette(palette.getpalette())
    buffer = io.BytesIO()
    # not interlaced: the descriptor this writer makes says so
    image.save(buffer, format="GIF", optimize=False, interlace=False)
    data = buffer.getvalue()
    flags = data[10]
    end = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    table, position = data[13:end], end
    while data[position] == 0x21:  # skip extensions: 0x21, label, sub-blocks, 0
        position += 2
        while data[position]:
            position += data[position] + 1
        position += 1
    if data[position] != 0x2C or data[position + 9] & 0xC0:  # a local table or interlace
        raise RuntimeError("Pillow wrote a GIF this writer does not understand")
    return flags, table, data[position + 10 : -1]  # up to the trailer ';'
