"""The known answer of a simulated cohort, for comparing estimates with what was planted.

A folder written by :func:`soleus_analysis.write_cohort` (or ``soleus simulate``) holds
``truth.json`` (planted effects, every generating parameter) and ``truth_weeks.csv`` (the
athlete-week truth). :func:`read_truth` reads them; on a folder of real exports it returns an
*unknown* truth whose values are missing, so an analysis notebook runs unchanged on real data and
simply has nothing to compare with. :func:`implied_effects` turns the planted effects into the
steady-state effect on every panel outcome, including the outcomes the generating model moves only
through freshness (run RPE, readiness, and part of decoupling and pace fade).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.simulation.parameters import (
    DECOUPLING_PER_FRESHNESS,
    FADE_PER_FRESHNESS,
    READINESS_PER_FRESHNESS,
    RPE_PER_TIREDNESS,
    Effects,
)

__all__ = ["Truth", "implied_effects", "read_truth"]

_PER = {
    "soleus": "+10 soleus sets/week, sustained",
    "novel_soleus": "+10 soleus sets above the accustomed level",
    "acute_km": "+10 km this week",
    "chronic_km": "+10 km/week of chronic load",
}


def implied_effects(effects: Effects | dict | None = None) -> pd.DataFrame:
    """Steady-state effects of soleus dose and running load on each outcome of the panel.

    The generating model (docs/simulation.md) plants effects on the latent easy pace, fatigue and
    soreness, and direct soleus effects on decoupling and pace fade; run RPE, readiness,
    decoupling and pace fade also follow the day's freshness, so a soleus effect on fatigue
    reaches them too: ``total = direct + via_fatigue``, ``via_fatigue`` = the fatigue effect x
    the measure's response to one point of freshness (``RPE_PER_TIREDNESS`` etc. in
    :mod:`soleus_analysis.simulation.parameters`).

    Parameters
    ----------
    effects : Effects or dict, optional
        The planted effects (default ``Effects()``; a dict such as ``truth.json``'s
        ``params.effects`` is accepted).

    Returns
    -------
    pandas.DataFrame
        One row per outcome and exposure: ``outcome`` (panel column), ``exposure``
        (``soleus``: the adapted soleus dose, i.e. a weekly dose kept up until the adaptation
        has caught up; ``novel_soleus``: sets above the accustomed level, which drive soreness;
        ``acute_km``; ``chronic_km``), ``direct``, ``via_fatigue``, ``total`` (outcome units per
        ``per``), ``per``. Load effects on decoupling and pace fade are not listed: they also
        depend on how long the long runs get when the weekly volume changes.

    Notes
    -----
    The ratings are rounded to whole points and clipped to their scales (fatigue 1-5,
    readiness 0-10, RPE 1-10), which attenuates the effects on the rated scale a little.

    Examples
    --------
    >>> t = implied_effects().set_index(["outcome", "exposure"])
    >>> float(t.loc[("readiness", "soleus"), "total"]), float(t.loc[("run_rpe", "soleus"), "total"])
    (0.24, -0.09)
    """
    if effects is None:
        effects = Effects()
    e = asdict(effects) if isinstance(effects, Effects) else dict(effects)
    fatigue = {"soleus": e["fatigue_per_10_soleus_sets"],
               "acute_km": e["fatigue_per_10_km_acute"],
               "chronic_km": e["fatigue_per_10_km_chronic"]}
    rows = [
        ("easy_pace_s_per_km", "soleus", e["pace_s_per_km_per_10_soleus_sets"], 0.0),
        ("easy_pace_s_per_km", "acute_km", e["pace_s_per_km_per_10_km_acute"], 0.0),
        ("easy_pace_s_per_km", "chronic_km", e["pace_s_per_km_per_10_km_chronic"], 0.0),
        *[("fatigue", k, v, 0.0) for k, v in fatigue.items()],
        ("soreness", "novel_soleus", e["soreness_per_10_novel_soleus_sets"], 0.0),
        ("soreness", "acute_km", e["soreness_per_10_km_acute"], 0.0),
        ("decoupling_pct", "soleus", e["decoupling_pct_per_10_soleus_sets"],
         -DECOUPLING_PER_FRESHNESS * fatigue["soleus"]),
        ("pace_fade_pct", "soleus", e["pace_fade_pct_per_10_soleus_sets"],
         -FADE_PER_FRESHNESS * fatigue["soleus"]),
        *[("run_rpe", k, 0.0, -RPE_PER_TIREDNESS * v) for k, v in fatigue.items()],
        *[("readiness", k, 0.0, READINESS_PER_FRESHNESS * v) for k, v in fatigue.items()],
    ]
    out = pd.DataFrame(rows, columns=["outcome", "exposure", "direct", "via_fatigue"])
    out["via_fatigue"] = out["via_fatigue"] + 0.0  # no negative zeros in printed tables
    out["total"] = (out["direct"] + out["via_fatigue"]).round(12) + 0.0
    out["per"] = out["exposure"].map(_PER)
    return out


@dataclass(frozen=True)
class Truth:
    """What was planted in a simulated cohort (or nothing, for real data).

    Attributes
    ----------
    known : bool
        False for a folder without ``truth.json`` (real data): every value is then missing.
    planted : dict
        ``truth.json``'s ``planted`` section (see docs/simulation.md, "What the truth holds").
    params : dict
        Every generating parameter (``effects``, ``design``, ``athletes``, ...).
    seed : int or None
    weeks : pandas.DataFrame
        The athlete-week truth (``truth_weeks.csv``; empty when unknown), ``week_start`` as
        dates.
    """

    known: bool
    planted: dict = field(default_factory=dict, repr=False)
    params: dict = field(default_factory=dict, repr=False)
    seed: int | None = None
    weeks: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def value(self, name: str) -> float:
        """A planted number by its ``truth.json`` name (NaN when unknown or absent)."""
        v = self.planted.get(name, np.nan)
        return float(v) if isinstance(v, int | float) else np.nan

    @property
    def athletes(self) -> pd.DataFrame:
        """Per-athlete draws (``athlete_id``, ``group``, ``start_week``, slope, ...)."""
        rows = self.params.get("athletes", [])
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["athlete_id"])

    @property
    def slopes(self) -> pd.Series:
        """Each athlete's own effect of +10 soleus sets/week on easy pace [s/km], by athlete."""
        slopes = self.planted.get("athlete_slopes_s_per_km_per_10_sets", {})
        return pd.Series(slopes, dtype=float, name="true_slope").rename_axis("athlete_id")

    def lag_effects(self, max_lag: int, *, step: float = 10.0) -> pd.DataFrame:
        """The planted effect of ``+step`` soleus sets in week ``t - l`` on easy pace in week t.

        Returns
        -------
        pandas.DataFrame
            ``term`` (``lag0`` ... ``lag{max_lag}``, ``cumulative``), ``lag``, ``planted``
            (s/km per ``+step`` sets; the cumulative row is the sum over lags 0..max_lag, which
            a distributed-lag model truncated at ``max_lag`` targets), NaN when unknown.
        """
        weights = np.asarray(self.planted.get("lag_weights", []), dtype=float)
        lags = np.arange(max_lag + 1)
        w = np.full(lags.size, np.nan)
        w[: min(weights.size, lags.size)] = weights[: lags.size]
        if weights.size and weights.size < lags.size:  # the kernel was stored to a shorter lag
            w[weights.size:] = 0.0
        per_lag = self.value("effect_per_10_soleus_sets_s_per_km") * step / 10.0 * w
        return pd.DataFrame({
            "term": [f"lag{k}" for k in lags] + ["cumulative"],
            "lag": pd.array(list(lags) + [pd.NA], dtype="Int64"),
            "planted": np.r_[per_lag, per_lag.sum() if self.known else np.nan],
        })

    def implied(self) -> pd.DataFrame:
        """:func:`implied_effects` of the planted effects (empty when unknown)."""
        if not self.known:
            return implied_effects().iloc[0:0]
        return implied_effects(self.params.get("effects") or None)

    def describe(self) -> str:
        """One sentence saying whether estimates can be compared with a known answer."""
        if not self.known:
            return ("No truth.json in this folder: real data, nothing planted to compare with "
                    "(the 'planted' columns stay empty).")
        p = self.params
        return (f"SIMULATED cohort (seed {self.seed}): {p.get('n_athletes')} athletes x "
                f"{p.get('n_weeks')} weeks with planted effects; every estimate below is "
                "compared with the planted value.")


def read_truth(raw_dir: str | PathLike[str]) -> Truth:
    """Read the known answer of a simulated cohort folder (an unknown truth for real data).

    The athlete-week truth is ``truth_weeks.csv`` (app-export folders) or ``truth.csv``
    (``--format canonical`` folders).

    Parameters
    ----------
    raw_dir : path
        A folder written by ``soleus simulate`` / :func:`soleus_analysis.write_cohort`, or any
        folder of real exports.

    Returns
    -------
    Truth
        ``known`` is False (and every value missing) when the folder has no ``truth.json``.

    Examples
    --------
    >>> read_truth("no/such/folder").known
    False
    """
    root = Path(raw_dir)
    path = root / "truth.json"
    if not path.is_file():
        return Truth(known=False)
    doc = json.loads(path.read_text(encoding="utf-8"))
    names = [doc.get("files", {}).get("athlete_weeks"), "truth_weeks.csv", "truth.csv"]
    found = [root / n for n in names if n and (root / n).is_file()]
    weeks = pd.DataFrame()
    if found:
        weeks_path = found[0]
        weeks = pd.read_csv(weeks_path, dtype={"athlete_id": str})
        if "week_start" in weeks:
            weeks["week_start"] = pd.to_datetime(weeks["week_start"], format="%Y-%m-%d")
    return Truth(known=True, planted=doc.get("planted", {}), params=doc.get("params", {}),
                 seed=doc.get("seed"), weeks=weeks)
