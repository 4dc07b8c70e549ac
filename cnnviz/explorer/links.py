"""Scenario links: a preset and control overrides read from a page's URL query string.

A teacher sends ``…/explorer.ipynb?preset=stride-2&stride=3&depth=10``; the page reads
``os.environ["QUERY_STRING"]`` (Voila puts the query there) and calls
:func:`settings_from_query`. Whatever the link holds, the page opens: a value that is unknown,
out of range, malformed or impossible together with the others is ignored, and a plain
sentence says so. :func:`query_from_settings` goes the other way, so the page can show a link
that reopens exactly what is on screen.

Accepted keys: ``preset`` and every :class:`~cnnviz.explorer.settings.Settings` field (``stride``,
``depth``, ``kernel_height``, ``activation``, ...). Dashes count as underscores
(``kernel-height``), and two shorthands set both directions: ``kernel`` (kernel height and
width) and ``input`` (input height and width). ``theme`` and ``template`` (Voila reads them:
``?theme=dark``) and keys that start with ``voila`` belong to Voila and are passed over
silently.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from cnnviz.explorer.presets import DEFAULT_PRESET, PRESETS
from cnnviz.explorer.settings import ACTIVATIONS, RANGES, Settings, field_names

# A link longer than this is cut before parsing: real scenario links are under 200 characters.
MAX_QUERY_LENGTH = 2000
# At most this many notes; a hostile link could otherwise fill the page with them.
MAX_NOTES = 6
# Plain digits only: "1e3", "0x10", "٣" (Arabic-Indic three) and "3.0" are refused.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,6}")
_SAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._+-]")

# (key as written, its value, the fields it sets): "kernel=5" sets two fields at once.
Override = tuple[str, object, dict[str, object]]

# Query keys Voila itself reads (allow_theme_override / allow_template_override).
VOILA_KEYS = ("theme", "template")

SHORTHANDS: dict[str, tuple[str, ...]] = {
    "kernel": ("kernel_height", "kernel_width"),
    "input": ("input_height", "input_width"),
}


def settings_from_query(query: str) -> tuple[Settings, list[str]]:
    """The scenario a link asks for, and a note for every part of it that was ignored.

    Parameters
    ----------
    query : str
        A URL query string such as ``"preset=stride-2&stride=3"`` (a leading ``?`` is fine).
        Anything else — None, bytes, garbage — gives the default preset and a note.

    Returns
    -------
    settings : Settings
        The preset (``course-demo`` when none or an unknown one is named) with every valid
        override applied. Always a combination that can run (``settings.problem()`` is None).
    notes : list of str
        One plain sentence per ignored value, in the order met; empty when all was used.
        Values quoted in the notes are cut short and keep only ``A-Z a-z 0-9 . _ + -``, so
        they are safe to show as text or HTML.
    """
    notes: list[str] = []
    pairs = _parse_pairs(query, notes)
    preset_name = _choose_preset(pairs, notes)
    base = PRESETS[preset_name].settings
    overrides = _read_overrides(pairs, notes)
    settings = _apply_overrides(base, overrides, notes)
    if len(notes) > MAX_NOTES:
        hidden = len(notes) - (MAX_NOTES - 1)
        notes = notes[: MAX_NOTES - 1] + [f"{hidden} more parts of the link were also ignored."]
    return settings, notes


def query_from_settings(settings: Settings) -> str:
    """The shortest query string that :func:`settings_from_query` turns back into ``settings``.

    Names the preset that needs the fewest overrides (the default preset on a tie), then the
    fields that differ from it, in display order, e.g. ``"preset=stride-2&stride=3"``.

    Raises
    ------
    TypeError
        If ``settings`` is not a :class:`~cnnviz.explorer.settings.Settings`.
    """
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be a Settings; got {type(settings).__name__}")
    wanted = settings.as_dict()

    def differences(name: str) -> list[tuple[str, object]]:
        base = PRESETS[name].settings.as_dict()
        return [(key, wanted[key]) for key in field_names() if wanted[key] != base[key]]

    # min() keeps the first of equals, so the default preset goes first to win ties.
    order = [DEFAULT_PRESET] + [name for name in PRESETS if name != DEFAULT_PRESET]
    best = min(order, key=lambda name: len(differences(name)))
    return urlencode([("preset", best), *differences(best)])


def read_control(name: str, text: str, *, shown_as: str | None = None) -> int | str:
    """One control's value from text, checked against its range; the rule both links and the
    command line use.

    Parameters
    ----------
    name : str
        A :class:`~cnnviz.explorer.settings.Settings` field, e.g. ``"stride"`` or ``"activation"``.
    text : str
        What the user typed: plain ASCII digits for the integer controls.
    shown_as : str, optional
        The name to use in the message (``"kernel"`` for the shorthand); ``name`` by default.

    Raises
    ------
    ValueError
        One plain clause (no full stop) naming the control and the rule broken, with the
        offending text cut short and reduced to safe characters.
    """
    shown_as = shown_as or name
    if name == "activation":
        if text.strip().lower() in ACTIVATIONS:
            return text.strip().lower()
        raise ValueError(
            f"activation must be one of {', '.join(ACTIVATIONS)}, not '{shown(text)}'"
        )
    if name not in RANGES:
        raise ValueError(f"'{shown(name)}' is not a control")
    low, high, label = RANGES[name]
    if not _WHOLE_NUMBER.fullmatch(text.strip()):
        raise ValueError(
            f"{shown_as} ({label}) must be a whole number, not '{shown(text)}'"
        )
    value = int(text)
    if not low <= value <= high:
        raise ValueError(
            f"{shown_as} ({label}) must be between {low} and {high}, not {value}"
        )
    return value


def _parse_pairs(query: object, notes: list[str]) -> list[tuple[str, str]]:
    """``(key, value)`` pairs, keys normalised; never raises."""
    if not isinstance(query, str):
        if query is not None:
            notes.append("The link's query could not be read, so the default scenario is shown.")
        return []
    query = query.strip()
    if query.startswith("?"):
        query = query[1:]
    if len(query) > MAX_QUERY_LENGTH:
        notes.append(
            f"The link is {len(query)} characters long; only its first {MAX_QUERY_LENGTH} "
            "were read."
        )
        query = query[:MAX_QUERY_LENGTH]
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        notes.append("The link has too many parts, so the default scenario is shown.")
        return []
    return [(key.strip().lower().replace("-", "_"), value.strip()) for key, value in pairs]


def _choose_preset(pairs: list[tuple[str, str]], notes: list[str]) -> str:
    names = [value for key, value in pairs if key == "preset"]
    if not names:
        return DEFAULT_PRESET
    if len(names) > 1:
        notes.append("The link names more than one preset; the first one was used.")
    name = names[0].lower()
    if name in PRESETS:
        return name
    notes.append(
        f"There is no preset called '{shown(names[0])}', so '{DEFAULT_PRESET}' is shown "
        f"(presets: {', '.join(PRESETS)})."
    )
    return DEFAULT_PRESET


def _read_overrides(pairs: list[tuple[str, str]], notes: list[str]) -> list[Override]:
    """Every valid override the link asks for, in link order; the first of repeated keys wins."""
    overrides: list[Override] = []
    seen: set[str] = set()
    for key, text in pairs:
        if not key or key == "preset" or key in VOILA_KEYS or key.startswith("voila"):
            continue
        if key in seen:
            notes.append(f"'{shown(key)}' appears more than once in the link; the first was used.")
            continue
        seen.add(key)
        targets = SHORTHANDS.get(key, (key,))
        if targets[0] not in RANGES and key != "activation":
            notes.append(f"The link sets '{shown(key)}', which is not a control here; ignored.")
            continue
        value = _read_value(targets[0], key, text, notes)
        if value is not None:
            overrides.append((key, value, dict.fromkeys(targets, value)))
    return overrides


def _read_value(field: str, key: str, text: str, notes: list[str]) -> object | None:
    """The checked value of one control, or None (with a note) when it cannot be used."""
    try:
        return read_control(field, text, shown_as=key)
    except ValueError as error:
        notes.append(f"{error}; ignored.")
        return None


def _apply_overrides(base: Settings, overrides: list[Override], notes: list[str]) -> Settings:
    """All overrides if they fit together; otherwise each in turn, skipping any that breaks."""
    everything: dict[str, object] = {}
    for _, _, changes in overrides:
        everything.update(changes)
    candidate = base.replace(**everything)
    if candidate.problem() is None:
        return candidate
    settings = base
    for key, value, changes in overrides:
        attempt = settings.replace(**changes)
        reason = attempt.problem()
        if reason is None:
            settings = attempt
        else:
            # The first sentence of the reason says what does not fit; the rest is advice.
            first = reason.split(". ")[0].rstrip(".")
            notes.append(f"{key} = {value} was ignored: {first[0].lower()}{first[1:]}.")
    return settings


def shown(text: str, limit: int = 24) -> str:
    """``text`` cut short, with anything outside a plain set of characters replaced by '?':
    how a page's note quotes a value from its link (the lessons' class seed too)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    cleaned = _SAFE_CHARACTERS.sub("?", text[: limit + 1])
    return cleaned[:limit] + "..." if len(cleaned) > limit else cleaned
