"""Command line: every ``python -m cnnviz`` command, its options, their limits and its errors.

The library modules hold no command-line code. Each command is one row of :data:`COMMANDS`:
``name: (module, add_arguments function, main function, one-line help)``; the module is
imported only when that command runs, so ``presets`` starts fast.

Promises kept for every command:

- Every error is one line on stderr, ``error: ...`` (on stdout if stderr is closed, never into
  the file ``--out -`` writes), and exit code 2 (argparse's own too).
- Every numeric option has a range, shown in ``--help`` with the reason (time, memory), and
  checked before any work starts.
- No traceback on any input. Ctrl-C stops with exit code 130 (at any moment, imports included),
  SIGTERM with 143; neither leaves a partial file.
- Exit codes: 0 done; 1 failed while working (training diverged, a stream closed by its reader,
  a bug); 2 refused before any work (a bad option, ``--out``, a closed standard output, too
  large); 130 Ctrl-C; 143 SIGTERM.
- ``--out`` is written safely (see :mod:`cnnviz.cli.output`): ``-`` is standard output, a symlink
  is followed to its target, anything but a regular file is refused.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence

from cnnviz.cli.options import (  # noqa: F401 (re-exported for the commands' tests)
    Limits,
    OneLineParser,
    UsageError,
    checked_numbers,
    cut,
    limited,
    read_number,
)
from cnnviz.cli.output import (
    STDOUT,
    ProgressBar,
    Target,
    check_target,
    open_target,
    printable,
    shown_path,
    tell,
)

COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "presets": (
        "cnnviz.cli.commands", "presets_arguments", "presets", "list the named scenarios",
    ),  # fmt: skip
    "export": (
        "cnnviz.cli.commands", "export_arguments", "export",
        "write a step animation as GIF, standalone HTML or PNG sheet",
    ),  # fmt: skip
    "train-gestures": (
        "cnnviz.cli.commands", "train_arguments", "train_gestures",
        "train the small gesture CNN on synthetic data",
    ),  # fmt: skip
    "gesture-samples": (
        "cnnviz.cli.commands", "samples_arguments", "gesture_samples",
        "draw samples of each gesture class as a PNG (docs/gestures.png)",
    ),  # fmt: skip
    "handout": (
        "cnnviz.cli.commands", "handout_arguments", "handout",
        "write the class handout (formulas, shapes, a worked example) as an A4 PDF",
    ),  # fmt: skip
    "gesture-weights": (
        "cnnviz.cli.commands", "weights_arguments", "gesture_weights",
        "train the network page's gesture CNN from a seed and save its weights (.npz)",
    ),  # fmt: skip
    "answers": (
        "cnnviz.cli.answers", "add_arguments", "main",
        "print the teacher's answer sheet for a class seed (?seed=N)",
    ),  # fmt: skip
    "glyph-atlas": (
        "cnnviz.cli.atlas", "atlas_arguments", "glyph_atlas",
        "render the painter's glyphs with matplotlib's FreeType into its atlas (.npz)",
    ),  # fmt: skip
}

OUT_HELP = (
    "file to write; '-' for standard output. A symbolic link is followed (its target is "
    "replaced, the link stays); a folder, FIFO or device is refused"
)


def presets_arguments(parser: argparse.ArgumentParser) -> None:
    """``presets`` takes no options."""


def presets(args: argparse.Namespace) -> int:
    """Print ``name  description`` for every preset."""
    from cnnviz.explorer.presets import PRESETS

    width = max(len(name) for name in PRESETS)
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.description}")
    return 0


EXPORT_LIMITS: Limits = {
    "fps": (float, 0.1, 50, "GIF delays are whole hundredths of a second; browsers slow "
            "anything faster than 50"),
    "max_frames": (int, 1, 1000, "time and file size: a frame takes about 30-60 ms to draw and "
                   "encode"),
}  # fmt: skip


def export_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``export``; the values are checked in :func:`export` before any drawing."""
    from cnnviz.explorer.export import DEFAULT_FPS, MAX_FRAMES
    from cnnviz.explorer.presets import DEFAULT_PRESET
    from cnnviz.explorer.settings import RANGES

    parser.add_argument("--preset", default=DEFAULT_PRESET, help="a name from `presets`")
    for name, (low, high, label) in RANGES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"), dest=name, metavar="N",
            help=f"{label}, {low}..{high} (what the explorer's drawing fits)",
        )  # fmt: skip
    parser.add_argument("--kernel", metavar="N", help="kernel height and width together")
    parser.add_argument("--activation", metavar="NAME", help="identity, relu, sigmoid or tanh")
    parser.add_argument("--walk", default="scatter", help="scatter (default) or gather")
    parser.add_argument("--all-channels", action="store_true", help="every input channel")
    parser.add_argument("--caption", action="store_true", help="each step's sentence under it")
    parser.add_argument(
        "--format", help="gif, html or png; taken from --out's suffix if not given, and must "
        "agree with it if both are"
    )  # fmt: skip
    parser.add_argument("--out", metavar="PATH", help=OUT_HELP)
    limited(parser, EXPORT_LIMITS, "fps", "frames per second (gif, html)", DEFAULT_FPS)
    limited(parser, EXPORT_LIMITS, "max_frames", "thin a long walk to this many steps", MAX_FRAMES)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def export(args: argparse.Namespace) -> int:
    """Check everything, then draw and write the export frame by frame."""
    from cnnviz.explorer.export import export_figure, fan_out_figure

    settings, target, fmt = _export_checked(args)
    progress = None if args.quiet else ProgressBar(label=fmt, unit="frames")
    figure = fan_out_figure(settings, args.walk, all_channels=args.all_channels)
    title = f"cnnviz: {args.preset}, {args.walk} walk"
    with open_target(target) as stream:
        count = export_figure(
            figure, stream, fmt, fps=args.fps, max_frames=args.max_frames, title=title,
            progress=progress, caption=args.caption,
        )  # fmt: skip
    _wrote(target, f"{count} steps")
    return 0


def _export_checked(args: argparse.Namespace):
    """The settings, output and format the arguments ask for, or a UsageError."""
    from cnnviz.explorer.presets import PRESETS
    from cnnviz.explorer.settings import RANGES
    from cnnviz.explorer.trace import WALKS

    if args.preset not in PRESETS:
        raise UsageError(f"unknown preset {cut(args.preset)}; choose one of: {', '.join(PRESETS)}")
    changes: dict[str, object] = {}
    try:
        for name in [*RANGES, "activation"]:
            text = getattr(args, name)
            if text is not None:
                changes[name] = _control(name, text, "--" + name.replace("_", "-"))
        if args.kernel is not None:
            size = _control("kernel_height", args.kernel, "--kernel")
            changes.update(kernel_height=size, kernel_width=size)
    except ValueError as error:
        raise UsageError(str(error)) from None
    settings = PRESETS[args.preset].settings.replace(**changes)
    problem = settings.problem()
    if problem is not None:
        raise UsageError(problem)
    if args.walk not in WALKS:
        raise UsageError(f"unknown walk {cut(args.walk)}; choose one of: {', '.join(WALKS)}")
    if args.out is None:
        raise UsageError("--out PATH is required (the file to write, or - for standard output)")
    target = check_target(args.out)
    fmt = output_format(args.out, args.format)
    checked_numbers(args, EXPORT_LIMITS)
    return settings, target, fmt


def _control(name: str, text: str, option: str) -> int | str:
    """A setting's value: numbers through :func:`read_number` (the one parser), then the
    explorer's own range check (:func:`~cnnviz.explorer.links.read_control`)."""
    from cnnviz.explorer.links import read_control
    from cnnviz.explorer.settings import RANGES

    if name in RANGES:
        value = read_number(text, int, f"{option} ({RANGES[name][2]})")
        text = str(value) if abs(value) < 10**7 else text  # a huge one keeps its own words
    return read_control(name, text, shown_as=option)


def output_format(out: str, given: str | None, formats: Sequence[str] = ("gif", "html", "png")):
    """The format: ``given`` (which must agree with ``out``'s suffix, if any) or the suffix."""
    aliases = {"htm": "html"}
    suffix = os.path.splitext(out)[1].lstrip(".").lower() if out != STDOUT else ""
    suffix = aliases.get(suffix, suffix)
    if given is not None:
        fmt = aliases.get(given.lower(), given.lower())
        if fmt not in formats:
            raise UsageError(f"unknown format {cut(given)}; choose one of: {', '.join(formats)}")
        if suffix and suffix != fmt:
            raise UsageError(
                f"--format {fmt} does not match --out {shown_path(out)}; name the file .{fmt} "
                "or leave --format out"
            )
        return fmt
    if out == STDOUT:
        raise UsageError(f"--out - needs --format ({', '.join(formats)})")
    if suffix not in formats:
        raise UsageError(
            f"cannot tell the format of {shown_path(out)}: name it .{' or .'.join(formats)}, "
            "or give --format"
        )
    return suffix


def _wrote(target: Target, what: str) -> None:
    if target.path is None:
        tell(f"wrote {what} to standard output")
    else:
        size = os.path.getsize(target.path) // 1024
        print(f"wrote {printable(target.path)} ({what}, {size} KB)")


SEED = (int, 0, 2**32 - 1, "numpy's seed range")
TRAIN_LIMITS: Limits = {
    "seed": SEED,
    "epochs": (int, 1, 100, "time: an epoch of 6000 images takes about 5 s here"),
    "train_count": (int, 1, 60000, "memory and time: 60000 images are 188 MB and take about "
                    "30 s to draw"),
    "test_count": (int, 1, 20000, "memory and time, as --train-count"),
    "batch_size": (int, 1, 1024, "memory: each image in a batch holds about 60 KB of "
                   "activations and gradients"),
    "learning_rate": (float, 1e-6, 1.0, "larger steps diverge; inf or nan would train on NaN"),
}  # fmt: skip
SAMPLES_LIMITS: Limits = {
    "seed": SEED,
    "per_class": (int, 1, 32, "picture size: 32 per class is a 2700-pixel-wide PNG"),
}


def train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train-gestures``."""
    from cnnviz.nn.training import DEFAULTS

    for name, what in [
        ("seed", "seed for the data, the weights and the batch order"),
        ("epochs", "passes over the training set"),
        ("train_count", "training images to draw"),
        ("test_count", "held-out images to draw"),
        ("batch_size", "images per step"),
        ("learning_rate", "Adam's step size"),
    ]:
        limited(parser, TRAIN_LIMITS, name, what, DEFAULTS[name])


def train_gestures(args: argparse.Namespace) -> int:
    """Draw the data, train, and print ``test accuracy: 0.xxx``."""
    import time

    checked_numbers(args, TRAIN_LIMITS)
    from cnnviz.nn.gestures import CLASS_NAMES, train_test_split
    from cnnviz.nn.training import Diverged, accuracy, gesture_network, train

    started = time.perf_counter()
    train_set, test_set = train_test_split(args.train_count, args.test_count, seed=args.seed)
    print(
        f"drew {len(train_set)} training and {len(test_set)} held-out gestures "
        f"({len(CLASS_NAMES)} classes) in {time.perf_counter() - started:.1f} s"
    )
    network = gesture_network(seed=args.seed)
    print(network.describe())
    try:
        history = train(
            network, train_set, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, seed=args.seed, on_progress=_epoch_bar(),
        )  # fmt: skip
    except Diverged as error:
        tell(f"error: {error} (--learning-rate)")
        return 1
    if not all(math.isfinite(loss) for loss in history.train_loss):
        tell("error: training diverged (the loss is not finite); try a smaller --learning-rate")
        return 1
    print(f"trained in {history.seconds:.1f} s")
    print(f"test accuracy: {accuracy(network, test_set):.3f}")
    return 0


def _epoch_bar() -> Callable:
    """The progress bar fed with training's Progress: one line per epoch."""
    bar = ProgressBar(sys.stdout, unit="batches", width=24)

    def show(progress) -> None:
        detail = f"loss {progress.loss:.4f}  accuracy {progress.accuracy:.3f}"
        if progress.test_accuracy is not None:
            detail += f"  held-out {progress.test_accuracy:.3f}"
        detail += f"  {progress.seconds:.1f} s"
        label = f"epoch {progress.epoch}/{progress.epochs}"
        bar(progress.batch, progress.batches, detail=detail, label=label)

    return show


def samples_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gesture-samples``."""
    parser.add_argument("--out", metavar="PATH", required=True, help=OUT_HELP + "; a .png")
    limited(parser, SAMPLES_LIMITS, "seed", "seed for the drawn samples", 0)
    limited(parser, SAMPLES_LIMITS, "per_class", "samples in each class's row", 8)


def gesture_samples(args: argparse.Namespace) -> int:
    """Write the picture of samples per class that the README shows."""
    target = check_target(args.out)
    output_format(args.out, None if args.out != STDOUT else "png", formats=("png",))
    checked_numbers(args, SAMPLES_LIMITS)
    from cnnviz.nn.figures import samples_figure
    from cnnviz.nn.gestures import CLASS_NAMES, make_gestures

    data = make_gestures(len(CLASS_NAMES) * args.per_class * 2, seed=args.seed)
    with open_target(target) as stream:
        samples_figure(data, per_class=args.per_class).savefig(stream, format="png", dpi=80)
    _wrote(target, f"{args.per_class} samples per class")
    return 0


def handout_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``handout``."""
    parser.add_argument("--out", metavar="PATH", default="handout.pdf", help=OUT_HELP + "; a .pdf")


def handout(args: argparse.Namespace) -> int:
    """Write the class handout: the lessons' formulas, the shapes table, a stride-2 example."""
    target = check_target(args.out)
    if args.out != STDOUT and not args.out.lower().endswith(".pdf"):
        raise UsageError(
            f"--out must end in .pdf (the handout is a PDF); got {shown_path(args.out)}"
        )
    from cnnviz.lessons.handout import write_handout  # matplotlib only when it runs

    with open_target(target) as stream:
        write_handout(stream)
    _wrote(target, "A4 handout")
    return 0



WEIGHTS_LIMITS: Limits = {"seed": SEED}


def weights_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gesture-weights``."""
    from cnnviz.nn.pretrained import WEIGHTS_PATH

    parser.add_argument("--out", metavar="PATH", default=str(WEIGHTS_PATH),
                        help=OUT_HELP + "; a .npz (default: the page's weights file)")
    limited(parser, WEIGHTS_LIMITS, "seed", "seed for the data and the first weights", 0)


def gesture_weights(args: argparse.Namespace) -> int:
    """Train the network page's CNN from a seed, write its weights, print held-out accuracy."""
    target = check_target(args.out)
    if args.out != STDOUT and not args.out.lower().endswith(".npz"):
        raise UsageError(f"--out must end in .npz (NumPy's archive); got {shown_path(args.out)}")
    checked_numbers(args, WEIGHTS_LIMITS)
    from cnnviz.nn.gestures import train_test_split
    from cnnviz.nn.pretrained import save_weights, train_from_seed
    from cnnviz.nn.training import DEFAULTS, accuracy

    network = train_from_seed(args.seed)
    with open_target(target) as stream:
        save_weights(network, stream, seed=args.seed)
    _wrote(target, f"weights trained from seed {args.seed}")
    _, test_set = train_test_split(1, DEFAULTS["test_count"], seed=args.seed)
    line = f"test accuracy: {accuracy(network, test_set):.3f}"
    tell(line) if target.path is None else print(line)  # stdout may be the file
    return 0
