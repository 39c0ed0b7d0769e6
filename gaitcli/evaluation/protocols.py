"""Evaluation protocols: which walks form the gallery, which are probes, and their conditions.

Presets follow the published protocols:

* **casia-b** (CASIA Gait Database B): walks ``nm-01``…``nm-06`` (normal), ``bg-01``…``bg-02``
  (carrying a bag), ``cl-01``…``cl-02`` (wearing a coat), each with a view suffix ``000``,
  ``018``, …, ``180`` (degrees). Gallery: ``nm-01``…``nm-04``; probes ``nm-05/06`` (NM),
  ``bg-*`` (BG), ``cl-*`` (CL). **Cross-view**: each probe view is matched against the
  gallery of each *other* view separately (identical views excluded); a probe view's accuracy
  is the mean over those gallery views, a condition's the mean over its probe views.
  Accepted spellings (case-insensitive; ``-``, ``_``, a space or nothing between the parts;
  ``/`` where the parts are folders): ``nm-01-090``, ``001-nm-01-090`` (subject prefix, as in
  the video release), ``nm-01/090`` (folders: ``001/nm-01/090/``), ``NM_01_090``, ``nm01090``.
* **tum-gaid** (TUM Gait from Audio, Image and Depth): walks ``n01``…``n06`` (normal),
  ``b01``…``b02`` (backpack), ``s01``…``s02`` (shoe covers) and, for the people recorded again
  months later, ``tn01/02``, ``tb01/02``, ``ts01/02``. Gallery: ``n01``…``n04``; probes
  ``n05/06`` (N), ``b*`` (B), ``s*`` (S), ``tn*`` / ``tb*`` / ``ts*`` (TN / TB / TS), each
  against the whole gallery. Accepted: ``n01``, ``p001-n01`` (subject prefix), ``N_01``.

Custom patterns (``--gallery-pattern`` / ``--probe-pattern``, repeatable) are shell globs
matched case-insensitively against the walk's name (``nm-01-090``) or its file name
(``nm-01-090.avi``). Given only gallery patterns, every other walk is a probe; given only
probe patterns, every other walk is in the gallery. A probe's condition is the probe pattern
it matched when several are given, otherwise the name's text before its first digit
(``bg-01`` → ``bg``; ``all`` when there is none). Views are read when every walk name ends in
a number and a 3-digit view (``walk-02-090``); results are then also reported per probe view,
each probe matched against the whole gallery.
Patterns given together with a preset replace its gallery/probe split but keep its names,
conditions, views and cross-view rule.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Sequence

from gaitcli.errors import InputError
from gaitcli.evaluation.dataset import Walk

_SEP = r"[-_ ]?"


@dataclass(frozen=True)
class ParsedName:
    """What a preset reads from a walk's name."""

    subject: str | None  # from a subject prefix (flat layouts), else None
    condition: str  # e.g. "nm", "bg", "n"
    sequence: int  # e.g. 1 for nm-01
    view: str | None  # e.g. "090"


@dataclass(frozen=True)
class Preset:
    """A published protocol: the name grammar and the gallery/probe split."""

    name: str
    description: str
    pattern: re.Pattern
    sequences: dict[str, range]  # valid sequence numbers per condition
    gallery: dict[str, range]  # (condition, sequences) in the gallery
    conditions: tuple[str, ...]  # probe conditions, in report order
    views: tuple[str, ...] | None  # the valid views, or None
    cross_view: bool
    examples: str  # example walk names, for messages
    gallery_names: str  # the gallery walks, for messages

    def parse(self, name: str) -> ParsedName | None:
        """The parts of a walk name, or None when the name is not of this dataset."""
        m = self.pattern.match(name)
        if m is None:
            return None
        condition = m["cond"].lower()
        sequence = int(m["seq"])
        if sequence not in self.sequences[condition]:
            return None
        view = m.groupdict().get("view")
        if self.views is not None and view not in self.views:
            return None
        return ParsedName(m["subject"], condition, sequence, view)

    def in_gallery(self, parsed: ParsedName) -> bool:
        """True when the walk belongs to the gallery (otherwise it is a probe)."""
        return parsed.sequence in self.gallery.get(parsed.condition, ())


CASIA_B = Preset(
    name="casia-b",
    description="CASIA-B: gallery nm-01..04; probes nm-05/06 (NM), bg-01/02 (BG), cl-01/02 (CL); "
    "cross-view, identical views excluded",
    pattern=re.compile(
        rf"^(?:(?P<subject>\d{{1,4}}){_SEP})?(?P<cond>nm|bg|cl){_SEP}(?P<seq>\d{{1,2}})[-_ /]?(?P<view>\d{{3}})$",
        re.IGNORECASE,
    ),
    sequences={"nm": range(1, 7), "bg": range(1, 3), "cl": range(1, 3)},
    gallery={"nm": range(1, 5)},
    conditions=("nm", "bg", "cl"),
    views=tuple(f"{angle:03d}" for angle in range(0, 181, 18)),
    cross_view=True,
    examples="'nm-01-090', '001-nm-01-090' or 'nm-01/090' (views 000…180)",
    gallery_names="nm-01…nm-04 (with a view suffix)",
)

TUM_GAID = Preset(
    name="tum-gaid",
    description="TUM-GAID: gallery n01..04; probes n05/06 (N), b01/02 (B), s01/02 (S), "
    "tn/tb/ts01-02 (TN/TB/TS, elapsed time)",
    pattern=re.compile(
        rf"^(?:(?P<subject>p?\d{{1,4}}){_SEP})?(?P<cond>tn|tb|ts|n|b|s){_SEP}(?P<seq>\d{{1,2}})$",
        re.IGNORECASE,
    ),
    sequences={"n": range(1, 7), "b": range(1, 3), "s": range(1, 3), "tn": range(1, 3), "tb": range(1, 3), "ts": range(1, 3)},
    gallery={"n": range(1, 5)},
    conditions=("n", "b", "s", "tn", "tb", "ts"),
    views=None,
    cross_view=False,
    examples="'n01' or 'p001-n01'",
    gallery_names="n01…n04",
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CASIA_B, TUM_GAID)}


@dataclass(frozen=True)
class Entry:
    """A walk with its role in the protocol."""

    walk: Walk
    subject: str
    condition: str | None  # probes only
    view: str | None


@dataclass
class Split:
    """A protocol applied to a dataset: gallery and probe walks, conditions and views."""

    protocol: str  # "casia-b", "tum-gaid" or "custom"
    description: str
    gallery: list[Entry]
    probes: list[Entry]
    conditions: list[str]  # probe conditions present, in report order
    cross_view: bool
    unused: list[Walk] = field(default_factory=list)

    @property
    def views(self) -> list[str]:
        """Probe views present (sorted), empty when the names carry none."""
        return sorted({e.view for e in self.probes if e.view is not None})

    @property
    def walks(self) -> list[Walk]:
        """Every walk the protocol uses: gallery first, then probes."""
        return [e.walk for e in self.gallery] + [e.walk for e in self.probes]


def detect_preset(walks: Sequence[Walk]) -> Preset | None:
    """The preset whose naming every walk follows, or None."""
    for preset in PRESETS.values():
        if all(preset.parse(w.name) is not None for w in walks):
            return preset
    return None


def split_dataset(
    walks: Sequence[Walk],
    *,
    preset: str | None = None,
    gallery_patterns: Sequence[str] = (),
    probe_patterns: Sequence[str] = (),
) -> Split:
    """Apply a protocol to the walks of a dataset.

    With neither ``preset`` nor patterns, the preset is detected from the walk names.
    Raises :class:`InputError` for names a preset does not know, patterns that match nothing
    or a walk matched by both, walks outside subject folders whose name has no subject
    prefix, and subjects that have probe walks but no gallery walk.
    """
    chosen: Preset | None = None
    if preset is not None:
        key = preset.lower()
        if key not in PRESETS:
            raise InputError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
        chosen = PRESETS[key]
    elif not gallery_patterns and not probe_patterns:
        chosen = detect_preset(walks)
        if chosen is None:
            raise InputError(
                "walk names follow no preset (CASIA-B: nm-01-090, TUM-GAID: n01; e.g. "
                f"{_examples(walks)}): choose --preset or give --gallery-pattern/--probe-pattern"
            )
    parsed = _parse_all(walks, chosen) if chosen is not None else {}
    subjects = _subjects(walks, parsed)

    if gallery_patterns or probe_patterns:
        roles = _roles_from_patterns(walks, gallery_patterns, probe_patterns)
        protocol, description = (
            (chosen.name, f"{chosen.name} names with custom split") if chosen else ("custom", "custom patterns")
        )
        description += _describe_patterns(gallery_patterns, probe_patterns)
    else:
        assert chosen is not None
        roles = {w.path: ("gallery" if chosen.in_gallery(parsed[w.path]) else "probe", None) for w in walks}
        protocol, description = chosen.name, chosen.description

    views = _views(walks, parsed, chosen)
    gallery: list[Entry] = []
    probes: list[Entry] = []
    unused: list[Walk] = []
    for walk in walks:
        role, pattern_condition = roles.get(walk.path, (None, None))
        if role is None:
            unused.append(walk)
            continue
        subject = subjects[walk.path]
        view = views.get(walk.path)
        if role == "gallery":
            gallery.append(Entry(walk, subject, None, view))
        else:
            condition = parsed[walk.path].condition if chosen else pattern_condition or _name_condition(walk.name)
            probes.append(Entry(walk, subject, condition, view))

    order = list(chosen.conditions) if chosen else list(probe_patterns) if len(probe_patterns) > 1 else []
    conditions = [c for c in order if any(p.condition == c for p in probes)]
    conditions += sorted({p.condition for p in probes} - set(conditions))
    split = Split(
        protocol=protocol,
        description=description,
        gallery=gallery,
        probes=probes,
        conditions=conditions,
        cross_view=bool(chosen and chosen.cross_view),
        unused=unused,
    )
    _check_split(split, chosen)
    return split


def _parse_all(walks: Sequence[Walk], preset: Preset) -> dict:
    parsed = {}
    bad = []
    for walk in walks:
        p = preset.parse(walk.name)
        if p is None:
            bad.append(walk.label)
        else:
            parsed[walk.path] = p
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise InputError(
            f"{len(bad)} walk name(s) do not follow the {preset.name} naming ({', '.join(bad[:3])}{more}); "
            f"expected names like {preset.examples}, or use "
            "--gallery-pattern/--probe-pattern"
        )
    return parsed


def _subjects(walks: Sequence[Walk], parsed: dict) -> dict:
    subjects = {}
    for walk in walks:
        subject = walk.subject
        if subject is None:
            p = parsed.get(walk.path)
            subject = p.subject if p is not None else None
        if subject is None:
            raise InputError(
                f"walk {walk.path} lies directly in the dataset folder and its name has no subject "
                "prefix: put each subject's walks in a folder named after the subject "
                "(DATASET/<subject>/<walk>)"
            )
        subjects[walk.path] = subject
    return subjects


def _matches(walk: Walk, pattern: str) -> bool:
    pattern = pattern.lower()
    return fnmatch.fnmatchcase(walk.name.lower(), pattern) or fnmatch.fnmatchcase(walk.path.name.lower(), pattern)


def _roles_from_patterns(walks: Sequence[Walk], gallery_patterns: Sequence[str], probe_patterns: Sequence[str]) -> dict:
    for option, patterns in (("--gallery-pattern", gallery_patterns), ("--probe-pattern", probe_patterns)):
        for pattern in patterns:
            if not any(_matches(w, pattern) for w in walks):
                raise InputError(
                    f"{option} {pattern!r} matches no walk; walk names look like {_examples(walks)} "
                    "(patterns are globs on the name, e.g. 'nm-0[1-4]*')"
                )
    roles = {}
    for walk in walks:
        in_gallery = any(_matches(walk, p) for p in gallery_patterns)
        probe_hits = [p for p in probe_patterns if _matches(walk, p)]
        if in_gallery and probe_hits:
            raise InputError(
                f"walk {walk.label} matches both --gallery-pattern and --probe-pattern {probe_hits[0]!r}; "
                "make the patterns disjoint"
            )
        if in_gallery:
            roles[walk.path] = ("gallery", None)
        elif probe_hits:
            roles[walk.path] = ("probe", probe_hits[0] if len(probe_patterns) > 1 else None)
        elif not gallery_patterns:  # only probe patterns: every other walk is in the gallery
            roles[walk.path] = ("gallery", None)
        elif not probe_patterns:  # only gallery patterns: every other walk is a probe
            roles[walk.path] = ("probe", None)
    return roles


def _describe_patterns(gallery_patterns: Sequence[str], probe_patterns: Sequence[str]) -> str:
    gallery = ", ".join(gallery_patterns) or "every walk that is not a probe"
    probes = ", ".join(probe_patterns) or "every walk that is not in the gallery"
    return f": gallery {gallery}; probes {probes}"


_TRAILING_VIEW = re.compile(r"\d[-_ /]+(\d{3})$")  # a sequence number, then a 3-digit view
_CONDITION = re.compile(r"^(.*?)[-_ /]*\d")


def _views(walks: Sequence[Walk], parsed: dict, preset: Preset | None) -> dict:
    if preset is not None:
        return {w.path: parsed[w.path].view for w in walks}
    found = {w.path: _TRAILING_VIEW.search(w.name) for w in walks}
    if not all(found.values()):
        return {}
    return {path: m.group(1) for path, m in found.items()}


def _name_condition(name: str) -> str:
    m = _CONDITION.match(name)
    text = (m.group(1) if m else name).strip("-_ /").lower()
    return text or "all"


def _check_split(split: Split, preset: Preset | None) -> None:
    expected = (
        f"expected gallery walks named {preset.gallery_names}" if preset else "check --gallery-pattern"
    )
    if not split.gallery:
        raise InputError(f"no gallery walk in the dataset: {expected}")
    if not split.probes:
        raise InputError("no probe walk in the dataset: every walk is in the gallery; check the names or --probe-pattern")
    gallery_subjects = {e.subject for e in split.gallery}
    missing = sorted({e.subject for e in split.probes} - gallery_subjects)
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise InputError(
            f"subject(s) {', '.join(missing[:3])}{more} have probe walks but no gallery walk: {expected}"
        )
    if len(gallery_subjects) < 2:
        raise InputError(
            f"the gallery holds only subject {next(iter(gallery_subjects))}: evaluation needs at least 2 subjects "
            "(one folder per subject)"
        )
    if split.cross_view:
        gallery_views = {e.view for e in split.gallery}
        lonely = sorted(v for v in split.views if not gallery_views - {v})
        if lonely:
            raise InputError(
                f"probe view {lonely[0]} has no gallery walk in another view: the cross-view protocol "
                "excludes identical views, so it needs gallery walks in at least two views"
            )


def _examples(walks: Sequence[Walk]) -> str:
    names = sorted({w.name for w in walks})
    return ", ".join(repr(n) for n in names[:3]) + (", …" if len(names) > 3 else "")
