# ruff: noqa: E501  (the lessons' prose and cells are kept as written; the notebooks are linted)
"""Write the numbered lessons notebooks/00_*.ipynb … 05_*.ipynb, without outputs.

The lessons' text and cells live here so that they can be reviewed as one Python file and
regenerated after an edit: ``.venv/bin/python tools/make_lessons.py``. The notebooks hold no
logic of their own; every computation is a call into ``cnnviz``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

LESSONS = {
    "01_single_channel": "One channel: counting connections, rot180, scatter vs gather",
    "02_depth": "Depth: how a delta flows back into a 10-deep input",
    "03_stride": "Stride: why the backward pass is not strided",
    "04_weights_and_bias": "Weights and bias belong to the filter, not the position",
    "05_padding_dilation_overlap": "Padding, dilation and uneven overlap (checkerboard)",
}

SETUP = """\
import numpy as np
from IPython.display import Markdown, display
from cnnviz import Geometry, conv2d, conv2d_backward, dilate, input_grad_contributions, rot180
from cnnviz import teaching as T
from cnnviz.render.lesson_figures import Panel, maps_figure, pair_figure
from cnnviz import lesson_widgets as views
np.set_printoptions(precision=2, suppress=True)"""


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(dedent(text).strip())


def nav(number: int) -> nbformat.NotebookNode:
    names = list(LESSONS)
    parts = ["[← start here](00_start_here.ipynb)"]
    if number > 1:
        parts.append(f"[← lesson {number - 1}]({names[number - 2]}.ipynb)")
    if number < len(names):
        parts.append(f"[lesson {number + 1} →]({names[number]}.ipynb)")
    return md(" · ".join(parts))


# --------------------------------------------------------------------------- 00


def start_here() -> list:
    rows = "\n".join(
        f"| {i} | [{title}]({name}.ipynb) |"
        for i, (name, title) in enumerate(LESSONS.items(), start=1)
    )
    return [
        md(
            r"""
            # Backprop through a convolution: the lessons

            The explorer *shows* a convolutional layer learning; these lessons *explain* it.
            They follow the classic one-channel derivation and then answer, with numbers, the
            three questions readers keep asking under it:

            1. **How does a delta flow back into a 10-deep input?** (lesson 2)
            2. **Is the backward convolution strided?** (lesson 3)
            3. **Why do the bias and the weights belong to the filter and not to the position?**
               (lesson 4)

            Work through them in order. Each lesson mixes short prose, the formulas, one or two
            views you can play with, and a *check yourself* exercise that the notebook marks.
            Every formula a lesson states is checked against the `cnnviz` core in a visible cell
            (an `assert`: if the maths on the page were wrong, the lesson would stop there).
            """
        ),
        md(
            "## The lessons\n\n| # | lesson |\n|---|---|\n" + rows + "\n"
            "| 6 | [From the questions to a working CNN: gestures](06_gesture_cnn.ipynb) |\n\n"
            "Also in this folder: [the explorer](explorer.ipynb), where you set the sizes, "
            "stride, padding and dilation yourself and watch every delta travel back."
        ),
        md(
            r"""
            ## Notation (the blog's)

            | symbol | meaning |
            |---|---|
            | $a^l$ | the input of layer $l+1$: the activations of layer $l$ (for the first layer, the image $x$) |
            | $z^{l+1} = a^l \star w^{l+1} + b^{l+1}$ | the layer's output before the activation; $\star$ is cross-correlation: slide the filter, multiply, add (no flip) |
            | $a^{l+1} = \sigma(z^{l+1})$ | the activation; $\sigma'$ is its slope |
            | $\delta^{l} = \partial L / \partial z^{l}$ | the error signal ("delta") of layer $l$, shaped like $z^l$ |
            | $\ast$ | true convolution: correlation with the kernel turned half a turn |
            | $\mathrm{rot180}(w)$ | $w$ flipped top-to-bottom and left-to-right |
            | $\odot$ | element-wise product |

            The formula the series is built around:

            $$\delta^{l} = \left(\delta^{l+1} \ast \mathrm{rot180}(w^{l+1})\right) \odot \sigma'(z^{l})$$
            """
        ),
        md(
            r"""
            ## Using the explorer

            Open [explorer.ipynb](explorer.ipynb) (in JupyterLab, or as a web page with Voila).
            Pick a *preset* — a named scenario — or move the controls: input depth $D$,
            filters $K$, input and kernel sizes, stride, padding, dilation. Each preset below
            answers one of the questions above. A link such as
            [explorer.ipynb?preset=stride-2](explorer.ipynb?preset=stride-2) opens the explorer
            on a preset when it runs under Voila.

            The explorer numbers filters and input channels from 1 ($\delta_1$, $x_1$); code
            indexes arrays from 0, so $\delta_1$ is `delta[0]`.
            """
        ),
        code(
            "from cnnviz.gradcheck import conv2d_gradient_errors\nfrom cnnviz.presets import PRESETS\n"
            + SETUP
        ),
        code(
            """
            rows = [{"preset": p.name, "what it shows": p.description,
                     "sizes": p.settings.geometry().describe()} for p in PRESETS.values()]
            display(Markdown(T.markdown_table(rows)))
            """
        ),
        md(
            r"""
            Here is the explorer itself, opened on the course demo: each row of the picture is
            a filter, each column an input channel. Press Play to watch the *scatter* walk,
            switch to *gather*, or change any control.
            """
        ),
        code('views.explorer("course-demo")'),
        md(
            r"""
            ## A first check: the core against finite differences

            Everything in the lessons is computed by one small NumPy core. Here it is checked
            the slowest, surest way on the course demo (a 7×7×3 input, two 3×3×3 filters,
            stride 2, padding 1): nudge every input, weight and bias by $\pm 10^{-6}$, watch
            the loss, and compare with backprop.
            """
        ),
        code(
            """
            demo = PRESETS["course-demo"].settings
            rng = np.random.default_rng(0)
            x, w, b = rng.standard_normal((1, 3, 7, 7)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2)
            delta = rng.standard_normal((1, 2, *demo.geometry().output_size))
            errors = conv2d_gradient_errors(x, w, b, delta, stride=2, padding=1)
            print("largest |backprop - finite difference|:", {k: f"{v:.1e}" for k, v in errors.items()})
            assert max(errors.values()) < 1e-6
            """
        ),
        md(
            r"""
            ## Check yourself

            The output size of a convolution along one axis is
            $H_o = \left\lfloor \frac{H + 2p - d(k-1) - 1}{s} \right\rfloor + 1$.
            For the course demo ($H = 7$, $k = 3$, stride $s = 2$, padding $p = 1$,
            dilation $d = 1$): how big is each $\delta$ map? Type rows and columns, e.g.
            `5, 5`, and press Check.
            """
        ),
        code(
            """
            views.quiz([T.Question("Size of each δ map (rows, columns)?", demo.geometry().output_size,
                                   "the size of each δ map", kind="ints")])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            by_formula = (7 + 2 * 1 - 1 * (3 - 1) - 1) // 2 + 1   # the formula above, by hand
            assert (by_formula, by_formula) == demo.geometry().output_size
            my_answer = (4, 4)   # (rows, columns) of each delta map
            verdict = T.check_answer(my_answer, demo.geometry().output_size, what="the size of each δ map")
            print(verdict)
            assert verdict.correct
            """
        ),
        md("Next: [lesson 1 · one channel →](01_single_channel.ipynb)"),
    ]


# --------------------------------------------------------------------------- 01


def single_channel() -> list:
    return [
        md(
            r"""
            # 1 · One channel: where the rot180 comes from

            The classic derivation, with numbers: a 5×5 input $a^l$ (call it $x$), one 3×3
            filter $w$, a bias $b$, stride 1, no padding. The layer computes, for every output
            pixel $(i, j)$,

            $$z_{i,j} = \sum_{u=0}^{2}\sum_{v=0}^{2} w_{u,v}\, x_{i+u,\,j+v} + b .$$
            """
        ),
        nav(1),
        code(SETUP),
        code(
            """
            rng = np.random.default_rng(3)
            x = rng.choice([-2.0, -1.0, 1.0, 2.0], size=(5, 5))
            w = rng.choice([-2.0, -1.0, 1.0, 2.0], size=(3, 3))
            b = 0.5
            z = conv2d(x[None, None], w[None, None], [b])[0, 0]
            views.show(maps_figure([Panel("input x", x), Panel("filter w", w), Panel("z = x ⋆ w + b", z)], shared_scale=False))
            """
        ),
        md("The formula for one pixel, checked against the core:"),
        code(
            """
            by_formula = (w * x[1:4, 2:5]).sum() + b
            print(f"z[1, 2] by the formula: {by_formula:.2f}; from the core: {z[1, 2]:.2f}")
            assert np.isclose(by_formula, z[1, 2])
            """
        ),
        md(
            r"""
            ## Counting connections: weight sharing

            Each of the $3 \times 3 = 9$ output pixels is connected to 9 input pixels: 81
            connections. A fully connected layer would give each connection its own weight;
            a convolution uses the *same* 9 weights (and one bias) at every position. Corner
            pixels feed one output, the centre feeds all nine: the map below counts them.
            """
        ),
        code(
            """
            count = T.count_connections(Geometry(5, 3))
            print(f"{count.connections} connections, {count.weights} weights + {count.biases} bias: "
                  f"each weight serves {count.uses_per_weight} connections.")
            print(f"A fully connected layer from 25 inputs to 9 outputs would need {count.dense_weights} weights.")
            assert count.connections == (5 - 3 + 1) ** 2 * 3 * 3 and count.weights == 9
            views.show(maps_figure([Panel("outputs each input pixel feeds", count.reads_per_pixel, signed=False)], panel_width=3.2))
            """
        ),
        md(
            r"""
            ## Following one input pixel back

            Give the layer an error signal $\delta_{i,j} = \partial L / \partial z_{i,j}$. The
            input pixel $x_{p,q}$ reaches the loss through every output whose window covered
            it, each time through the weight $w_{p-i,\,q-j}$:

            $$\frac{\partial L}{\partial x_{p,q}} = \sum_{i,j} \delta_{i,j}\; w_{p-i,\,q-j}.$$

            Here are the nine products for the centre pixel $(2, 2)$:
            """
        ),
        code(
            """
            delta = rng.choice([-2.0, -1.0, 1.0, 2.0], size=(3, 3))
            g = Geometry(5, 3)
            print(T.format_taps(T.taps_reaching(g, (2, 2)), prefix="dL/dx[2, 2] = "))
            dx = conv2d_backward(delta[None, None], x[None, None], w[None, None])[0][0, 0]
            by_hand = sum(delta[i, j] * w[u, v] for (i, j), (u, v) in T.taps_reaching(g, (2, 2)))
            print(f"            = {by_hand:.2f}; the core says {dx[2, 2]:.2f}")
            assert np.isclose(by_hand, dx[2, 2])
            """
        ),
        md(
            r"""
            Read the indices: as $\delta$'s index walks forward, $(0,0) \to (2,2)$, the
            weight's index walks *backward*, $(2,2) \to (0,0)$. Written as one sliding window
            over $\delta$ (padded with $k-1 = 2$ zeros all round, a *full* convolution), the
            kernel has to be read upside-down and back-to-front. That is the rot180:

            $$\frac{\partial L}{\partial x} = \delta \ast \mathrm{rot180}(w)
              \quad\text{(full: every overlap of } \delta \text{ and } w\text{)}.$$
            """
        ),
        md(
            r"""
            ## Scatter vs gather: the same sum, two loops

            * **Gather** (the formula): each input pixel *collects* from the $\delta$ entries
              whose windows covered it — slide $\mathrm{rot180}(w)$ over the padded $\delta$.
            * **Scatter** (what code with `+=` does): each $\delta_{i,j}$ *pushes*
              $\delta_{i,j} \cdot w$ back onto the window it came from. No flip: it walks the
              forward connections the same way round, so $w_{u,v}$ lands on $x_{i+u,\,j+v}$.

            Step through the scatter (press play, or drag the slider): each step adds one
            $\delta$ entry times the *unrotated* filter onto the orange window.
            """
        ),
        code("views.scatter_player(delta, w, 5)"),
        code(
            """
            scatter = T.scatter_input_grad(delta, w, 5)              # += , no flip
            gather = T.gather_input_grad(delta, w, 5)                # full convolution with rot180
            no_flip = T.gather_input_grad(delta, w, 5, flip=False)   # gather, forgetting the flip
            print(f"scatter vs core: {abs(scatter - dx).max():.1e};  gather vs core: {abs(gather - dx).max():.1e}")
            print(f"gather WITHOUT rot180 is off by up to {abs(no_flip - dx).max():.2f}")
            assert np.allclose(scatter, dx) and np.allclose(gather, dx) and not np.allclose(no_flip, dx)
            views.show(pair_figure(("gather with rot180", gather), ("gather without rot180", no_flip)))
            """
        ),
        md(
            r"""
            The explorer's *gather* walk on the same kind of layer (`single-channel` preset,
            its own numbers): one step per input pixel; the orange window on the dilated,
            padded $\delta$ is where $\mathrm{rot180}(w)$ sits to produce that pixel.
            """
        ),
        code('views.walk_player("single-channel", walk="gather")'),
        md(
            r"""
            So an implementation that loops over $\delta$ with `dx[window] += delta[i, j] * w`
            and never flips anything is *the same* computation as $\delta \ast
            \mathrm{rot180}(w)$: the flip only appears when you turn the loop inside out and
            ask, pixel by pixel, who sent what.

            ## Through the activation: $\delta^l$

            When $x$ is itself an activation, $a^l = \sigma(z^l)$, the chain rule adds one
            factor — the slope of $\sigma$ at each pixel:

            $$\delta^{l} = \left(\delta^{l+1} \ast \mathrm{rot180}(w^{l+1})\right) \odot \sigma'(z^{l}).$$

            Checked against finite differences (nudging each $z^l$ entry) for a sigmoid:
            """
        ),
        code(
            """
            z_prev = rng.standard_normal((1, 5, 5))
            delta_l = T.delta_previous_layer(z_prev, w[None, None], delta[None], activation_name="sigmoid")
            numeric = T.delta_previous_layer_numeric(z_prev, w[None, None], delta[None], activation_name="sigmoid")
            print(f"δ^l by the formula vs by finite differences: largest gap {abs(delta_l - numeric).max():.1e}")
            assert np.allclose(delta_l, numeric, atol=1e-6)
            """
        ),
        md(
            r"""
            ## Check yourself

            Using the printed $\delta$ and $w$ below: which outputs' windows cover the input
            pixel $(0, 1)$, and through which weights? Write $\partial L / \partial x_{0,1}$ as
            a sum of products, work out its value and type it below.
            """
        ),
        code(
            """
            print("δ =", delta.tolist(), "\\nw =", w.tolist())
            views.quiz([T.Question("dL/dx[0, 1] = ?", dx[0, 1], "dL/dx[0, 1]")])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            my_answer = delta[0, 0] * w[0, 1] + delta[0, 1] * w[0, 0]
            verdict = T.check_answer(my_answer, dx[0, 1], what="dL/dx[0, 1]")
            print(verdict)
            assert verdict.correct
            """
        ),
        nav(1),
    ]


# --------------------------------------------------------------------------- 02


def depth() -> list:
    return [
        md(
            r"""
            # 2 · Depth: how a delta flows back into a 10-deep input

            With $D$ input channels, every filter is $D$ deep: filter $k$ is a stack of $D$
            slices $w_{k,c}$, one per input channel. Its output is **one** map,

            $$z_k = \sum_{c=1}^{D} a_c \star w_{k,c} + b_k ,$$

            so $K$ filters give $K$ output maps and $K$ delta maps $\delta_k$. On the way
            back, $\delta_k$ can only reach input channel $c$ through the slice that channel
            was read with, $w_{k,c}$; every filter that read channel $c$ sends something, and
            the contributions add:

            $$\frac{\partial L}{\partial a^l_c} = \sum_{k=1}^{K} \delta^{l+1}_k \ast \mathrm{rot180}(w^{l+1}_{k,c}),
            \qquad \delta^l_c = \frac{\partial L}{\partial a^l_c} \odot \sigma'(z^l_c).$$
            """
        ),
        nav(2),
        code(SETUP),
        md(
            r"""
            ## The 10-deep question

            One filter on a 10-channel 5×5 input (the explorer's `depth-10` preset): the
            output is a single 3×3 map, so there is a single 3×3 $\delta$. It fans out into
            **all ten** channels, each time through that channel's own 3×3 slice.
            """
        ),
        code(
            """
            rng = np.random.default_rng(2)
            x, w = rng.standard_normal((10, 5, 5)), rng.standard_normal((1, 10, 3, 3))
            delta = rng.standard_normal((1, 3, 3))
            z = conv2d(x[None], w, [0.3])[0, 0]                          # one 3×3 map
            by_channels = sum(conv2d(x[None, c : c + 1], w[:, c : c + 1])[0, 0] for c in range(10)) + 0.3
            assert np.allclose(z, by_channels)                          # z = Σ_c a_c ⋆ w_c + b
            contrib = input_grad_contributions(delta, w, (5, 5))       # (K, D, H, W)
            dx = conv2d_backward(delta[None], x[None], w)[0][0]          # (D, H, W)
            print(f"one δ map {delta.shape[1:]} -> contributions {contrib.shape}:",
                  "a 5×5 map for each of the 10 channels")
            assert all(np.allclose(contrib[0, c], T.gather_input_grad(delta[0], w[0, c], 5)) for c in range(10))
            assert np.allclose(contrib.sum(axis=0), dx)
            """
        ),
        md(
            r"""
            The asserts say: channel $c$'s gradient is exactly the one-channel formula of
            lesson 1 with the slice $w_{0,c}$, and with one filter nothing more is added.
            Here is the explorer on the `depth-10` preset. It shows four channels at a time
            (move *first channel* to see the others) and counts from 1. Press Play and watch
            one $\delta$ entry light up a window in every channel at once:
            """
        ),
        code('views.explorer("depth-10")'),
        md("The first five of our ten channel gradients:"),
        code(
            """
            views.show(maps_figure([Panel(f"dL/dx, channel {c}", dx[c]) for c in range(5)], panel_width=2.3))
            """
        ),
        md(
            r"""
            ## $K$ filters: the shapes table

            A common confusion: *how do a 5×18×18 delta and five 3×3×3 filters give a
            3×20×20 input gradient?* The input was 3×20×20; five 3×3×3 filters at stride 1
            gave five 18×18 maps ($20 - 3 + 1$). Backward, each of the 5 delta maps is
            full-convolved with each of its filter's 3 slices: $5 \times 3 = 15$ maps of
            $18 + 3 - 1 = 20$ by 20. Summing over the 5 filters leaves one 20×20 map per input
            channel. Every shape, as the core produces it:
            """
        ),
        code(
            """
            rows = T.shapes_table(3, 20, 5, 3)
            display(Markdown(T.markdown_table(rows)))
            assert {row["name"]: row["shape"] for row in rows} == T.shapes_from_core(3, 20, 5, 3)
            """
        ),
        md(
            r"""
            ## See each (filter, channel) pair

            Two filters on a 3-channel 6×6 input. Pick a pair: filter $k$'s delta, the slice
            $w_{k,c}$, what it sends into channel $c$, and channel $c$'s total (the sum over
            both filters).
            """
        ),
        code(
            """
            x3, w3 = rng.standard_normal((3, 6, 6)), rng.standard_normal((2, 3, 3, 3))
            delta3 = rng.standard_normal((2, 4, 4))
            views.contribution_picker(delta3, w3, (6, 6))
            """
        ),
        code(
            """
            dx3 = conv2d_backward(delta3[None], x3[None], w3)[0][0]
            by_formula = sum(T.gather_input_grad(delta3[k], w3[k, 1], 6) for k in range(2))
            print(f"channel 1: Σ_k δ_k ∗ rot180(w_k,1) vs core, largest gap {abs(by_formula - dx3[1]).max():.1e}")
            assert np.allclose(by_formula, dx3[1])
            """
        ),
        md(
            r"And through the activation, $\delta^l = (\sum_k \delta_k \ast \mathrm{rot180}(w_{k,c})) \odot \sigma'(z^l)$, against finite differences:"
        ),
        code(
            """
            z_prev = rng.standard_normal((3, 6, 6))
            delta_l = T.delta_previous_layer(z_prev, w3, delta3, activation_name="tanh")
            numeric = T.delta_previous_layer_numeric(z_prev, w3, delta3, activation_name="tanh")
            gap = abs(delta_l - numeric).max()
            print(f"δ^l {delta_l.shape}: formula vs finite differences, largest gap {gap:.1e}")
            assert np.allclose(delta_l, numeric, atol=1e-6)
            """
        ),
        md(
            r"""
            ## Check yourself

            A 10×12×12 input and four 10×5×5 filters, stride 1, no padding. What shape is
            $\delta^{l+1}$? What shape is $\partial L / \partial a^l$? How many
            (filter, channel) full convolutions does the backward pass add up?
            """
        ),
        code(
            """
            shapes = T.shapes_from_core(10, 12, 4, 5)
            views.quiz([T.Question("Shape of δ^(l+1)?", shapes["delta"], "the shape of δ", kind="ints"),
                        T.Question("Shape of dL/da^l?", shapes["dx"], "the shape of dL/da", kind="ints"),
                        T.Question("How many (filter, channel) pairs?",
                                   shapes["contributions"][0] * shapes["contributions"][1], "the number of pairs")])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            my_delta_shape, my_dx_shape, my_pairs = (4, 8, 8), (10, 12, 12), 40
            verdicts = [T.check_answer(my_delta_shape, shapes["delta"], what="the shape of δ"),
                        T.check_answer(my_dx_shape, shapes["dx"], what="the shape of dL/da"),
                        T.check_answer(my_pairs, shapes["contributions"][0] * shapes["contributions"][1], what="the number of pairs")]
            print("\\n".join(str(v) for v in verdicts))
            assert all(v.correct for v in verdicts)
            """
        ),
        nav(2),
    ]


# --------------------------------------------------------------------------- 03


def stride() -> list:
    return [
        md(
            r"""
            # 3 · Stride: why the backward pass is not strided

            At stride $s$ the forward pass computes $z$ only at every $s$-th window position.
            Readers ask: *is the backward convolution strided too?* **No.** Every $\delta$
            entry still sends $\delta_{i,j} \cdot w$ through all $k \times k$ taps of its
            window; only the windows now sit $s$ pixels apart. Put each $\delta$ entry back
            where its window was — on the stride-1 grid, with $s-1$ zeros between neighbours —
            and the one-channel formula works unchanged, *at stride 1*:

            $$\frac{\partial L}{\partial a^l} = \mathrm{dilate}_s(\delta^{l+1}) \ast \mathrm{rot180}(w^{l+1})
            \quad\text{(full, stride 1)}, \qquad \delta^l = \frac{\partial L}{\partial a^l} \odot \sigma'(z^l).$$
            """
        ),
        nav(3),
        code(SETUP),
        code(
            """
            g = Geometry(6, 3, stride=2)
            rng = np.random.default_rng(3)
            x, w = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
            delta = rng.standard_normal(g.output_size)
            dx = conv2d_backward(delta[None, None], x[None, None], w[None, None], stride=2)[0][0, 0]
            print(g.describe()); print("dilate(δ, 2) =\\n", dilate(delta, 2))
            views.show(maps_figure([Panel("δ (2×2)", delta), Panel("dilate(δ, 2)", dilate(delta, 2)), Panel("rot180(w)", rot180(w)), Panel("dL/dx (6×6)", dx)], shared_scale=False))
            """
        ),
        md(
            r"""
            The check: a plain stride-1 full convolution of the *dilated* delta (3×3) with
            $\mathrm{rot180}(w)$ gives a 5×5 map, which is the gradient's top-left 5×5; the
            last row and column get nothing (see below why).
            """
        ),
        code(
            """
            stride_one = T.gather_input_grad(dilate(delta, 2), w, 5)   # stride 1, no stride anywhere
            gap = abs(stride_one - dx[:5, :5]).max()
            print(f"stride-1 full convolution of dilate(δ) vs core: largest gap {gap:.1e}")
            assert np.allclose(stride_one, dx[:5, :5]) and not dx[5].any() and not dx[:, 5].any()
            """
        ),
        md(
            r"""
            Step through the scatter at stride 2: the windows jump two pixels, so some pixels
            are hit by one window and some by two or four.
            """
        ),
        code("views.scatter_player(delta, w, 6, stride=2)"),
        md(
            r"""
            And the gather walk of the `stride-2` preset in the explorer's view: the
            rot180 window slides over the *dilated* delta **one pixel at a time** — there is
            no stride in the backward convolution, only zeros in the delta.
            """
        ),
        code('views.walk_player("stride-2", walk="gather")'),
        md(
            r"""
            ## The wrong "same stride" attempt

            Suppose we run the backward convolution at the forward's stride: pad $\delta$ for
            a full convolution and slide $\mathrm{rot180}(w)$ over it two pixels at a time.
            """
        ),
        code(
            """
            attempt = T.same_stride_attempt(delta, w, 6, stride=2)
            print(f"same-stride backward gives a {attempt.attempt.shape} map for a {attempt.truth.shape} input;")
            print(f"written onto the input grid it is off by up to {attempt.max_error:.2f}")
            assert not attempt.shape_matches and attempt.max_error > 0.1
            views.show(pair_figure(("right: dilate, stride 1", attempt.truth), ("wrong: same stride", attempt.placed), hatch=~g.touched_mask()))
            """
        ),
        md(
            r"""
            ## Rows and columns no window touched

            Windows start at rows 0 and 2 and are 3 tall: they cover rows 0–4. No window ever
            read row 5 (or column 5), so nothing about the loss depends on them: their
            gradient is exactly 0 (hatched above). The `untouched-rows` preset (8×8, stride 3)
            leaves two rows and two columns out.
            """
        ),
        code(
            """
            print("untouched rows at 6×6, k 3, s 2:", np.flatnonzero(~g.touched_rows()))
            g8 = Geometry(8, 3, stride=3)
            print("untouched rows at 8×8, k 3, s 3:", np.flatnonzero(~g8.touched_rows()))
            dx8 = conv2d_backward(np.ones((1, 1, *g8.output_size)), np.zeros((1, 1, 8, 8)), np.ones((1, 1, 3, 3)), stride=3)[0][0, 0]
            assert not dx[~g.touched_rows()].any() and not dx8[~g8.touched_rows()].any() and not dx8[:, ~g8.touched_cols()].any()
            """
        ),
        md(
            r"""
            ## The link to transposed convolution

            What the backward pass does to $\delta$ — spread each entry through the filter
            onto an $s$-times larger grid — is a **transposed convolution**
            (`conv_transpose2d`, `ConvTranspose2d`). Its output size is

            $$H = (H_o - 1)\,s - 2p + d(k-1) + \text{output\_padding} + 1 .$$

            Inputs of 5×5 and 6×6 both give a 2×2 output at kernel 3, stride 2, so from
            $\delta$ alone the size is ambiguous: without `output_padding` the formula gives
            5. The untouched row is exactly what `output_padding = 1` adds back
            (in PyTorch: `nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=1)`).
            """
        ),
        code(
            """
            extra = T.output_padding_for(g)
            plain = T.transposed_output_size(2, 3, stride=2)
            print(f"without output_padding: {plain}; output_padding needed: {extra}")
            out = T.transposed_conv2d(delta[None], w[None, None], stride=2, output_padding=extra)
            print(f"transposed convolution: shape {out.shape[1:]}, gap to dL/dx {abs(out[0] - dx).max():.1e}")
            assert T.transposed_output_size(2, 3, stride=2, output_padding=extra[0]) == 6 and np.allclose(out[0], dx)
            """
        ),
        md(
            r"""
            ## Check yourself

            An 8×8 input, a 3×3 kernel, stride 2, no padding. Which input rows get no
            gradient at all? And which `output_padding` makes a transposed convolution of the
            delta come back 8×8?
            """
        ),
        code(
            """
            g_ex = Geometry(8, 3, stride=2)
            views.quiz([T.Question("Untouched rows (list them)?", tuple(np.flatnonzero(~g_ex.touched_rows()).tolist()),
                                   "the set of untouched rows", kind="ints"),
                        T.Question("output_padding?", T.output_padding_for(g_ex)[0], "output_padding")])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            my_rows, my_output_padding = [7], 1
            verdicts = [T.check_answer(my_rows, tuple(np.flatnonzero(~g_ex.touched_rows()).tolist()), what="the set of untouched rows"),
                        T.check_answer(my_output_padding, T.output_padding_for(g_ex)[0], what="output_padding")]
            print("\\n".join(str(v) for v in verdicts))
            assert all(v.correct for v in verdicts)
            """
        ),
        nav(3),
    ]


# --------------------------------------------------------------------------- 04


def weights_and_bias() -> list:
    return [
        md(
            r"""
            # 4 · Weights and bias belong to the filter, not the position

            The layer computes $z$ at **every** pixel of **every** output map:

            $$z_{k,i,j} = b_k + \sum_{c,u,v} w_{k,c,u,v}\; a_{c,\; i s + u,\; j s + v}.$$

            Look at the indices of $w$ and $b$: $k$ (and $c, u, v$) — never $i, j$. The same
            numbers are used at every position, so a change to $w_{k,c,u,v}$ moves every pixel
            of map $k$, and its gradient adds up what every position says:

            $$\frac{\partial L}{\partial w_{k,c,u,v}} = \sum_{i,j} \delta_{k,i,j}\; a_{c,\; is+u,\; js+v},
            \quad\text{i.e.}\quad \frac{\partial L}{\partial w_{k,c}} = a_c \star \mathrm{dilate}_s(\delta_k),
            \qquad \frac{\partial L}{\partial b_k} = \sum_{i,j} \delta_{k,i,j}.$$
            """
        ),
        nav(4),
        code(SETUP),
        md(
            "The course demo: a 7×7×3 input, two 3×3×3 filters, stride 2, padding 1, so two "
            "4×4 maps."
        ),
        code(
            """
            rng = np.random.default_rng(4)
            x, w, b = rng.standard_normal((3, 7, 7)), rng.standard_normal((2, 3, 3, 3)), np.array([0.5, -1.0])
            z = conv2d(x[None], w, b, stride=2, padding=1)[0]
            xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))                    # the padded input
            assert np.isclose(z[1, 2, 3], b[1] + (w[1] * xp[:, 4:7, 6:9]).sum())   # i s + u, j s + v
            shift = z - conv2d(x[None], w, stride=2, padding=1)[0]
            print(f"z {z.shape}: all {z[0].size} pixels of each map are computed;")
            print(f"the bias adds the same b_k = {b.tolist()} at every one of them")
            assert np.allclose(shift, b[:, None, None])
            """
        ),
        md(r"## $dW = a \star \mathrm{dilate}(\delta)$ and $db = \sum \delta$, against the core"),
        code(
            """
            delta = rng.standard_normal((2, 4, 4))
            dx, dw, db = conv2d_backward(delta[None], x[None], w, stride=2, padding=1)
            by_correlation = T.weight_grad_by_correlation(x, delta, 3, stride=2, padding=1)
            print(f"dW {dw.shape} by correlation vs core: {abs(by_correlation - dw).max():.1e}")
            print(f"db = Σδ = {delta.sum(axis=(1, 2))}")
            assert np.allclose(by_correlation, dw) and np.allclose(delta.sum(axis=(1, 2)), db)
            """
        ),
        md(
            r"""
            ## Every position votes; one filter is updated

            Each output position $(i, j)$ has its own opinion about the filter:
            $\delta_{k,i,j}$ times the window it read. There are $4 \times 4 = 16$ such
            opinions per filter, but only **one** filter to change, so they are added.
            Pick a position to see its share (filter 0, input channel 0) beside the total.
            """
        ),
        code("views.position_picker(x[0], delta[0], 3, stride=2, padding=1)"),
        code(
            """
            parts = T.per_position_weight_grads(x, delta, 3, stride=2, padding=1)   # (Ho, Wo, K, C, kh, kw)
            print(f"{parts.shape[0] * parts.shape[1]} positions, each with a share for all {w.size} weights;")
            print(f"summed over positions they give dW {parts.sum(axis=(0, 1)).shape}")
            assert np.allclose(parts.sum(axis=(0, 1)), dw)
            """
        ),
        md(
            r"""
            If weights belonged to positions there would be $16 \times 54 = 864$ of them
            instead of 54, the layer could not recognise a pattern it learned in one place
            anywhere else, and its size would depend on the image's.

            ## A finite-difference check you can run on any entry

            Change `parameter` (`"x"`, `"w"` or `"b"`) and `index` and re-run: the cell nudges
            that one number by $\pm 10^{-6}$ and compares the change in the loss
            $L = \sum z \cdot \delta$ with backprop.
            """
        ),
        code(
            """
            parameter, index = "w", (1, 2, 0, 1)
            check = T.finite_difference_entry(x[None], w, b, delta[None], parameter=parameter, index=index, stride=2, padding=1)
            bias_check = T.finite_difference_entry(x[None], w, b, delta[None], parameter="b", index=(0,), stride=2, padding=1)
            print(check); print(bias_check)
            assert check.error < 1e-6 and bias_check.error < 1e-6
            """
        ),
        md(
            r"""
            ## Check yourself

            How many numbers does this layer learn (two 3×3×3 filters and their biases)?
            And what is $\partial L / \partial b_1$ (two decimals), using the $\delta$ printed
            below?
            """
        ),
        code(
            """
            print("δ_1 =\\n", delta[1])
            views.quiz([T.Question("How many learned numbers?", w.size + b.size, "the number of learned values"),
                        T.Question("dL/db_1 (two decimals)?", db[1], "dL/db_1", atol=0.005)])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            my_count = 2 * 3 * 3 * 3 + 2
            my_db1 = delta[1].sum()
            verdicts = [T.check_answer(my_count, w.size + b.size, what="the number of learned values"),
                        T.check_answer(my_db1, db[1], what="dL/db_1")]
            print("\\n".join(str(v) for v in verdicts))
            assert all(v.correct for v in verdicts)
            """
        ),
        nav(4),
    ]


# --------------------------------------------------------------------------- 05


def padding_dilation_overlap() -> list:
    return [
        md(
            r"""
            # 5 · Padding, dilation and uneven overlap

            Three settings that change *where* the windows sit, and what that does to the
            gradient.

            ## Padding and its crop

            Padding $p$ surrounds the input with zeros so that border pixels sit inside more
            windows (with $p = (k-1)/2$ at stride 1, $z$ is as large as the input). Backward,
            the gradient lands on the padded grid too — but the padding zeros are constants,
            not inputs, so that border is **cropped off**:

            $$\frac{\partial L}{\partial a} = \mathrm{crop}_p\!\left(\mathrm{dilate}_s(\delta) \ast \mathrm{rot180}(w)\right).$$
            """
        ),
        nav(5),
        code(SETUP),
        code(
            """
            rng = np.random.default_rng(5)
            delta, w = rng.standard_normal((1, 5, 5)), rng.standard_normal((1, 1, 3, 3))
            on_padded = T.input_grad_before_crop(delta, w, 5, padding=1)          # (1, 7, 7)
            dx = conv2d_backward(delta[None], np.zeros((1, 1, 5, 5)), w, padding=1)[0][0]
            print(f"gradient on the padded grid {on_padded.shape[1:]}, cropped to {dx.shape[1:]};")
            print(f"the border held values up to {abs(on_padded[0]).max():.2f}: thrown away")
            assert np.allclose(on_padded[:, 1:-1, 1:-1], dx)
            assert Geometry(5, 3, padding=1).output_size == (5, 5)     # p = (k-1)/2 keeps the size
            views.show(maps_figure([Panel("on the padded 7×7 grid", on_padded[0], boxes=[(1, 1, 5, 5)]), Panel("dL/dx: the 5×5 inside", dx[0])]))
            """
        ),
        md(
            r"""
            ## Dilated kernels

            Dilation $d$ spreads a kernel's taps $d$ pixels apart, so a 3×3 kernel spans
            $d(k-1)+1 = 5$ pixels at $d = 2$. A dilated kernel is just a larger dense kernel
            with $d-1$ zeros between its taps, $\mathrm{dilate}_d(w)$: everything in lessons
            1–4 holds with that kernel in place of $w$, and $dW$ is the dense kernel's
            gradient read at the real taps.
            """
        ),
        code(
            """
            x9, w9 = rng.standard_normal((1, 1, 9, 9)), rng.standard_normal((1, 1, 3, 3))
            delta9 = rng.standard_normal((1, 1, 5, 5))
            dx_d, dw_d, _ = conv2d_backward(delta9, x9, w9, dilation=2)
            dx_dense, dw_dense, _ = conv2d_backward(delta9, x9, dilate(w9, 2))
            print("dilate(w, 2) =\\n", dilate(w9, 2)[0, 0])
            assert Geometry(9, 3, dilation=2).kernel_extent == (5, 5)  # d(k-1)+1
            assert np.allclose(conv2d(x9, w9, dilation=2), conv2d(x9, dilate(w9, 2)))
            assert np.allclose(dx_d, dx_dense) and np.allclose(dw_d, dw_dense[..., ::2, ::2])
            """
        ),
        md(
            r"""
            ## Uneven overlap: the checkerboard

            A pixel's gradient is a sum over the windows that read it. With kernel 3 and
            stride 2, some pixels are read by one window, some by two and some by four, so
            even a perfectly uniform $\delta$ and filter give a checkerboard of 1s, 2s and 4s.
            The same uneven overlap is behind the checkerboard artefacts of
            transposed-convolution upsampling (Odena, Dumoulin & Olah, *Deconvolution and
            Checkerboard Artifacts*, Distill 2016). When the kernel size is a multiple of the
            stride, the inside of the map is even.
            """
        ),
        code(
            """
            g = Geometry(9, 3, stride=2)
            counts = g.window_counts()
            values = np.unique(T.all_ones_input_grad(g)).tolist()
            print(f"δ = 1 and w = 1 at kernel 3, stride 2: dL/dx takes the values {values}")
            assert np.array_equal(T.all_ones_input_grad(g), counts)
            """
        ),
        md(
            r"""
            The explorer's `uneven-overlap` preset, scatter walk: watch the pixels where two
            or four windows overlap collect more than one addition.
            """
        ),
        code('views.walk_player("uneven-overlap", walk="scatter")'),
        md("Pick a setting and compare the maps (hatched cells: read by no window at all):"),
        code(
            """
            views.overlap_picker([Geometry(9, 3, stride=2), Geometry(10, 4, stride=2), Geometry(9, 3, stride=1),
                                  Geometry(10, 3, stride=3), Geometry(9, 3, stride=2, padding=1), Geometry(9, 3, stride=2, dilation=2)])
            """
        ),
        md(
            r"""
            ## Check yourself

            Kernel 3, stride 2 on a 9×9 input (the first map above). How many windows read
            pixel $(2, 2)$, and how many read pixel $(2, 3)$? And with kernel 4, stride 2
            on 10×10, how many read $(3, 3)$?
            """
        ),
        code(
            """
            views.quiz([T.Question("Windows reading (2, 2)?", counts[2, 2], "the count at (2, 2)"),
                        T.Question("Windows reading (2, 3)?", counts[2, 3], "the count at (2, 3)"),
                        T.Question("Kernel 4, stride 2: windows reading (3, 3)?",
                                   Geometry(10, 4, stride=2).window_counts()[3, 3], "the count at (3, 3)")])
            """
        ),
        md(
            "**Answer key**, checked against the core. In JupyterLab, change the answer in "
            "the cell and re-run it to see the checker's verdict on your own value."
        ),
        code(
            """
            my_22, my_23, my_even = 4, 2, 4
            verdicts = [T.check_answer(my_22, counts[2, 2], what="the count at (2, 2)"),
                        T.check_answer(my_23, counts[2, 3], what="the count at (2, 3)"),
                        T.check_answer(my_even, Geometry(10, 4, stride=2).window_counts()[3, 3], what="the count at (3, 3) for kernel 4")]
            print("\\n".join(str(v) for v in verdicts))
            assert all(v.correct for v in verdicts)
            """
        ),
        md(
            """
            That is the series. Back to [the start](00_start_here.ipynb), or open
            [the explorer](explorer.ipynb) and try the presets `uneven-overlap` and
            `untouched-rows`.
            """
        ),
        nav(5),
    ]


BUILDERS = {
    "00_start_here": start_here,
    "01_single_channel": single_channel,
    "02_depth": depth,
    "03_stride": stride,
    "04_weights_and_bias": weights_and_bias,
    "05_padding_dilation_overlap": padding_dilation_overlap,
}


def build(name: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = BUILDERS[name]()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"  # stable ids: regenerating gives no diff noise
    nbformat.validate(notebook)
    return notebook


def main(argv: list[str]) -> int:
    names = argv or list(BUILDERS)
    for name in names:
        path = NOTEBOOKS / f"{name}.ipynb"
        nbformat.write(build(name), path)
        print(f"wrote {path.relative_to(ROOT)}")
    tidy([NOTEBOOKS / f"{name}.ipynb" for name in names])
    return 0


def tidy(paths: list[Path]) -> None:
    """Drop each lesson's unused imports, sort them and format the cells, with ruff."""
    ruff = Path(sys.executable).with_name("ruff")
    files = [str(p) for p in paths]
    subprocess.run([str(ruff), "check", "--fix", "-q", "--select", "F401,I001", *files],
                   check=False)
    subprocess.run([str(ruff), "format", "-q", *files], check=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
