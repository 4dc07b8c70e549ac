"""What a student's kernel does before the first picture: no matplotlib, so its data is shipped.

A class of 60 opens the explorer together and 60 kernels start at once on two cores: every
import each one does before the first picture is paid 60 times. The painter therefore takes
its colour table from NumPy and its glyphs from an atlas shipped with the package
(cnnviz/explorer/render/glyph_atlas.npz, made by ``python -m cnnviz glyph-atlas``). These tests
check that the page gets by without matplotlib, and that what replaces matplotlib draws what
matplotlib drew: the same colours exactly, the same glyph pixels for every string FreeType
does not kern, and an atlas that holds every string the pages draw.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnnviz.explorer.layer import snapshot_from_settings
from cnnviz.explorer.presets import PRESETS
from cnnviz.explorer.render import atlas, raster
from cnnviz.explorer.render.colours import SIGNED_CMAP, colour_table
from cnnviz.explorer.render.fanout import FanOutFigure, channels_that_fit
from cnnviz.explorer.render.gradients import gradients_figure
from cnnviz.explorer.render.raster import glyphs, short_number
from cnnviz.explorer.trace import WALKS

ROOT = Path(__file__).resolve().parents[1]


def _fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet), as a Voila kernel starts."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUERY_STRING": "", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_page_draws_its_first_picture_without_importing_matplotlib():
    out = _fresh_python("""
        import sys
        from cnnviz.explorer import explorer_page  # as notebooks/explorer.ipynb does
        page = explorer_page()  # reads QUERY_STRING; defers the details, as on Voila
        from cnnviz.explorer.render import colours, raster
        print(raster.glyphs.cache_info().currsize, colours.colour_table.cache_info().currsize)
        print(sorted(name for name in sys.modules if name.split(".")[0] == "matplotlib"))
    """)
    painted, loaded = out.splitlines()
    assert [int(n) for n in painted.split()] > [0, 0], "the first picture was painted"
    assert loaded == "[]", f"the page imported matplotlib: {loaded[:300]}"


def test_the_colour_table_is_matplotlibs():
    from matplotlib import colormaps

    expected = colormaps[SIGNED_CMAP](np.linspace(0.0, 1.0, 256))[:, :3]
    np.testing.assert_array_equal(colour_table(SIGNED_CMAP), np.round(expected * 255))
    other = colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3]  # asked of matplotlib
    np.testing.assert_array_equal(colour_table("viridis"), np.round(other * 255))


def test_the_committed_atlas_is_what_the_command_builds():
    built = atlas.build_atlas()
    with np.load(atlas.atlas_path().open("rb")) as shipped:
        assert sorted(shipped.files) == sorted(built)
        for name, array in built.items():
            np.testing.assert_array_equal(shipped[name], array, err_msg=name)
            assert shipped[name].dtype == array.dtype, name


def test_the_command_writes_the_same_atlas(tmp_path):
    from cnnviz.cli import main

    out = tmp_path / "atlas.npz"
    assert main(["glyph-atlas", "--out", str(out)]) == 0
    with np.load(out) as made, np.load(atlas.atlas_path().open("rb")) as shipped:
        for name in shipped.files:
            np.testing.assert_array_equal(made[name], shipped[name], err_msg=name)
    assert main(["glyph-atlas", "--out", str(tmp_path / "atlas.txt")]) == 2


def _laid_out_like_the_atlas(text: str, pixels: int, bold: bool) -> bool:
    """True when FreeType neither kerns nor joins (ligature) any pair of ``text``."""
    from matplotlib.ft2font import LoadFlags

    font = atlas._font(bold)
    font.set_size(pixels * 0.75, 96)
    pens = font.set_text(text, 0.0, flags=LoadFlags.FORCE_AUTOHINT)[:, 0]
    face = atlas.face(pixels, bold)
    ours = np.cumsum([0] + [face[c].advance for c in text[:-1]])
    return len(pens) == len(text) and np.array_equal(pens, ours)


def _ink_columns(image: np.ndarray) -> np.ndarray:
    ink = np.flatnonzero(image.max(axis=0) > 0)
    return image[:, ink[0] : ink[-1] + 1] if ink.size else image[:, :0]


SPREAD = np.concatenate([-np.geomspace(1e-5, 1e5, 400), [0.0], np.geomspace(1e-5, 1e5, 400)])
NUMBERS = sorted({short_number(float(v)) for v in SPREAD} - {""})  # "" is a blank cell
LABELS = ["δ1 dilated, padded", "dx3 = Σk", "δ below x2", "W2: 10 deep", "rot W1,2", "db1 = -0.12",
          "dW[k, c] = x[c] ⋆ dilate(δk)  (padded input correlated with the dilated delta);",
          "δ below =", "dx ⊙ σ'(z)", "red > 0, blue < 0, white = 0; orange frame = this step;",
          " ", "x", "⋆", "_", "  two  spaces ", "α₁ ≈ ε² ∗ ∂"]  # fmt: skip


@pytest.mark.parametrize("pixels", atlas.SIZES)
@pytest.mark.parametrize("bold", [False, True])
def test_composed_strings_are_freetypes_pixels(pixels, bold):
    kerned = []
    for text in NUMBERS + LABELS:
        composed, descent = atlas.atlas_image(text, pixels, bold)
        drawn, drawn_descent = atlas.freetype_image(text, pixels, bold)
        assert descent == drawn_descent, text
        if not _laid_out_like_the_atlas(text, pixels, bold):
            kerned.append(text)  # glyphs a fraction of a pixel apart: not comparable pixelwise
            assert abs(composed.shape[1] - drawn.shape[1]) <= 2, text
            continue
        np.testing.assert_array_equal(_ink_columns(composed), _ink_columns(drawn), err_msg=text)
    assert not set(kerned) & set(NUMBERS), "FreeType kerns no number: they are its pixels"
    assert len(kerned) <= 4, kerned


def test_glyphs_keep_their_contract_and_fall_back_to_freetype():
    x, g = glyphs("x", 12, crop_rows=False), glyphs("g", 12, crop_rows=False)
    assert x.dtype == np.float32 and not x.flags.writeable and 0 < x.max() <= 1
    assert x.shape[0] < g.shape[0] + 3  # both padded to a common baseline
    rows = np.flatnonzero(x.max(axis=1) > 0)
    assert glyphs("x", 12).shape[0] == rows[-1] - rows[0] + 1  # cropped to the ink
    # a character the atlas lacks (and a size it lacks): FreeType draws the string
    for text, pixels in (("5 €", 12), ("1.5", 30)):
        assert atlas.atlas_image(text, pixels) is None
        drawn = _ink_columns(atlas.freetype_image(text, pixels)[0])
        inked = np.flatnonzero(drawn.max(axis=1) > 0)
        expected = drawn[inked[0] : inked[-1] + 1].astype(np.float32) / 255
        np.testing.assert_array_equal(glyphs(text, pixels), expected, err_msg=text)


def _every_picture(name: str):
    """Every frame of both walks, at both channel choices, and the gradient picture."""
    layer = snapshot_from_settings(PRESETS[name].settings)
    for shown in (None, channels_that_fit(layer)):
        figure = FanOutFigure(layer, channels_shown=shown)
        for walk in WALKS:
            figure.set_walk(walk)
            for index in range(figure.walk.count):
                figure.frame(index)
    gradients_figure(layer)
    gradients_figure(layer, channels_shown=layer.depth)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_string_a_preset_draws_is_in_the_atlas(name, monkeypatch):
    asked = []

    def freetype(text, pixels, bold=False):
        asked.append((text, pixels, bold))
        return atlas.freetype_image(text, pixels, bold)

    monkeypatch.setattr(raster, "freetype_image", freetype)
    raster.glyphs.cache_clear()
    try:
        _every_picture(name)
        painted = raster.glyphs.cache_info().currsize
    finally:
        raster.glyphs.cache_clear()  # no string drawn by the spy stays cached
    assert painted > 20
    assert asked == [], f"not in the atlas: {asked[:5]}"
