"""Figures for the analyses, in one grammar: ``plot(data, *, x=..., y=..., ax=None) -> Axes``.

Every function takes a tidy DataFrame and the names of its columns, draws on ``ax`` (a new figure
when None) and returns the Axes, so a notebook can restyle or combine them. Nothing here computes
statistics: the numbers come from the models; the plots only show them with their uncertainty.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = [
    "align_weeks",
    "plot_daily_loads",
    "plot_dose_over_time",
    "plot_event_study",
    "plot_forest",
    "plot_individual_responses",
    "plot_partial_effect",
    "plot_power_curve",
    "plot_series_fit",
]


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _levels(data: pd.DataFrame, hue: str | None) -> list:
    """Levels of ``hue`` in order of first appearance, or ``[None]`` when there is no hue."""
    return list(dict.fromkeys(data[hue])) if hue else [None]


def _xerr(part: pd.DataFrame, x: str, low: str, high: str) -> list[pd.Series]:
    """Horizontal error-bar lengths (below, above) of intervals ``low``-``high`` around ``x``."""
    return [part[x] - part[low], part[high] - part[x]]


def _legend(ax, loc: str, *handles):
    """A legend in the house style: small type, no frame."""
    return ax.legend(*handles, loc=loc, fontsize="small", frameon=False)


def _finish(ax, xlabel: str, ylabel: str | None = None, *, legend: str | None = "best"):
    """Label the axes (``ylabel`` None: left as is), add the legend unless ``legend`` is None."""
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if legend is not None:
        _legend(ax, legend)
    return ax


def _require(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what}: the table lacks column(s) {', '.join(missing)} "
            f"(it has {', '.join(map(str, data.columns))}); pass the right names as keywords"
        )


def plot_forest(
    data: pd.DataFrame,
    *,
    y: str = "term",
    x: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    hue: str | None = None,
    reference: float | None = 0.0,
    band: tuple[float, float] | None = None,
    xlabel: str | None = None,
    ax=None,
):
    """Point estimates with their confidence intervals, one row per term (and per hue level).

    Parameters
    ----------
    data : DataFrame
        One row per estimate.
    y, x, low, high : str
        Columns with the label, the estimate and the interval bounds.
    hue : str, optional
        Column that separates estimates of the same term (e.g. the model in a sensitivity table);
        they are drawn side by side.
    reference : float or None
        Vertical line of no effect.
    band : (float, float), optional
        A shaded region, e.g. the smallest worthwhile change (-SWC, +SWC).
    xlabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [y, x, low, high] + ([hue] if hue else []), "plot_forest")
    ax = _axes(ax, figsize=(7, 0.45 * len(data) + 1.2))
    labels = list(dict.fromkeys(data[y]))
    levels = _levels(data, hue)
    palette = sns.color_palette("colorblind", len(levels))
    height = 0.7 / len(levels)
    for k, level in enumerate(levels):
        part = data if level is None else data[data[hue] == level]
        pos = np.array([labels.index(v) for v in part[y]], dtype=float)
        pos = pos - 0.35 + height * (k + 0.5) if hue else pos
        ax.errorbar(
            part[x],
            pos,
            xerr=_xerr(part, x, low, high),
            fmt="o",
            color=palette[k],
            capsize=3,
            label=None if level is None else str(level),
        )
    if band is not None:
        ax.axvspan(*band, color="0.85", zorder=0, label="smallest worthwhile change")
    if reference is not None:
        ax.axvline(reference, color="0.4", lw=1, ls="--")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    return _finish(ax, xlabel or x, "", legend="best" if hue or band is not None else None)


def plot_dose_over_time(
    data: pd.DataFrame,
    *,
    x: str = "week_start",
    y: str = "soleus_sets",
    units: str = "athlete_id",
    hue: str | None = None,
    highlight: Sequence[str] = (),
    ylabel: str | None = None,
    align: str = "athlete",
    start: str = "programme_start",
    ax=None,
):
    """One thin line per athlete over time, the median across athletes in bold.

    Athletes of one study may have trained years apart: on a calendar axis each would be a spike
    at its own dates. By default the axis is the athlete's own week (``align="athlete"``), so
    lines and medians compare athletes at the same point of their logs.

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per athlete and time point.
    x, y, units : str
        Time column, measure column and the athlete column.
    hue : str, optional
        Column that colours athletes by group (e.g. ``group``); medians are drawn per group.
    highlight : sequence of str
        Athletes drawn as dashed black lines with their id in the legend, to follow a few
        individuals.
    ylabel : str, optional
    align : {"athlete", "programme", "calendar"}, default "athlete"
        The time axis (see :func:`align_weeks`): the athlete's week (1 = their first week in
        ``data``), the programme week (1 = the week of the athlete's ``start``; athletes without
        a start are left out, and the axis label says how many), or calendar time (``x``).
    start : str, default "programme_start"
        Column with each athlete's programme start (``align="programme"`` only), e.g. from
        :func:`soleus_analysis.programme_start`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [x, y, units] + ([hue] if hue else [])
             + ([start] if align == "programme" else []), "plot_dose_over_time")
    ax = _axes(ax, figsize=(8, 4))
    data = data.assign(_time=align_weeks(data, align=align, x=x, units=units, start=start))
    left_out = data.loc[data["_time"].isna(), units].nunique()
    data, x = data.loc[data["_time"].notna()], "_time"
    if align != "calendar":
        data = data.assign(_time=data["_time"].astype("int64"))
    groups = _levels(data, hue)
    palette = dict(zip(groups, sns.color_palette("colorblind", len(groups)), strict=True))
    for athlete, part in data.sort_values(x).groupby(units, sort=True):
        group = part[hue].iloc[0] if hue else None
        if athlete in highlight:  # in black, so that it is not mistaken for a median
            ax.plot(part[x], part[y], color="0.1", lw=1.6, ls="--", zorder=3, label=str(athlete))
        else:
            ax.plot(part[x], part[y], color=palette[group], lw=0.6, alpha=0.35)
    for group in groups:
        part = data if group is None else data[data[hue] == group]
        median = part.groupby(x, sort=True)[y].median()
        ax.plot(median.index, median.to_numpy(), color=palette[group], lw=3,
                label="median" if group is None else f"median, {group}")
    xlabel = _ALIGN_LABEL[align]
    if left_out:
        xlabel += f" ({left_out} athlete(s) without a programme start not shown)"
    return _finish(ax, xlabel, ylabel or y, legend="upper left")


_ALIGN_LABEL = {
    "athlete": "athlete week (1 = the athlete's first week)",
    "programme": "programme week (1 = the week the athlete's programme starts)",
    "calendar": "week",
}


def align_weeks(
    data: pd.DataFrame,
    *,
    align: str = "athlete",
    x: str = "week_start",
    units: str = "athlete_id",
    start: str = "programme_start",
) -> pd.Series:
    """The time axis of a plot over weeks: each row's athlete week, programme week or date.

    Parameters
    ----------
    data : DataFrame
        One row per athlete and week; ``x`` holds week-start dates (one week apart).
    align : {"athlete", "programme", "calendar"}, default "athlete"
        ``"athlete"``: weeks since the athlete's first week in ``data``, counted from 1;
        ``"programme"``: weeks since the athlete's ``start`` week, the start week being 1 (the
        week before it 0, earlier weeks negative), missing for athletes without a start;
        ``"calendar"``: ``x`` itself.
    x, units, start : str
        Week, athlete and programme-start columns.

    Returns
    -------
    pandas.Series
        Aligned with ``data``'s index: integer weeks (``Int64``), or ``x`` for calendar time.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": ["a", "a", "b", "b"],
    ...                   "week_start": pd.to_datetime(["2019-01-07", "2019-01-14",
    ...                                                 "2024-05-06", "2024-05-20"]),
    ...                   "programme_start": pd.to_datetime(["2019-01-14"] * 2 + [None] * 2)})
    >>> align_weeks(d).tolist()
    [1, 2, 1, 3]
    >>> align_weeks(d, align="programme").tolist()
    [0, 1, <NA>, <NA>]
    """
    if align not in _ALIGN_LABEL:
        raise ValueError(f"align must be one of {sorted(_ALIGN_LABEL)}, got {align!r}")
    if align == "calendar":
        return data[x]
    weeks = pd.to_datetime(data[x])
    origin = (weeks.groupby(data[units]).transform("min") if align == "athlete"
              else pd.to_datetime(data[start]))
    days = (weeks - origin).dt.days
    return (days // 7 + 1).astype("Int64")


def plot_partial_effect(
    data: pd.DataFrame,
    *,
    x: str,
    y: str = "predicted",
    low: str = "ci_low",
    high: str = "ci_high",
    observed: pd.DataFrame | None = None,
    observed_x: str | None = None,
    observed_y: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    ax=None,
):
    """A model's predicted outcome across an exposure with its confidence band.

    Parameters
    ----------
    data : DataFrame
        Grid of exposure values with the prediction and its interval.
    x, y, low, high : str
    observed : DataFrame, optional
        Points to show behind the line (e.g. within-athlete centred observations).
    observed_x, observed_y : str, optional
        Their columns (default ``x`` and ``y``).
    xlabel, ylabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [x, y, low, high], "plot_partial_effect")
    ax = _axes(ax)
    if observed is not None:
        ox, oy = observed_x or x, observed_y or y
        ax.scatter(observed[ox], observed[oy], s=6, color="0.6", alpha=0.4, lw=0, label="observed")
    line = data.sort_values(x)
    ax.fill_between(line[x], line[low], line[high], color="C0", alpha=0.25, lw=0, label="95% CI")
    ax.plot(line[x], line[y], color="C0", lw=2, label="model")
    return _finish(ax, xlabel or x, ylabel or y)


def plot_individual_responses(
    data: pd.DataFrame,
    *,
    y: str = "athlete_id",
    x: str = "slope",
    low: str = "ci_low",
    high: str = "ci_high",
    swc: float | None = None,
    hue: str | None = None,
    reference: str | None = None,
    reference_label: str = "true value",
    xlabel: str | None = None,
    ax=None,
):
    """Each athlete's own response with its interval, sorted, against the smallest worthwhile
    change.

    Parameters
    ----------
    data : DataFrame
        One row per athlete.
    y, x, low, high : str
        Athlete label, the athlete's estimated response and its interval.
    swc : float, optional
        Smallest worthwhile change (drawn as a band from -swc to +swc).
    hue : str, optional
        Column to colour by (e.g. the response classification).
    reference : str, optional
        Column with a known value per athlete (e.g. the planted slope of a simulated athlete),
        drawn as a cross on the athlete's row.
    reference_label : str, default "true value"
    xlabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [y, x, low, high] + ([hue] if hue else []) + ([reference] if reference else []),
             "plot_individual_responses")
    ordered = data.sort_values(x, ignore_index=True)
    ax = _axes(ax, figsize=(7, 0.18 * len(ordered) + 1.5))
    levels = _levels(ordered, hue)
    palette = dict(zip(levels, sns.color_palette("colorblind", len(levels)), strict=True))
    for level in levels:
        part = ordered if level is None else ordered[ordered[hue] == level]
        ax.errorbar(part[x], part.index, xerr=_xerr(part, x, low, high),
                    fmt="o", ms=3, color=palette[level], capsize=0, lw=1,
                    label=None if level is None else str(level))
    if reference is not None:
        ax.scatter(ordered[reference], ordered.index, marker="x", s=22, color="0.15", zorder=3,
                   label=reference_label)
    if swc is not None:
        ax.axvspan(-swc, swc, color="0.88", zorder=0,
                   label=f"smallest worthwhile change (±{swc:.2g})")
    ax.axvline(0, color="0.4", lw=1, ls="--")
    ax.set_yticks(ordered.index, ordered[y], fontsize="x-small")
    return _finish(ax, xlabel or x, legend="lower right")


def plot_event_study(
    data: pd.DataFrame,
    *,
    x: str = "event_time",
    y: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    hue: str | None = None,
    xlabel: str | None = "weeks since the programme start",
    ylabel: str | None = None,
    ax=None,
):
    """Effects by weeks since a programme start with their intervals (an event-study plot).

    Parameters
    ----------
    data : DataFrame
        One row per event time, e.g. ``sol.fit_event_study(...).table`` (rows without an event
        time, such as ``overall``, are skipped).
    x, y, low, high : str
        Event time (weeks; -1 is the reference week), effect and its interval.
    hue : str, optional
        Column separating series (e.g. the outcome or the comparison group), dodged sideways.
    xlabel, ylabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Placebo weeks (before the start) in grey, weeks from the start on in colour, a line at 0
        and a dashed line between week -1 and the start week.
    """
    _require(data, [x, y, low, high] + ([hue] if hue else []), "plot_event_study")
    rows = data.loc[data[x].notna()]
    ax = _axes(ax)
    levels = _levels(rows, hue)
    palette = sns.color_palette("colorblind", len(levels))
    width = 0.3 if len(levels) > 1 else 0.0
    for k, level in enumerate(levels):
        part = (rows if level is None else rows[rows[hue] == level]).sort_values(x)
        shift = (k - (len(levels) - 1) / 2) * width / max(len(levels) - 1, 1)
        xs = part[x].to_numpy(dtype=float) + shift
        err = np.vstack([part[y] - part[low], part[high] - part[y]])
        pre = part[x].to_numpy(dtype=float) < 0
        for mask, colour in ((pre, "0.55"), (~pre, palette[k])):
            ax.errorbar(xs[mask], part[y].to_numpy(dtype=float)[mask], yerr=err[:, mask],
                        fmt="o", ms=4, capsize=2, lw=1, color=colour,
                        label=None if level is None or colour == "0.55" else f"{level}")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(-0.5, color="0.3", lw=0.8, ls="--")
    return _finish(ax, xlabel or x, ylabel or y, legend="best" if hue else None)


def plot_power_curve(
    data: pd.DataFrame,
    *,
    x: str = "n_athletes",
    y: str = "power",
    se: str | None = "mc_se",
    hue: str | None = None,
    target: float | None = 0.8,
    xlabel: str | None = None,
    ax=None,
):
    """Power against a design parameter, with Monte-Carlo error bars and the target power.

    Parameters
    ----------
    data : DataFrame
        One row per design.
    x, y : str
        Design parameter and power (0-1).
    se : str or None
        Column with the Monte-Carlo standard error of the power (bars are ±1.96 SE, clipped to
        0-1).
    hue : str, optional
        Column separating curves (e.g. the effect size or the number of weeks).
    target : float or None
        Horizontal line at the conventional target (0.8).
    xlabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [x, y] + ([se] if se else []) + ([hue] if hue else []), "plot_power_curve")
    ax = _axes(ax)
    levels = _levels(data, hue)
    palette = sns.color_palette("colorblind", len(levels))
    for k, level in enumerate(levels):
        part = (data if level is None else data[data[hue] == level]).sort_values(x)
        if se:  # ±1.96 SE, clipped to the 0-1 range a power can take
            half = 1.96 * part[se].to_numpy(dtype=float)
            p = part[y].to_numpy(dtype=float)
            err = np.vstack([np.minimum(half, p), np.minimum(half, 1 - p)])
        else:
            err = None
        ax.errorbar(part[x], part[y], yerr=err, fmt="-o", color=palette[k], capsize=3,
                    label=None if level is None else f"{hue} = {level}")
    if target is not None:
        ax.axhline(target, color="0.4", lw=1, ls="--")
    ax.set_ylim(0, 1.02)
    return _finish(ax, xlabel or x, "power", legend="lower right" if hue else None)


def plot_series_fit(
    data: pd.DataFrame,
    *,
    x: str,
    observed: str,
    fitted: str,
    split: object | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    ax=None,
):
    """Observed values and a model's fitted series over time (e.g. a fitness-fatigue fit).

    Parameters
    ----------
    data : DataFrame
        One row per time point.
    x, observed, fitted : str
    split : value of ``x``, optional
        Where the training window ends and the out-of-sample test begins (vertical line).
    xlabel, ylabel : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(data, [x, observed, fitted], "plot_series_fit")
    ax = _axes(ax, figsize=(8, 3.5))
    ax.scatter(data[x], data[observed], s=10, color="0.45", label="observed")
    ax.plot(data[x], data[fitted], color="C1", lw=2, label="model")
    if split is not None:
        ax.axvline(split, color="0.4", lw=1, ls="--", label="out-of-sample from here")
    return _finish(ax, xlabel or x, ylabel or observed)


def plot_daily_loads(
    data: pd.DataFrame,
    *,
    x: str = "date",
    load: str = "load_au",
    acute: str = "acute_ewma_au",
    chronic: str = "chronic_ewma_au",
    fitness: str = "ctl_au",
    fatigue: str = "atl_au",
    form: str = "tsb_au",
    monotony: str = "monotony",
    strain: str = "strain_au",
    burn_in: str | None = "pmc_burn_in",
    title: str | None = None,
    axes=None,
):
    """One athlete's daily training loads in three stacked panels sharing the time axis.

    Top: daily load (bars; missing days, which are not rest days, leave a gap) with the acute and
    chronic averages. Middle: the performance-management chart, fitness (CTL), fatigue (ATL)
    and form (TSB), with its burn-in shaded. Bottom: Foster's monotony (left axis) and strain
    (right axis). The smoothing conventions are read from the table (``ewma_convention``
    column, ``attrs["pmc_convention"]``) and written in the legends.

    Parameters
    ----------
    data : DataFrame
        One athlete's rows of :func:`soleus_analysis.training_loads` (``study.daily_loads``).
    x, load, acute, chronic, fitness, fatigue, form, monotony, strain : str
        Columns.
    burn_in : str or None
        Boolean column marking the PMC burn-in days (shaded).
    title : str, optional
    axes : sequence of three matplotlib Axes, optional

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        The three panels, top to bottom.
    """
    _require(data, [x, load, acute, chronic, fitness, fatigue, form, monotony, strain]
             + ([burn_in] if burn_in else []), "plot_daily_loads")
    if "athlete_id" in data.columns and data["athlete_id"].nunique() > 1:
        raise ValueError(
            "plot_daily_loads: the table holds several athletes "
            f"({', '.join(map(str, data['athlete_id'].unique()[:5]))}, ...); "
            "select one, e.g. data[data['athlete_id'] == 'A001']"
        )
    if axes is None:
        _, axes = plt.subplots(3, 1, figsize=(9, 7.5), sharex=True, layout="constrained")
    axes = np.asarray(axes).ravel()
    d = data.sort_values(x)
    t = pd.to_datetime(d[x])
    ewma = d["ewma_convention"].dropna().iloc[0] if "ewma_convention" in d and d[
        "ewma_convention"].notna().any() else None
    pmc_conv = data.attrs.get("pmc_convention")
    palette = sns.color_palette("colorblind", 6)
    top, mid, low = axes[:3]
    top.bar(t, d[load], width=0.8, color="0.75", label="daily load")
    suffix = f" ({ewma} EWMA)" if ewma else ""
    top.plot(t, d[acute], color=palette[0], lw=2, label=f"acute, 7 d{suffix}")
    top.plot(t, d[chronic], color=palette[1], lw=2, label=f"chronic, 28 d{suffix}")
    top.set_ylabel("session-RPE load [AU]")
    _legend(top, "upper left")
    if burn_in and d[burn_in].any():
        shaded = t[d[burn_in].to_numpy(dtype=bool)]
        mid.axvspan(shaded.min(), shaded.max(), color="0.92", zorder=0, label="PMC burn-in")
    pmc_suffix = f" ({pmc_conv})" if pmc_conv else ""
    mid.plot(t, d[fitness], color=palette[2], lw=2, label=f"fitness (CTL, 42 d){pmc_suffix}")
    mid.plot(t, d[fatigue], color=palette[3], lw=1.5, label="fatigue (ATL, 7 d)")
    mid.plot(t, d[form], color=palette[4], lw=1.5, ls="--", label="form (TSB)")
    mid.axhline(0, color="0.5", lw=0.8)
    mid.set_ylabel("load [AU/day]")
    _legend(mid, "upper left")
    low.plot(t, d[monotony], color=palette[5], lw=1.5, label="monotony (7 d)")
    low.set_ylabel("monotony")
    right = low.twinx()
    right.plot(t, d[strain], color="0.35", lw=1, label="strain [AU]")
    right.set_ylabel("strain [AU]")
    handles = low.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    _legend(low, "upper left", handles[0] + more[0], handles[1] + more[1])
    low.set_xlabel("date")
    if title:
        top.set_title(title)
    return axes
