"""One HTML page per athlete of a built study: the page a coach opens.

The pages follow what coaching tools show for one athlete (GoldenCheetah's performance-management
chart, intervals.icu's fitness page, the Athlytics R package's ACWR and decoupling plots): fitness,
fatigue and form; the acute:chronic workload ratio; the weekly soleus dose by programme week; the
efficiency factor and aerobic decoupling of the runs; and the wellness reports. Nothing is computed
here that the build has not computed: the daily loads, PMC and ACWR come from
``daily_loads.parquet`` (:func:`soleus_analysis.training_loads`), the weekly dose from the
athlete-week panel, the programme start from :func:`soleus_analysis.programme_start` and the per-run
metrics from :func:`soleus_analysis.run_metrics`. The page only draws and describes them.

A page is one self-contained file: figures are PNG images inside it (base64), there is no
JavaScript, and every string that comes from the data (athlete ids come from users' files) is
HTML-escaped and never drawn into a figure (matplotlib would read ``$...$`` in an id as
mathematics). A section whose data the athlete lacks says in one sentence what is missing. The
bytes of a page depend only on the build: no time stamp, no path, no software version.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from soleus_analysis.build.output import output_lock
from soleus_analysis.dose import programme_start
from soleus_analysis.errors import InputError
from soleus_analysis.running import run_metrics

__all__ = ["AthletePage", "athlete_section", "page_names", "write_athlete_pages"]

#: The wellness measures a page shows, with their labels, in this order.
WELLNESS = {
    "fatigue": "fatigue",
    "soreness": "soreness",
    "readiness": "readiness",
    "sleep_quality": "sleep quality",
    "sleep_duration_h": "sleep [h]",
}
#: Wellness ratings on a 1-5 scale (schema ``wellness``), drawn together.
RATINGS_1_5 = ("fatigue", "soreness", "sleep_quality")
#: The ACWR band drawn on the chart (Gabbett 2016's "sweet spot").
ACWR_BAND = (0.8, 1.3)
#: Friel's threshold of aerobic decoupling for a well-built aerobic base [%].
DECOUPLING_LIMIT = 5.0
_DPI = 72
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class AthletePage(NamedTuple):
    """One written page: the athlete's id and the page's file name (inside ``out_dir``)."""

    athlete: str
    file: str


# ---------------------------------------------------------------------------------------------
# file names
# ---------------------------------------------------------------------------------------------
def page_names(athletes: Iterable[str]) -> dict[str, str]:
    """A safe, unique file name for every athlete's page.

    Athlete ids come from users' files: an id may hold ``/``, ``..``, spaces or characters a file
    system refuses. The name keeps letters, digits, ``_`` and ``-`` (``athlete-A001.html``);
    anything else becomes ``_`` and the name gets 8 hex digits of the id's SHA-256, so that
    ``../x`` and ``__x`` stay two pages. Names that differ only in case (the same file on macOS
    and Windows) get the hash too. No name holds a path separator or a dot before ``.html``, so a
    page is always written inside the output folder.

    Parameters
    ----------
    athletes : iterable of str
        Athlete ids; named in sorted order, so the names do not depend on the input order.

    Returns
    -------
    dict of str to str
        Athlete id -> file name.

    Examples
    --------
    >>> page_names(["A001", "../etc/passwd"])
    {'../etc/passwd': 'athlete-etc_passwd-7fef78f5.html', 'A001': 'athlete-A001.html'}
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for athlete in sorted({str(a) for a in athletes}):
        stem = _UNSAFE.sub("_", athlete).strip("_")[:60] or "athlete"
        name = f"athlete-{stem}"
        digest = hashlib.sha256(athlete.encode("utf-8")).hexdigest()
        digits = 8 if stem != athlete or name.lower() in used else 0
        while digits and f"athlete-{stem}-{digest[:digits]}".lower() in used:
            digits += 4  # two ids alike in their first hex digits: take more of them
        if digits:
            name = f"athlete-{stem}-{digest[:digits]}"
        used.add(name.lower())
        names[athlete] = f"{name}.html"
    return names


# ---------------------------------------------------------------------------------------------
# reading the build
# ---------------------------------------------------------------------------------------------
_FILES = {
    "panel": "athlete_week.parquet",
    "athletes": "athletes.parquet",
    "daily": "daily_loads.parquet",
    "runs": "runs.parquet",
    "sessions": "sessions.parquet",
    "wellness": "wellness.parquet",
    "dose": "dose_per_set.parquet",
}


def _read_build(processed: Path) -> tuple[dict[str, pd.DataFrame | None], dict]:
    if not (processed / _FILES["panel"]).exists():
        raise InputError(
            "no build of a study here (no athlete_week.parquet)",
            path=processed,
            fix="run `soleus build STUDY --out FOLDER` and give that folder",
        )
    with output_lock(processed, shared=True):  # never half of one build and half of another
        tables = {
            key: pd.read_parquet(processed / name) if (processed / name).exists() else None
            for key, name in _FILES.items()
        }
        report = processed / "build_report.json"
        parameters = (
            json.loads(report.read_text(encoding="utf-8")).get("parameters", {})
            if report.exists()
            else {}
        )
    return tables, parameters


class _ByAthlete(dict):
    """A table split by athlete once (selecting each athlete from the whole table costs
    athletes x rows); an athlete without rows gets an empty frame with the table's columns."""

    def __init__(self, frame: pd.DataFrame | None):
        if frame is None or "athlete_id" not in frame.columns:
            super().__init__()
            self.empty = pd.DataFrame()
        else:
            super().__init__(iter(frame.groupby(frame["athlete_id"].astype(str), sort=False)))
            self.empty = frame.iloc[:0]

    def __missing__(self, athlete: str) -> pd.DataFrame:
        return self.empty


def _rows(groups: _ByAthlete, athlete: str) -> pd.DataFrame:
    return groups[athlete]


# ---------------------------------------------------------------------------------------------
# figures and HTML pieces
# ---------------------------------------------------------------------------------------------
def _figure(rows: int = 1, height: float = 3.0, *, right: float = 0.2, **kwargs):
    """A figure of ``rows`` panels, with room above each panel for its legend (:func:`_legend`)."""
    # A Figure without pyplot (no global state, nothing kept alive between pages) and fixed
    # margins in inches: a constrained layout measures every label again and doubled the time.
    from matplotlib.figure import Figure

    width = 8.5
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(rows, 1, squeeze=False, **kwargs)[:, 0]
    fig.subplots_adjust(
        left=0.75 / width,
        right=1 - right / width,
        bottom=0.45 / height,
        top=1 - 0.4 / height,
        hspace=0.65 / (height / rows),
    )
    return fig, axes


def _legend(ax) -> None:
    # Above the panel, in one row: inside it, a legend hides the start of the series.
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=4, fontsize="small",
              frameon=False, borderaxespad=0.1, handlelength=1.5)


def _img(fig, alt: str) -> str:
    buffer = io.BytesIO()
    # No "Software" entry (it names the matplotlib version); Agg writes no time stamp.
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def _missing(text: str) -> str:
    return _p(text, "missing")


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>\n{body}\n</section>'


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def _no_load(athlete: str, tables: dict) -> str:
    """Why an athlete has no session-RPE load: what was logged, and what the load needs."""
    logged = sum(len(_rows(tables[t], athlete)) for t in ("sessions", "runs"))
    if logged:
        return (
            f"{_count(logged, 'session or run', 'sessions and runs')} logged, none with an RPE "
            "and a duration; the load is session RPE x minutes, so it needs an RPE (0-10) "
            "logged after each session."
        )
    return (
        "no session or run logged; the load is session RPE x minutes of sessions rated with an "
        "RPE (0-10)."
    )


def _pmc_section(athlete: str, daily: pd.DataFrame, tables: dict) -> str:
    title = "Fitness, fatigue and form"
    if daily.empty:
        why = _no_load(athlete, tables)
        return _section("pmc", title, _missing(f"No fitness/fatigue/form chart: {why}"))
    if not daily["ctl_au"].notna().any():
        recorded = int(daily["load_au"].notna().sum())
        return _section(
            "pmc",
            title,
            _missing(
                f"No fitness/fatigue/form: {_count(recorded, 'day')} of load recorded, too few "
                "for the averages (at least 5 of every 7 days)."
            ),
        )
    fig, (top, mid) = _figure(2, 5.0, sharex=True, height_ratios=[1, 2])
    t = pd.to_datetime(daily["date"])
    # One thin line per day (a single collection: bars cost a patch each); a missing day has none.
    load = daily["load_au"].to_numpy(dtype=float)
    top.vlines(t, 0, np.nan_to_num(load), color="0.6", lw=1.5)
    top.set_ylabel("load [AU]")
    top.set_ylim(bottom=0)
    burn = daily.get("pmc_burn_in", pd.Series(False, index=daily.index)).to_numpy(dtype=bool)
    if burn.any():
        mid.axvspan(t[burn].min(), t[burn].max(), color="0.93", zorder=0, label="burn-in")
    mid.plot(t, daily["ctl_au"], color="#009e73", lw=2, label="fitness (CTL, 42 d)")
    mid.plot(t, daily["atl_au"], color="#d55e00", lw=1.2, label="fatigue (ATL, 7 d)")
    mid.plot(t, daily["tsb_au"], color="#cc79a7", lw=1.2, ls="--", label="form (TSB)")
    mid.axhline(0, color="0.5", lw=0.8)
    mid.set_ylabel("load [AU/day]")
    _legend(mid)
    _date_axis(mid)
    last = daily[daily["ctl_au"].notna()].iloc[-1]
    text = (
        f"On {_day(last['date'])}: fitness (CTL) {last['ctl_au']:.0f}, fatigue (ATL) "
        f"{last['atl_au']:.0f}, form (TSB) {last['tsb_au']:.0f} AU/day."
    )
    if burn[-1]:
        text += (
            " The record is still in the burn-in (the first 3 x 42 days, shaded): fitness is "
            "biased low."
        )
    intro = _p(
        "Daily session-RPE load (top; days without a record have no line and are not rest "
        "days). Below, fitness (42-day exponentially weighted average of the load), fatigue "
        "(7-day average) and form (yesterday's fitness minus fatigue; negative = carrying "
        "fatigue), as in GoldenCheetah and intervals.icu."
    )
    return _section("pmc", title, intro + _img(fig, "fitness, fatigue and form") + _p(text))


def _acwr_section(athlete: str, daily: pd.DataFrame, tables: dict, parameters: dict) -> str:
    title = "Acute:chronic workload ratio"
    acute, chronic = parameters.get("acute_days", 7), parameters.get("chronic_days", 28)
    if daily.empty:
        return _section("acwr", title, _missing(f"No ACWR: {_no_load(athlete, tables)}"))
    ratio = daily["acwr_ewma"] if "acwr_ewma" in daily else pd.Series(np.nan, index=daily.index)
    if not ratio.notna().any():
        recorded = int(daily["load_au"].notna().sum())
        return _section(
            "acwr",
            title,
            _missing(
                f"No ACWR: it needs {chronic} days of load with at least 5 of every 7 recorded; "
                f"the athlete has {_count(recorded, 'recorded day')}."
            ),
        )
    fig, (ax,) = _figure(1, 3.0)
    t = pd.to_datetime(daily["date"])
    warm = daily.get("ewma_warmup", pd.Series(False, index=daily.index)).fillna(False)
    warm = warm.to_numpy(dtype=bool)
    low, high = ACWR_BAND
    ax.axhspan(low, high, color="#d9f0d3", zorder=0, label=f"{low}-{high}")
    ax.plot(t, ratio.where(~warm), color="#0072b2", lw=1.8, label="EWMA ratio")
    if ratio[warm].notna().sum() > 1:  # a line needs two days; the default start leaves one
        ax.plot(t, ratio.where(warm), color="#0072b2", lw=1, ls=":", label="EWMA warm-up")
    if "acwr_coupled" in daily and daily["acwr_coupled"].notna().any():
        ax.plot(t, daily["acwr_coupled"], color="0.55", lw=1, label="rolling-average ratio")
    ax.set_ylabel("acute : chronic")
    ax.set_ylim(bottom=0)
    _legend(ax)
    _date_axis(ax)
    shown = ratio.where(~warm)
    inside = shown.between(low, high)
    n = int(shown.notna().sum())
    text = (
        f"{inside.sum() / n:.0%} of the {_count(n, 'day')} with a ratio (after the warm-up) fall "
        f"inside {low}-{high}."
        if n
        else "Every ratio so far is in the EWMA warm-up."
    )
    intro = _p(
        f"Acute ({acute}-day) over chronic ({chronic}-day) load, from exponentially weighted "
        f"averages ({parameters.get('ewma_convention', 'williams')} convention, blue) and from "
        "rolling averages (grey)."
    )
    caveat = _p(
        f"Caveat: the {low}-{high} band comes from team-sport injury studies (Gabbett 2016) and "
        "the ratio itself is contested (Lolli et al. 2019; Impellizzeri et al. 2020): read it "
        "as how recent load compares with the last weeks, not as an injury risk.",
        "caveat",
    )
    figure = _img(fig, "acute:chronic workload ratio")
    return _section("acwr", title, intro + figure + _p(text) + caveat)


def _dose_section(athlete: str, panel: pd.DataFrame, tables: dict) -> str:
    title = "Weekly soleus dose by programme week"
    sets = _rows(tables["dose"], athlete)
    if panel.empty or sets.empty:
        return _section(
            "dose", title, _missing("No soleus dose: the athlete logged no strength sets.")
        )
    if not (panel["soleus_sets"].fillna(0) > 0).any():
        unknown = int((~sets["mapped"].astype(bool)).sum()) if "mapped" in sets else 0
        names = (
            f" ({unknown} with an exercise name the catalog does not know)" if unknown else ""
        )
        return _section(
            "dose",
            title,
            _missing(
                f"No soleus dose: {_count(len(sets), 'strength set')} logged{names}, none a "
                "hard set of a calf (plantar-flexor) exercise."
            ),
        )
    first = panel["week_start"].min()
    week = (pd.to_datetime(panel["week_start"]) - first).dt.days // 7 + 1
    start = programme_start(sets, athletes=[athlete]).iloc[0]
    fig, (ax,) = _figure(1, 3.0)
    ax.bar(week, panel["soleus_sets"].fillna(0), color="#009e73", width=0.8,
           label="soleus-weighted hard sets")
    if "calf_sets" in panel:
        ax.step(week, panel["calf_sets"], where="mid", color="0.3", lw=1,
                label="calf hard sets (unweighted)")
    if pd.notna(start["programme_start"]):
        begins = (pd.Timestamp(start["programme_start"]) - first).days // 7 + 1
        ax.axvline(begins - 0.5, color="#d55e00", ls="--", lw=1.2, label="programme starts")
    ax.set_xlabel(f"programme week (week 1 = week of {_day(first)})")
    ax.set_ylabel("sets per week")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(0.4, max(int(week.max()), 1) + 0.6)
    _legend(ax)
    logged = panel["soleus_sets"].notna()
    total = panel["soleus_sets"].sum()
    text = (
        f"{total:.1f} soleus-weighted hard sets in {_count(int(logged.sum()), 'week')} with a "
        f"strength log ({total / logged.sum():.1f} a week); weeks without a strength log are "
        "blank, not zero."
    )
    if pd.notna(start["programme_start"]):
        text += (
            f" Soleus programme from week {begins} ({_day(start['programme_start'])}): the first "
            f"of {_count(int(start['soleus_biased_weeks']), 'week')} with bent-knee hard sets."
        )
    else:
        text += (
            f" No soleus programme: bent-knee hard sets in "
            f"{_count(int(start['soleus_biased_weeks']), 'week')}, 3 needed."
        )
    intro = _p(
        "Hard sets of plantar-flexor exercises, each weighted by the exercise's share of soleus "
        "work (seated and bent-knee raises count most), per week since the athlete's first week "
        "in the data."
    )
    return _section("dose", title, intro + _img(fig, "weekly soleus dose") + _p(text))


def _running_section(runs: pd.DataFrame, athletes: pd.DataFrame | None, tz: str) -> str:
    title = "Efficiency factor and aerobic decoupling"
    if runs.empty:
        return _section("running", title, _missing("No runs recorded."))
    m = run_metrics(runs, athletes, tz=tz).sort_values("start", kind="stable")
    ef = m["efficiency_factor_m_per_beat"]
    dec = m["decoupling_pct"]
    n = len(m)
    if not ef.notna().any():
        return _section(
            "running",
            title,
            _missing(
                f"No efficiency factor: none of the {_count(n, 'run')} has a heart rate "
                "(EF is speed over heart rate)."
            ),
        )
    has_dec = dec.notna().any()
    fig, axes = _figure(2 if has_dec else 1, 5.0 if has_dec else 2.8, sharex=True)
    t = pd.to_datetime(m["date"])
    ax = axes[0]
    stream = (m["ef_source"] == "stream").to_numpy()
    for mask, fill, label in [(stream, None, "from the record stream"),
                              (~stream, "none", "from the run's averages")]:
        if ef[mask].notna().any():  # no legend entry for a kind of point the chart lacks
            ax.plot(t[mask], ef[mask], "o", mfc=fill, color="#0072b2", ms=4, label=label)
    trend = ef.set_axis(t).dropna().rolling("28D", min_periods=3).median()
    if trend.notna().any():
        ax.plot(trend.index, trend.to_numpy(), color="0.2", lw=1.5, label="28-day median")
    ax.set_ylabel("EF [m/beat]")
    _legend(ax)
    if has_dec:
        ax = axes[1]
        long = m["long_run"].to_numpy(dtype=bool)
        ax.axhline(DECOUPLING_LIMIT, color="#d55e00", ls="--", lw=1,
                   label=f"{DECOUPLING_LIMIT:g} %")
        for mask, fill, label in [(long, None, "long run (60 min and more)"),
                                  (~long, "none", "shorter run")]:
            if dec[mask].notna().any():
                ax.plot(t[mask], dec[mask], "o", mfc=fill, color="#cc79a7", ms=4, label=label)
        ax.set_ylabel("decoupling [%]")
        _legend(ax)
    _date_axis(axes[-1])
    n_ef = int(ef.notna().sum())
    text = (
        f"{_count(n, 'run')}, {n_ef} with an efficiency factor (median "
        f"{ef.median():.2f} m/beat)"
    )
    text += (
        f"; {int(dec.notna().sum())} with decoupling (median {dec.median():.1f} %)."
        if has_dec
        else "; none with decoupling, which needs a record stream with heart rate (GPX, FIT, "
        "TCX)."
    )
    dated = ef.set_axis(t).dropna()
    early = dated[dated.index < dated.index.min() + pd.Timedelta(days=28)]
    late = dated[dated.index > dated.index.max() - pd.Timedelta(days=28)]
    # Compared only when the two 4-week windows do not overlap and hold 3 runs or more each.
    if dated.index.max() - dated.index.min() >= pd.Timedelta(days=56) and min(
        len(early), len(late)
    ) >= 3:
        text += (
            f" Median EF {early.median():.2f} m/beat in the first 4 weeks of runs "
            f"({_count(len(early), 'run')}), {late.median():.2f} in the last 4 "
            f"({_count(len(late), 'run')}); higher is more metres per heartbeat."
        )
    intro = _p(
        "Efficiency factor: metres run per heartbeat (higher = more efficient). Aerobic "
        f"decoupling: how much heart rate drifts against pace from the first to the second half "
        f"of a run (Friel: under {DECOUPLING_LIMIT:g} % on long steady runs suggests a solid "
        "aerobic base)."
    )
    figure = _img(fig, "efficiency factor and decoupling")
    return _section("running", title, intro + figure + _p(text))


def _wellness_section(wellness: pd.DataFrame) -> str:
    title = "Wellness"
    if wellness.empty:
        return _section("wellness", title, _missing("No wellness reports."))
    present = [c for c in WELLNESS if c in wellness and wellness[c].notna().any()]
    if not present:
        return _section(
            "wellness",
            title,
            _missing(
                f"{_count(len(wellness), 'wellness report')}, none with fatigue, soreness, "
                "readiness or sleep."
            ),
        )
    w = wellness.sort_values("date", kind="stable")
    t = pd.to_datetime(w["date"])
    ratings = [c for c in present if c in RATINGS_1_5]
    panels = ([ratings] if ratings else []) + [[c] for c in present if c not in RATINGS_1_5]
    fig, axes = _figure(len(panels), 1.3 + 1.5 * len(panels), sharex=True)
    colours = dict(zip(RATINGS_1_5, ["#d55e00", "#cc79a7", "#009e73"], strict=True))
    for ax, columns in zip(axes, panels, strict=True):
        for column in columns:
            values = w[column].astype(float).set_axis(t).dropna()
            mean = values.rolling("7D", min_periods=3).mean()
            if columns is ratings:  # several ratings on one scale: their 7-day means only
                ax.plot(mean.index, mean.to_numpy(), color=colours[column], lw=1.5,
                        label=WELLNESS[column])
            else:
                ax.plot(values.index, values.to_numpy(), ".", color="0.6", ms=3)
                ax.plot(mean.index, mean.to_numpy(), color="#0072b2", lw=1.5)
                ax.set_ylabel(WELLNESS[column])
        if columns is ratings:
            ax.set_ylim(0.8, 5.2)
            ax.set_ylabel("rating (1-5)")
            _legend(ax)
    _date_axis(axes[-1])
    absent = [WELLNESS[c] for c in WELLNESS if c not in present]
    days = w["date"].nunique()
    text = f"{_count(days, 'day')} with a report, from {_day(t.min())} to {_day(t.max())}."
    if absent:
        text += f" Not reported: {', '.join(absent)}."
    sources = set(w.get("source", pd.Series(dtype=object)).dropna().astype(str))
    scale = (
        " PMSys ratings are 1-5 with 5 the best (fresh, not sore, slept well)."
        if "pmsys" in sources
        else ""
    )
    intro = _p(
        "Ratings as logged: the 1-5 ratings as 7-day means; other measures as daily values "
        "(grey dots) with their 7-day mean (blue line)." + scale
    )
    return _section("wellness", title, intro + _img(fig, "wellness ratings") + _p(text))


def _summary(athlete: str, panel: pd.DataFrame, tables: dict, daily: pd.DataFrame) -> str:
    rows: list[tuple[str, str]] = []
    if not panel.empty:
        first, last = panel["week_start"].min(), panel["week_start"].max()
        rows.append(("weeks in the data", f"{len(panel)} ({_day(first)} to week of {_day(last)})"))
    runs = _rows(tables["runs"], athlete)
    km = pd.to_numeric(runs.get("distance_m", pd.Series(dtype=float))).sum() / 1000
    rows.append(("runs", f"{len(runs)} ({km:.0f} km)" if len(runs) else "0"))
    rows.append(("strength sets logged", f"{len(_rows(tables['dose'], athlete))}"))
    load_days = int(daily["load_au"].notna().sum()) if not daily.empty else 0
    rows.append(("days with session-RPE load", f"{load_days}"))
    wellness = _rows(tables["wellness"], athlete)
    report_days = wellness["date"].nunique() if not wellness.empty else 0
    rows.append(("days with a wellness report", f"{report_days}"))
    info = _rows(tables["athletes"], athlete)
    if not info.empty and "sex" in info and pd.notna(info["sex"].iloc[0]):
        rows.append(("sex", str(info["sex"].iloc[0])))
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f'<table class="summary"><tbody>{body}</tbody></table>'


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table.summary { border-collapse: collapse; }
table.summary th, table.summary td { text-align: left; padding: .25rem .8rem .25rem 0;
       border-bottom: 1px solid #ddd; }
table.summary th { font-weight: normal; color: #555; }
img { max-width: 100%; height: auto; }
.missing { color: #555; font-style: italic; }
.caveat { font-size: .9rem; color: #444; }
nav a { margin-right: 1rem; }
"""


def _page(athlete: str, body: str, index_href: str | None) -> str:
    name = html.escape(athlete)
    back = f'<p><a href="{html.escape(index_href)}">all reports</a></p>' if index_href else ""
    nav = " ".join(
        f'<a href="#{key}">{label}</a>'
        for key, label in [("pmc", "fitness"), ("acwr", "ACWR"), ("dose", "soleus dose"),
                           ("running", "efficiency"), ("wellness", "wellness")]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Athlete {name}</title>
<style>{_STYLE}</style></head><body>
{back}<h1>Athlete {name}</h1>
<nav>{nav}</nav>
{body}
</body></html>
"""


# ---------------------------------------------------------------------------------------------
# the public functions
# ---------------------------------------------------------------------------------------------
def write_athlete_pages(
    processed_dir: str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    athletes: Iterable[str] | None = None,
    index_href: str | None = None,
) -> list[AthletePage]:
    """Write one HTML page per athlete of a built study.

    Parameters
    ----------
    processed_dir : path
        A build's output folder (``soleus build ... --out``, ``data/processed/<study>``).
    out_dir : path
        Where the pages go (created if needed); file names from :func:`page_names`.
    athletes : iterable of str, optional
        Athletes to write; default every athlete of the panel and of the athletes table.
    index_href : str, optional
        A link back to an index page, put at the top of every page (e.g. ``"../index.html"``).

    Returns
    -------
    list of AthletePage
        ``(athlete, file)`` per page, sorted by athlete.

    Raises
    ------
    InputError
        When ``processed_dir`` holds no build.

    Examples
    --------
    >>> pages = write_athlete_pages("data/processed/demo-cohort", "out")  # doctest: +SKIP
    >>> pages[0]  # doctest: +SKIP
    AthletePage(athlete='A001', file='athlete-A001.html')
    """
    whole, parameters = _read_build(Path(processed_dir))
    tables = {key: _ByAthlete(frame) for key, frame in whole.items()}
    if athletes is None:
        athletes = set(tables["panel"]) | set(tables["athletes"])
    names = page_names(athletes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tz = parameters.get("tz", "UTC")
    pages = []
    for athlete, name in sorted(names.items()):
        target = out / name
        if target.resolve().parent != out.resolve():  # page_names makes this impossible
            raise InputError(f"athlete {athlete!r} would be written outside {out}", path=target)
        panel = _rows(tables["panel"], athlete).sort_values("week_start", kind="stable")
        daily = _rows(tables["daily"], athlete).sort_values("date", kind="stable")
        body = "\n".join(
            [
                _summary(athlete, panel, tables, daily),
                _pmc_section(athlete, daily, tables),
                _acwr_section(athlete, daily, tables, parameters),
                _dose_section(athlete, panel, tables),
                _running_section(_rows(tables["runs"], athlete), whole["athletes"], tz),
                _wellness_section(_rows(tables["wellness"], athlete)),
            ]
        )
        target.write_text(_page(athlete, body, index_href), encoding="utf-8")
        pages.append(AthletePage(athlete, name))
    return pages


def athlete_section(
    processed_dir: str | PathLike[str] | None, reports_dir: str | PathLike[str]
) -> str:
    """Write the athlete pages of a report run and return the index's "Athletes" section.

    The pages go to ``<reports_dir>/athletes/`` and link back to ``../index.html``; pages of an
    earlier run whose athletes are gone (``athlete-*.html`` files of that folder) are removed, so
    the folder matches the index. Pages that cannot be written do not stop the report: the
    section then says why, as a failed notebook does.

    Parameters
    ----------
    processed_dir : path or None
        The build the notebooks read (their ``PROCESSED_DIR``); None: no section.
    reports_dir : path
        The reports folder (holds ``index.html``).

    Returns
    -------
    str
        HTML of the section; empty when ``processed_dir`` is None.
    """
    if processed_dir is None:
        return ""
    folder = Path(reports_dir) / "athletes"
    try:
        pages = write_athlete_pages(processed_dir, folder, index_href="../index.html")
    except Exception as exc:  # the notebooks' reports are still worth having
        error = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
        return (
            "<h2>Athletes</h2>"
            f'<p class="fail">The athlete pages failed: {html.escape(error)}</p>'
        )
    written = {p.file for p in pages}
    for stale in folder.glob("athlete-*.html"):
        if stale.name not in written:
            stale.unlink()
    links = "".join(
        f'<li><a href="athletes/{html.escape(p.file)}">{html.escape(p.athlete)}</a></li>'
        for p in pages
    )
    return (
        f"<h2>Athletes</h2><p>One page per athlete ({len(pages)}): fitness, fatigue and form; "
        "ACWR; weekly soleus dose by programme week; efficiency factor and decoupling; "
        f"wellness.</p><ul style=\"columns: 12rem\">{links}</ul>"
    )
