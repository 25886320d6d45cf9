"""The exercise catalog: from a logged exercise name to a canonical exercise and its soleus share.

The catalog is a CSV file shipped in the package (``soleus_analysis/data/exercise_catalog.csv``);
users can replace it with their own (:func:`load_catalog`), or change some exercises' numbers for a
sensitivity analysis (:meth:`ExerciseCatalog.with_values`). One row per canonical exercise:

================  ================================================================================
column            meaning
================  ================================================================================
exercise          canonical id (``seated_calf_raise``); the ids are shared across the project
label             readable name
plantar_flexor    ``true`` for calf (plantar-flexion) exercises; they count in ``calf_sets``
is_training       ``false`` for stretches and massage ("Calf Wall", "Calf Rubs"): recognised, never
                  counted as training
knee_position     ``bent``, ``straight`` or ``mixed`` (empty for exercises that are not calf work)
soleus_share      assumed share of the plantar-flexor work done by the soleus, 0-1 (0 for
                  everything that is not calf training)
body_mass_share   share of body mass lifted by each repetition, 0-1 (added to the external load
                  in the volume load)
dose_unit         ``reps``, ``seconds`` or ``metres``: how the exercise is usually logged
aliases           names as logged by apps and people, separated by ``|``
source            the literature behind the numbers, or ``judgement``
rationale         one or two sentences on why the numbers are what they are
================  ================================================================================

Assumptions of the shipped catalog (they are assumptions, not facts: change them in your own CSV)
--------------------------------------------------------------------------------------------------
- **Straight knee, soleus share 0.65** (standing, single-leg standing, donkey, leg-press calf
  press, jump rope, pogo hops). The soleus has about 0.7 of the triceps surae's physiological
  cross-sectional area (230 of 326 cm²; Fukunaga et al. 1992, J Orthop Res 10:928-934); with the
  knee straight the gastrocnemius works at a favourable length (Landin et al. 2015, J Clin Med Res
  7(8):602-606), so the share is set a little lower.
- **Knee bent about 90 degrees, share 0.85** (seated calf raise, horse-stance calf raise). Knee
  flexion shortens the two-joint gastrocnemius: its EMG and torque contribution fall while soleus
  activity is maintained (Cresswell et al. 1995, Exp Brain Res 105:283-290; Signorile et al. 2002,
  J Strength Cond Res 16(3):433-439; Arampatzis et al. 2006, J Biomech 39(10):1891-1902). Not 1:
  the gastrocnemius still contributes in dynamic contractions (Wakahara et al. 2007, J Biomech
  40(10):2291-2298).
- **Knee bent 20-45 degrees, share 0.75-0.8** (bent-knee raises, soleus walks, slant-board
  single-leg squat, whose knee angle changes through the movement: ``mixed``). Between the two;
  heel raises at 45 degrees reduce gastrocnemius activity (Hébert-Losier et al. 2012, J Strength
  Cond Res 26(11):3124-3133). The exact numbers are judgement.
- **Body mass share**: 1 where one or both legs lift the whole body (standing raises, squats,
  hops), 0 where the body is not lifted (seated raise, leg-press calf press), 0.5 for the
  alternating horse-stance raise and 0.8 for the donkey raise (judgement).
- Non-calf exercises (squat, bench press, carries on flat feet...) are in the catalog with a share
  of 0 so that they are recognised rather than reported as unknown.

Names and where they come from
------------------------------
Besides the ``aliases`` of the catalog, a second shipped file, ``data/exercise_names.csv``
(``name, exercise, language, source``), lists the names apps and people log, each with where the
name was seen: Strong's and Hevy's built-in exercises (seen in real exports), the Garmin FIT SDK's
exercise names (``calf_raise_exercise_name`` and the calf-related names of other categories),
Hevy's Portuguese names (seen in a real export) and common German, French, Spanish, Italian,
Portuguese and Dutch gym names (judgement). Its names join the catalog's for the exercises the
catalog has (a user's own catalog too); a catalog alias wins over a name of the file. The numbers
(knee position, shares) have their own provenance in the catalog's ``source`` column.

Name matching
-------------
Names are compared after normalisation (:func:`normalize_name`): case, accents (``ü`` -> ``u``,
``ß`` -> ``ss``), apostrophes, punctuation, underscores and repeated spaces are ignored and a plural
``s`` is dropped. A name is tried as written, then without equipment in parentheses ("Seated Calf
Raise (Machine)", "(Plate Loaded)", "(Smith Machine)", "(Dumbbell)", "(Barra)", "(Máquina)"), then,
for Garmin FIT names written ``"<category>/<name>"`` (``calf_raise/seated_calf_raise``), as its last
part, then without a ``weighted`` prefix, and finally by its words in any order with equipment
words left out ("Machine Seated Calf Raise", "Calf Raise - Seated" -> the seated calf raise). A
name that matches nothing is *unmapped*: it is listed by :func:`unmapped` with its count and its
sets are never counted as zero silently.

Guessing the knee position of an unknown name
----------------------------------------------
For an unmapped name that names a calf exercise in one of the supported languages ("calf",
"soleus", "Waden", "mollets", "gemelos", "pantorrilla", "polpacci", "panturrilha", "kuit"...),
:func:`guess_knee_position` reads its knee position from rule words: "seated", "bent-knee",
"soleus" and their translations -> ``bent``; "standing", "leg press", "Smith", "donkey" and their
translations -> ``straight``; both or neither -> no guess. :func:`classify_exercises` shows the
guess with ``match = "guess"``; the name stays unmapped (no share, no dose) and :func:`unmapped`
still lists it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis import runlength
from soleus_analysis.errors import InputError
from soleus_analysis.textfile import read_text_table

__all__ = [
    "CHANGEABLE_COLUMNS",
    "DOSE_UNITS",
    "KNEE_POSITIONS",
    "ExerciseCatalog",
    "classify_exercises",
    "guess_knee_position",
    "load_catalog",
    "normalize_name",
    "suggest_exercise",
    "take_text",
    "take_values",
    "unmapped",
]

KNEE_POSITIONS = ("bent", "straight", "mixed")
DOSE_UNITS = ("reps", "seconds", "metres")
_REQUIRED = (
    "exercise",
    "plantar_flexor",
    "is_training",
    "knee_position",
    "soleus_share",
    "body_mass_share",
    "dose_unit",
    "aliases",
    "source",
)
_OPTIONAL = ("label", "rationale")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")

#: Words that describe equipment in a parenthesised suffix: "(Machine)", "(Plate Loaded)".
_EQUIPMENT = frozenset(
    """machine plate loaded smith dumbbell barbell bodyweight body weight weighted cable band
    resistance kettlebell lever hammer strength assisted bench step block db bb kb bw ez bar trap
    hex sled selectorized selectorised plated free landmine vest belt dip chain
    maschine kurzhantel langhantel multipresse korpergewicht kabel scheibe scheiben
    barra halter haltere maquina polia cabo anilha peso corporal com sem livre polea mancuerna
    con de en a la le du au poids corp barre poulie haltere bilanciere manubrio manubri macchina
    cavo corpo libero con multipower elastico elastique band""".split()
)
_CALF_HINT = re.compile(
    r"calf|calve|soleus|gastroc|heel raise|heel rise|toe walk|tiptoe|wade|pogo|jump rope|skipping|"
    r"plantar|ankle hop|achilles|mollet|gemelo|pantorrilla|soleo|polpacc|panturrilha|gemeo|kuit|"
    r"ikr|икр|lydk|łydk|vad"
)
# Words that say a calf exercise is one (the name of the muscle group, in the supported languages).
_CALF_WORD = re.compile(
    r"\b(?:calf|calve|soleus|gastroc\w*|heel raise|heel rise|waden\w*|wade|mollet|gemelo|"
    r"pantorrilla|soleo|polpacc\w*|panturrilha|gemeo|kuit\w*|икр\w*|lydk\w*|vad|vader)\b"
)
# Rule words for the knee position of an unknown calf exercise (normalised: no accents, singular).
_BENT_WORDS = re.compile(
    r"\b(?:seated|sitting|sit|bent knee|knee bent|bent|soleus|sitzend|sitzen|sitzendes|gebeugt\w*|"
    r"assi|assis|sentado|sentada|seduto|seduta|zittend|сидя|siedzac|sittande|soleo|horse stance)\b"
)
_STRAIGHT_WORDS = re.compile(
    r"\b(?:standing|stand|leg press|legpress|smith|donkey|straight leg|straight knee|stehend|"
    r"stehen|stehendes|multipresse|beinpresse|esel\w*|debout|presse|de pie|en pie|prensa|"
    r"burro|in piedi|pressa|multipower|asino|em pe|staand|стоя|stojac|staende|stående|ane)\b"
)


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalize_name(name: object) -> str:
    """The comparison key of an exercise name.

    Case, accents, apostrophes, punctuation (parentheses included), underscores and repeated
    spaces are ignored and a plural ``s`` is dropped from each word.

    Examples
    --------
    >>> normalize_name("Seated Calf Raises (Machine)")
    'seated calf raise machine'
    >>> normalize_name("calf_raise/weighted_seated_calf_raise")
    'calf raise weighted seated calf raise'
    >>> normalize_name("Farmer's Walk on Toes"), normalize_name("Wadenheben im Sitzen")
    ('farmer walk on toe', 'wadenheben im sitzen')
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = unicodedata.normalize("NFKD", str(name).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(_singular(word) for word in text.split())


def _strip_equipment(name: str) -> str:
    def drop(match: re.Match) -> str:
        words = normalize_name(match.group(1)).split()
        return " " if words and all(w in _EQUIPMENT for w in words) else match.group(0)

    return re.sub(r"[(\[]([^()\[\]]*)[)\]]", drop, name)


def _candidate_keys(name: str) -> list[str]:
    parts = [name]
    if "/" in name:
        parts.append(name.rsplit("/", 1)[1])
    keys: list[str] = []
    for part in parts:
        for key in (normalize_name(part), normalize_name(_strip_equipment(part))):
            keys.append(key)
            if key.startswith("weighted "):
                keys.append(key[len("weighted ") :])
    return list(dict.fromkeys(k for k in keys if k))


#: Small words left out of the word-order match ("Calf Press on Leg Press" = "Leg Press Calf
#: Press").
_STOP_WORDS = frozenset(
    "on the a an at in with of to for de la le les du des en auf am an der die das mit im con al "
    "alla sul em no na do da e y et und".split()
)


def word_key(name: object) -> str:
    """A name's words without equipment and small words, sorted: the key of the word-order match.

    Examples
    --------
    >>> word_key("Machine Seated Calf Raise") == word_key("Calf Raise - Seated (Machine)")
    True
    >>> word_key("Calf Press on Leg Press") == word_key("Leg Press Calf Press Machine")
    True
    """
    words = [
        w for w in normalize_name(name).split() if w not in _EQUIPMENT and w not in _STOP_WORDS
    ]
    return " ".join(sorted(set(words)))


def guess_knee_position(name: object) -> str | None:
    """``bent`` or ``straight`` for a calf exercise's name by its rule words, else None.

    Only names that name a calf exercise are guessed (the muscle in one of the supported
    languages); a name with rule words for both positions, or none, gets no guess.

    Examples
    --------
    >>> guess_knee_position("Seated Calf Crusher"), guess_knee_position("Wadenheben stehend")
    ('bent', 'straight')
    >>> guess_knee_position("Mollets assis (poulie)"), guess_knee_position("Calf Crusher") is None
    ('bent', True)
    >>> guess_knee_position("Seated Leg Curl") is None
    True
    """
    text = normalize_name(name)
    if not _CALF_WORD.search(text):
        return None
    bent = bool(_BENT_WORDS.search(text))
    straight = bool(_STRAIGHT_WORDS.search(text))
    if bent == straight:
        return None
    return "bent" if bent else "straight"


@dataclass(frozen=True)
class ExerciseCatalog:
    """A validated exercise catalog.

    Attributes
    ----------
    exercises : DataFrame
        One row per canonical exercise: ``exercise``, ``label``, ``plantar_flexor`` (bool),
        ``is_training`` (bool), ``knee_position`` (``bent``/``straight``/``mixed`` or missing),
        ``soleus_share`` [0-1], ``body_mass_share`` [0-1], ``dose_unit``, ``source``,
        ``rationale``.
    aliases : DataFrame
        One row per alias: ``alias`` (as written in the catalog or the names file), ``key``
        (normalised), ``exercise`` and ``source`` (``catalog``, or where the names file says the
        name was seen). The canonical id and the label are aliases too.
    path : str
        The file it was read from.
    """

    exercises: pd.DataFrame
    aliases: pd.DataFrame
    path: str
    changes: tuple[str, ...] = ()

    def with_values(self, exercises: str | Iterable[str], **values) -> ExerciseCatalog:
        """A copy of the catalog with some exercises' numbers changed.

        For sensitivity analyses (how much does a result depend on an assumed share?) without
        editing a copy of the CSV. The changed rows are checked by the rules of
        :func:`load_catalog`; names and aliases are kept. The catalog itself is not modified.

        Parameters
        ----------
        exercises : str or iterable of str
            Canonical ids (``catalog.exercises["exercise"]``) of the exercises to change.
        **values
            The columns to set, each to one value for every exercise given: ``soleus_share``,
            ``body_mass_share``, ``knee_position``, ``plantar_flexor``, ``is_training``,
            ``dose_unit``, ``label``, ``source`` or ``rationale``.

        Returns
        -------
        ExerciseCatalog
            Its ``changes`` lists what was changed (after those of ``self``); a build records
            them in its report.

        Raises
        ------
        ValueError
            An unknown exercise id or column, or no column given.
        InputError
            A value that breaks a catalog rule (a share outside 0-1, a soleus share on an
            exercise that is not calf training...); the message names the exercise, the column
            and the fix.

        Examples
        --------
        >>> cat = load_catalog()
        >>> half = cat.with_values(["seated_calf_raise", "soleus_walk"], soleus_share=0.5)
        >>> float(half.exercises.set_index("exercise").loc["seated_calf_raise", "soleus_share"])
        0.5
        >>> half.changes
        ('soleus_share = 0.5 for seated_calf_raise, soleus_walk',)
        >>> float(cat.exercises.set_index("exercise").loc["seated_calf_raise", "soleus_share"])
        0.85
        """
        ids = [exercises] if isinstance(exercises, str) else list(dict.fromkeys(exercises))
        unknown = [i for i in ids if i not in set(self.exercises["exercise"])]
        if unknown:
            raise ValueError(
                f"unknown exercise id(s): {', '.join(map(repr, unknown[:5]))}; the ids are in "
                "catalog.exercises['exercise']"
            )
        if not ids or not values:
            raise ValueError("give the exercises and at least one column, e.g. soleus_share=0.5")
        columns = [c for c in values if c not in CHANGEABLE_COLUMNS]
        if columns:
            raise ValueError(
                f"cannot change {', '.join(map(repr, columns))}; changeable columns: "
                + ", ".join(CHANGEABLE_COLUMNS)
            )
        chosen = set(ids)
        records = [
            _exercise_record(
                row["exercise"],
                {c: _as_cell(values.get(c, row[c])) for c in CHANGEABLE_COLUMNS},
                f"{Path(self.path).name}, exercise {row['exercise']} as changed by with_values",
                None,
            )
            if row["exercise"] in chosen
            else row
            for row in self.exercises.to_dict(orient="records")
        ]
        table = pd.DataFrame.from_records(records, columns=list(self.exercises.columns))
        table["knee_position"] = table["knee_position"].astype(object)
        said = ", ".join(f"{c} = {_as_cell(v)}" for c, v in values.items())
        return replace(
            self,
            exercises=table,
            changes=(*self.changes, f"{said} for {', '.join(ids)}"),
        )

    def _lookup(self) -> dict[str, str]:
        return dict(zip(self.aliases["key"], self.aliases["exercise"], strict=True))

    def _word_lookup(self) -> dict[str, str]:
        """Word keys that name one exercise only (a key shared by two is left out)."""
        keys = self.aliases["key"].map(word_key)
        frame = pd.DataFrame({"w": keys, "e": self.aliases["exercise"]})
        frame = frame[frame["w"].ne("")].drop_duplicates()
        single = frame[~frame["w"].duplicated(keep=False)]
        return dict(zip(single["w"], single["e"], strict=True))

    def resolve(self, name: object) -> str | None:
        """The canonical exercise of one logged name, or None when the catalog does not know it.

        Examples
        --------
        >>> cat = load_catalog()
        >>> cat.resolve("Seated Calf Raise (Plate Loaded)"), cat.resolve("Calf Wall")
        ('seated_calf_raise', 'calf_stretch')
        >>> cat.resolve("calf_raise/single_leg_bent_knee_calf_raise"), cat.resolve("Zumba") is None
        ('single_leg_bent_knee_calf_raise', True)
        """
        return self._resolve_many([name])[0]

    def _resolve_many(self, names) -> list[str | None]:
        lookup = self._lookup()
        words: dict[str, str] | None = None
        out: list[str | None] = []
        for name in names:
            found = None
            if name is not None and not (isinstance(name, float) and np.isnan(name)):
                for key in _candidate_keys(str(name)):
                    if key in lookup:
                        found = lookup[key]
                        break
                if found is None:
                    words = self._word_lookup() if words is None else words
                    parts = [str(name)] + (
                        [str(name).rsplit("/", 1)[1]] if "/" in str(name) else []
                    )
                    for part in parts:
                        found = words.get(word_key(_strip_equipment(part)))
                        if found is not None:
                            break
            out.append(found)
        return out


#: Columns of ``ExerciseCatalog.exercises`` that :meth:`ExerciseCatalog.with_values` changes
#: (the id and the names stay).
CHANGEABLE_COLUMNS = (
    *(c for c in _REQUIRED if c not in ("exercise", "aliases")),
    "label",
    "rationale",
)


def _as_cell(value) -> str:
    """A value as a catalog cell: true/false for booleans, empty for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def _shipped_path() -> Path:
    return Path(str(resources.files("soleus_analysis") / "data" / "exercise_catalog.csv"))


def _fail(
    problem: str,
    path: str,
    row: int | None = None,
    column: str | None = None,
    fix: str | None = None,
):
    raise InputError(problem, path=path, row=row, column=column, fix=fix)


def _parse_bool(cell: str, path: str, row: int, column: str) -> bool:
    value = cell.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _fail(f"{cell!r} is not true or false", path, row, column, fix="write true or false")
    raise AssertionError  # pragma: no cover


def _parse_share(cell: str, path: str, row: int, column: str) -> float:
    try:
        value = float(cell.strip().replace(",", "."))
    except ValueError:
        value = np.nan
    if not np.isfinite(value) or not 0 <= value <= 1:
        _fail(
            f"{cell!r} is not a number between 0 and 1",
            path,
            row,
            column,
            fix="write a share such as 0.85 (decimal point)",
        )
    return value


def load_catalog(
    path: str | PathLike[str] | None = None,
    *,
    names: bool | str | PathLike[str] = True,
) -> ExerciseCatalog:
    """Read and validate an exercise catalog.

    Parameters
    ----------
    path : str or PathLike, optional
        A catalog CSV with the columns described in :mod:`soleus_analysis.catalog`. Default: the
        catalog shipped with the package. To adapt it, copy the shipped file
        (``sol.load_catalog().path``), edit shares or add aliases, and pass your copy.
    names : bool or path, default True
        Names that apps and people log, with their sources (``name, exercise, language, source``):
        True adds the shipped ``data/exercise_names.csv``, a path adds that file, False adds none.
        Only names of exercises the catalog has are added, and a catalog alias wins over them.

    Returns
    -------
    ExerciseCatalog

    Raises
    ------
    InputError
        When the file is missing or unreadable, lacks a column, or a cell breaks a rule; the
        message names the file, the line (header = 1), the column and the fix.

    Examples
    --------
    >>> cat = load_catalog()
    >>> row = cat.exercises.set_index("exercise").loc["seated_calf_raise"]
    >>> row["knee_position"], float(row["soleus_share"]), float(row["body_mass_share"])
    ('bent', 0.85, 0.0)
    """
    names_file = None if names is False else (_names_path() if names is True else Path(names))
    file = _shipped_path() if path is None else Path(path)
    where = str(file)
    if not file.exists():
        _fail(
            "catalog file not found",
            where,
            fix="check the path, or omit it to use the shipped catalog",
        )
    table = read_text_table(file).frame
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        _fail(
            f"the catalog lacks the column(s) {', '.join(missing)}",
            where,
            row=1,
            fix="start from a copy of the shipped catalog (sol.load_catalog().path)",
        )
    records = []
    alias_rows = []
    seen_ids: dict[str, int] = {}
    for line, cells in table.iterrows():
        line = int(line)
        exercise = cells["exercise"].strip()
        if not _ID.match(exercise):
            _fail(
                f"{exercise!r} is not a valid exercise id",
                where,
                line,
                "exercise",
                fix="use lower-case letters, digits and underscores, e.g. seated_calf_raise",
            )
        if exercise in seen_ids:
            _fail(
                f"exercise {exercise!r} already defined on line {seen_ids[exercise]}",
                where,
                line,
                "exercise",
                fix="keep one row per exercise and put every other name in its aliases",
            )
        seen_ids[exercise] = line
        records.append(_exercise_record(exercise, cells, where, line))
        label = cells["label"].strip() if "label" in cells else ""
        names = [exercise, label] + [a for a in cells["aliases"].split("|")]
        for alias in names:
            alias = alias.strip()
            if alias:
                alias_rows.append((alias, normalize_name(alias), exercise, line))
    aliases = pd.DataFrame(alias_rows, columns=["alias", "key", "exercise", "line"])
    aliases["source"] = "catalog"
    aliases = aliases.drop_duplicates(["key", "exercise"])
    clash = aliases[aliases.duplicated("key", keep=False)]
    if not clash.empty:
        key = clash["key"].iloc[0]
        rows = clash[clash["key"] == key]
        _fail(
            f"the name {rows['alias'].iloc[-1]!r} is an alias of both {rows['exercise'].iloc[0]!r} "
            f"(line {rows['line'].iloc[0]}) and {rows['exercise'].iloc[-1]!r}",
            where,
            int(rows["line"].iloc[-1]),
            "aliases",
            fix="keep each name in one row only (names are compared ignoring case, punctuation "
            "and plural s)",
        )
    exercises = pd.DataFrame.from_records(records)
    exercises["knee_position"] = exercises["knee_position"].astype(object)
    aliases = aliases.drop(columns="line")
    if names_file is not None:
        aliases = _with_names(aliases, names_file, seen_ids)
    return ExerciseCatalog(exercises=exercises, aliases=aliases.reset_index(drop=True), path=where)


def _exercise_record(exercise: str, cells, where: str, line: int) -> dict:
    """One exercise's row of ``ExerciseCatalog.exercises`` from its text cells, checked.

    Raises :class:`InputError` naming ``where``, the line and the column of a cell that breaks a
    rule of the module docstring.
    """
    plantar = _parse_bool(cells["plantar_flexor"], where, line, "plantar_flexor")
    training = _parse_bool(cells["is_training"], where, line, "is_training")
    knee = cells["knee_position"].strip().casefold()
    if knee and knee not in KNEE_POSITIONS:
        _fail(
            f"{cells['knee_position']!r} is not a knee position",
            where,
            line,
            "knee_position",
            fix="write bent, straight or mixed (empty for exercises that are not calf work)",
        )
    if plantar and not knee:
        _fail(
            "a calf exercise needs a knee position",
            where,
            line,
            "knee_position",
            fix="write bent, straight or mixed",
        )
    share = _parse_share(cells["soleus_share"], where, line, "soleus_share")
    if share > 0 and not (plantar and training):
        _fail(
            f"soleus_share {share} on an exercise that is not calf training",
            where,
            line,
            "soleus_share",
            fix="set soleus_share to 0, or plantar_flexor and is_training to true",
        )
    body = _parse_share(cells["body_mass_share"], where, line, "body_mass_share")
    unit = cells["dose_unit"].strip().casefold()
    if unit not in DOSE_UNITS:
        _fail(
            f"{cells['dose_unit']!r} is not a dose unit",
            where,
            line,
            "dose_unit",
            fix="write reps, seconds or metres",
        )
    source = cells["source"].strip()
    if not source:
        _fail(
            "every row needs a source (a citation) or the word judgement",
            where,
            line,
            "source",
            fix="write the reference behind the numbers, or judgement",
        )
    label = cells["label"].strip() if "label" in cells else ""
    return {
        "exercise": exercise,
        "label": label or exercise.replace("_", " "),
        "plantar_flexor": plantar,
        "is_training": training,
        "knee_position": knee or None,
        "soleus_share": share,
        "body_mass_share": body,
        "dose_unit": unit,
        "source": source,
        "rationale": cells["rationale"].strip() if "rationale" in cells else "",
    }

def _names_path() -> Path:
    return Path(str(resources.files("soleus_analysis") / "data" / "exercise_names.csv"))


def _with_names(aliases: pd.DataFrame, file: Path, ids) -> pd.DataFrame:
    """The catalog's aliases plus the names of a names file (catalog aliases win)."""
    where = str(file)
    if not file.exists():
        _fail("exercise names file not found", where, fix="check the path, or pass names=False")
    table = read_text_table(file).frame
    missing = [c for c in ("name", "exercise", "source") if c not in table.columns]
    if missing:
        _fail(
            f"the names file lacks the column(s) {', '.join(missing)}",
            where,
            row=1,
            fix="write the columns name, exercise, language, source",
        )
    extra = pd.DataFrame(
        {
            "alias": table["name"].str.strip(),
            "key": table["name"].map(normalize_name),
            "exercise": table["exercise"].str.strip(),
            "source": table["source"].str.strip(),
        }
    )
    extra = extra[extra["exercise"].isin(set(ids)) & extra["key"].ne("")]
    taken = dict(zip(aliases["key"], aliases["exercise"], strict=True))
    extra = extra[~extra["key"].isin(taken)]
    clash = extra[extra.duplicated("key", keep=False)].drop_duplicates(["key", "exercise"])
    if clash["key"].duplicated().any():
        key = clash.loc[clash["key"].duplicated(), "key"].iloc[0]
        _fail(
            f"the name {key!r} means two exercises in the names file",
            where,
            fix="keep each name for one exercise only",
        )
    extra = extra.drop_duplicates("key")
    return pd.concat([aliases, extra], ignore_index=True)


def resolve_catalog(catalog: ExerciseCatalog | str | PathLike[str] | None) -> ExerciseCatalog:
    """An :class:`ExerciseCatalog` from a catalog, a path or None (the shipped catalog)."""
    if isinstance(catalog, ExerciseCatalog):
        return catalog
    if catalog is None or isinstance(catalog, str | PathLike):
        return load_catalog(catalog)
    raise TypeError(
        "catalog must be an ExerciseCatalog, a path to a catalog CSV or None, "
        f"not {type(catalog).__name__}"
    )


def catalog_index(names: pd.Series, catalog: ExerciseCatalog) -> np.ndarray:
    """Row of ``catalog.exercises`` per name (-1 if unmapped); each distinct name resolved once."""
    codes, uniques = runlength.factorize(names, use_na_sentinel=True)
    position = {name: k for k, name in enumerate(catalog.exercises["exercise"])}
    resolved = catalog._resolve_many(list(uniques))
    lookup = np.array(
        [position[r] if r is not None else -1 for r in resolved] + [-1], dtype="int64"
    )
    return lookup[codes]  # code -1 (missing name) picks the trailing -1


def take_values(column: pd.Series, index: np.ndarray, missing) -> np.ndarray:
    """``column``'s values at the rows ``index`` (see :func:`catalog_index`); -1: ``missing``."""
    values = np.append(column.to_numpy(dtype=object if missing is None else float), [missing])
    return values[np.where(index >= 0, index, len(values) - 1)]


def take_text(column: pd.Series, index: np.ndarray):
    """``column``'s text at the positions ``index`` as a string array; -1 gives a missing value."""
    return pd.array(column.to_numpy(dtype=object), dtype="str").take(index, allow_fill=True)


_CLASS_COLUMNS = [
    "name",
    "exercise",
    "knee_position",
    "soleus_share",
    "dose_unit",
    "is_training",
    "mapped",
    "plantar_flexor",
    "body_mass_share",
    "match",
]


def classify_exercises(
    names, catalog: ExerciseCatalog | str | PathLike[str] | None = None
) -> pd.DataFrame:
    """Map logged exercise names to canonical exercises.

    Parameters
    ----------
    names : sequence or Series of str
        Exercise names as logged (``exercise_raw``).
    catalog : ExerciseCatalog, path or None
        The catalog; the shipped one by default.

    Returns
    -------
    DataFrame
        One row per input name, in input order (index: position, or the Series' index):

        - ``name``: the name as given.
        - ``exercise``: canonical exercise id; missing when unmapped.
        - ``knee_position``: ``bent``, ``straight``, ``mixed``; missing for non-calf names; for an
          unmapped calf name, the rule-based guess (:func:`guess_knee_position`) when there is
          one (``match`` says so).
        - ``soleus_share``: assumed soleus share of the plantar-flexor work [0-1]; missing when
          unmapped.
        - ``dose_unit``: ``reps``, ``seconds`` or ``metres``.
        - ``is_training``: False for stretches and massage (boolean, missing when unmapped).
        - ``mapped``: whether the catalog knows the name.
        - ``plantar_flexor``: calf exercise or not (boolean, missing when unmapped).
        - ``body_mass_share``: share of body mass lifted per repetition [0-1].
        - ``match``: ``alias`` (the catalog knows the name), ``guess`` (unmapped, knee position
          guessed from the name's words) or ``none``. A guess never gives a share or a dose.

    Examples
    --------
    >>> names = ["Seated Calf Raise (Machine)", "Calf Wall", "calf_raise/standing_calf_raise",
    ...          "Zumba"]
    >>> out = classify_exercises(names)
    >>> out[["exercise", "soleus_share", "is_training", "mapped"]]
                  exercise  soleus_share  is_training  mapped
    0    seated_calf_raise          0.85         True    True
    1         calf_stretch          0.00        False    True
    2  standing_calf_raise          0.65         True    True
    3                  NaN           NaN         <NA>   False
    """
    cat = resolve_catalog(catalog)
    series = names if isinstance(names, pd.Series) else pd.Series(list(names), dtype=object)
    index = catalog_index(series, cat)
    table = cat.exercises
    out = pd.DataFrame({"name": series}, index=series.index)
    out["exercise"] = take_text(table["exercise"], index)
    out["knee_position"] = take_text(table["knee_position"], index)
    out["soleus_share"] = take_values(table["soleus_share"], index, np.nan)
    out["dose_unit"] = take_text(table["dose_unit"], index)
    out["is_training"] = pd.array(take_values(table["is_training"], index, None), dtype="boolean")
    out["mapped"] = index >= 0
    out["plantar_flexor"] = pd.array(
        take_values(table["plantar_flexor"], index, None), dtype="boolean"
    )
    out["body_mass_share"] = take_values(table["body_mass_share"], index, np.nan)
    match = np.where(index >= 0, "alias", "none").astype(object)
    unknown = pd.unique(series[index < 0].dropna())
    guesses = {name: guess_knee_position(name) for name in unknown}
    guessed = series.map(lambda n: guesses.get(n) if isinstance(n, str) else None)
    guessed = guessed.where(index < 0)
    has_guess = guessed.notna().to_numpy()
    if has_guess.any():
        knee = out["knee_position"].astype(object)
        knee[has_guess] = guessed[has_guess]
        out["knee_position"] = pd.array(knee.to_numpy(dtype=object), dtype="str")
        match[has_guess] = "guess"
    out["match"] = match
    return out[_CLASS_COLUMNS]


def suggest_exercise(
    name: object, catalog: ExerciseCatalog | str | PathLike[str] | None = None, *, cutoff=0.8
) -> str | None:
    """The canonical exercise whose catalog name is closest to a name the catalog does not know.

    Meant for typos ("Seated Calf Rase"): the name's normalised forms (as in the lookup) are
    compared with every alias by :class:`difflib.SequenceMatcher`; the exercise of the most similar
    alias is returned when the similarity ratio is at least ``cutoff`` (0-1), else None. A
    suggestion is a question for the user, never applied automatically.

    Examples
    --------
    >>> suggest_exercise("Seated Calf Rase"), suggest_exercise("Zumba")
    ('seated_calf_raise', None)
    """
    import difflib

    cat = resolve_catalog(catalog)
    keys = list(cat.aliases["key"])
    best, best_ratio = None, -1.0
    for key in _candidate_keys(str(name)) if name is not None else []:
        for match in difflib.get_close_matches(key, keys, n=1, cutoff=cutoff):
            ratio = difflib.SequenceMatcher(None, key, match).ratio()
            if ratio > best_ratio:
                best, best_ratio = match, ratio
    if best is None:
        return None
    return str(cat.aliases.loc[cat.aliases["key"] == best, "exercise"].iloc[0])


def unmapped(
    data,
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    *,
    suggest: bool = False,
    guess: bool = False,
) -> pd.DataFrame:
    """The exercise names the catalog does not know, with how often they occur.

    Parameters
    ----------
    data : DataFrame, Series or sequence of str
        A ``strength_sets`` table (its ``exercise_raw`` column is used) or exercise names (one per
        set).
    catalog : ExerciseCatalog, path or None
        The catalog; the shipped one by default.
    suggest : bool, default False
        Add a ``suggestion`` column: the canonical exercise whose catalog name is closest to the
        unknown name (:func:`suggest_exercise`, for typos), missing when none is close.
    guess : bool, default False
        Add a ``guessed_knee_position`` column: the knee position read from the name's words
        (:func:`guess_knee_position`), missing when there is no guess. The name stays unmapped.

    Returns
    -------
    DataFrame
        One row per unknown name: ``name``, ``sets`` (rows with that name), ``athletes`` (distinct
        athletes who logged it; only when ``data`` has ``athlete_id``), ``looks_like_calf`` (the
        name mentions calf, soleus, heel raise, pogo, Wade(n)...: add it to your catalog first),
        and ``suggestion`` and ``guessed_knee_position`` when asked. Sorted by ``sets`` (most
        first), then name. Missing names are listed as ``"(missing)"``.

    Examples
    --------
    >>> unmapped(["Seated Calf Raise", "Calf Crusher 3000", "Zumba", "Calf Crusher 3000"])
                    name  sets  looks_like_calf
    0  Calf Crusher 3000     2             True
    1              Zumba     1            False
    >>> unmapped(["Seated Calf Rase", "Zumba"], suggest=True)["suggestion"].tolist()
    ['seated_calf_raise', None]
    """
    out = _unmapped(data, catalog)
    if suggest:
        cat = resolve_catalog(catalog)
        names = out["name"].where(out["name"] != "(missing)", None)
        out["suggestion"] = pd.Series(
            [suggest_exercise(n, cat) if n is not None else None for n in names],
            index=out.index,
            dtype=object,
        )
    if guess:
        out["guessed_knee_position"] = pd.Series(
            [guess_knee_position(n) if n != "(missing)" else None for n in out["name"]],
            index=out.index,
            dtype=object,
        )
    return out


def _unmapped(data, catalog) -> pd.DataFrame:
    athletes = None
    if isinstance(data, pd.DataFrame):
        if "exercise_raw" not in data.columns:
            raise InputError(
                "unmapped() needs a strength_sets table with an exercise_raw column",
                fix="pass the strength_sets table or a list of exercise names",
            )
        names = data["exercise_raw"]
        athletes = data["athlete_id"] if "athlete_id" in data.columns else None
    else:
        names = data if isinstance(data, pd.Series) else pd.Series(list(data), dtype=object)
    names = names.reset_index(drop=True)
    # Only whether each name is mapped: the rest of classify_exercises' table is not needed.
    bad = catalog_index(names, resolve_catalog(catalog)) < 0
    frame = pd.DataFrame({"name": names.to_numpy(dtype=object)[bad]})
    frame["name"] = frame["name"].where(frame["name"].notna(), "(missing)").astype(str)
    if athletes is not None:
        frame["athlete_id"] = athletes.to_numpy(dtype=object)[bad]
    columns = (
        ["name", "sets"] + (["athletes"] if athletes is not None else []) + ["looks_like_calf"]
    )
    if frame.empty:
        return pd.DataFrame(
            {
                c: pd.Series(
                    dtype=bool
                    if c == "looks_like_calf"
                    else ("int64" if c in ("sets", "athletes") else object)
                )
                for c in columns
            }
        )
    grouped = frame.groupby("name", sort=False)
    out = grouped.size().rename("sets").to_frame()
    if athletes is not None:
        out["athletes"] = grouped["athlete_id"].nunique()
    out = out.reset_index()
    out["looks_like_calf"] = out["name"].map(lambda n: bool(_CALF_HINT.search(normalize_name(n))))
    out = out.sort_values(
        ["sets", "name"], ascending=[False, True], kind="stable", ignore_index=True
    )
    return out[columns]
