"""Critical speed and D': mean-maximal speeds, effort selection, recovery of a planted CS/D'."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.outcomes.speed_duration import efforts

DATA = Path(__file__).parent / "data"


def _trial_run(duration, speed, *, warmup=600, cooldown=480, easy=2.6, rng=None, jitter=0.0):
    """A 1-Hz stream: easy warm-up, a maximal effort of `duration` s at `speed`, easy cool-down."""
    t = np.arange(0, warmup + duration + cooldown + 1, dtype=float)
    v = np.where(t <= warmup, easy, np.where(t <= warmup + duration, speed, easy - 0.3))
    if jitter and rng is not None:
        v = v * (1 + rng.normal(0, jitter, len(v)))
        v[(t > warmup) & (t <= warmup + duration)] = speed  # the effort itself is even-paced
    dist = np.r_[0.0, np.cumsum(v[1:])]
    return pd.DataFrame({"elapsed_s": t, "distance_m": dist,
                         "time": pd.Timestamp("2024-03-04 07:00", tz="UTC")
                         + pd.to_timedelta(t, unit="s")})


def _study(rng, cs, d_prime, durations, sd_m, spacing_days=2):
    parts = []
    for k, T in enumerate(durations):
        distance = d_prime + cs * T + rng.normal(0, sd_m)
        run = _trial_run(T, distance / T, rng=rng, jitter=0.03)
        run["time"] = run["time"] + pd.Timedelta(days=spacing_days * k)
        parts.append(run.assign(athlete_id="x", run_id=f"trial{k}"))
    return pd.concat(parts, ignore_index=True)


def test_mean_max_speed_equals_brute_force():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.8, 1.2, 1500))  # irregular sampling
    t -= t[0]
    d = np.cumsum(rng.uniform(2.0, 4.5, 1500))
    s = pd.DataFrame({"elapsed_s": t, "distance_m": d})
    out = sol.mean_max_speed(s, durations=[120, 300, 600])
    grid = np.arange(np.ceil(t[0]), np.floor(t[-1]) + 1)
    dist = np.interp(grid, t, d)
    for dur, got in zip([120, 300, 600], out["speed_m_s"], strict=True):
        best = max(dist[i + dur] - dist[i] for i in range(len(dist) - dur)) / dur
        assert got == pytest.approx(best)
    assert out["speed_m_s"].is_monotonic_decreasing or out["speed_m_s"].diff().max() <= 1e-12
    short = sol.mean_max_speed(s.iloc[:50], durations=[120])
    assert np.isnan(short["speed_m_s"].iloc[0])


def test_one_effort_per_run_at_its_own_duration():
    rng = np.random.default_rng(1)
    st = _study(rng, 4.0, 200.0, [150, 270, 420, 600, 840], sd_m=0.0)
    curve = sol.mean_max_curve(st)
    fit = sol.fit_critical_speed(curve)
    assert fit.points["duration_s"].tolist() == [150, 270, 420, 600, 840]
    t = fit.table.set_index("term")
    assert t.loc["critical_speed", "estimate"] == pytest.approx(4.0, abs=1e-6)
    assert t.loc["d_prime", "estimate"] == pytest.approx(200.0, abs=1e-3)
    hyper = sol.fit_critical_speed(curve, model="hyperbolic").table.set_index("term")
    assert hyper.loc["critical_speed", "estimate"] == pytest.approx(4.0, abs=1e-4)
    # the envelope's longest-duration rule alone would put a diluted point past each effort
    first = efforts(curve)
    assert first["duration_s"].iloc[0] > 150


def _coverage(n_rep, seed):
    rng = np.random.default_rng(seed)
    hit_cs = hit_dp = 0
    est = []
    for _ in range(n_rep):
        cs = rng.uniform(3.2, 4.8)
        dp = rng.uniform(120, 300)
        # one trial in each of five duration bands (a CS protocol spreads its trials)
        edges = [130, 210, 300, 450, 630, 890]
        durations = [int(rng.integers(lo, hi) // 5 * 5) for lo, hi in zip(edges, edges[1:])]
        fit = sol.fit_critical_speed(sol.mean_max_curve(_study(rng, cs, dp, durations, 25.0)))
        t = fit.table.set_index("term")
        hit_cs += t.loc["critical_speed", "ci_low"] <= cs <= t.loc["critical_speed", "ci_high"]
        hit_dp += t.loc["d_prime", "ci_low"] <= dp <= t.loc["d_prime", "ci_high"]
        est.append(t.loc["critical_speed", "estimate"] - cs)
    return hit_cs / n_rep, hit_dp / n_rep, np.array(est)


def test_recovery_of_planted_critical_speed_small():
    """40 athletes x 5 time trials (2-15 min), distance noise SD 25 m; MC SE of coverage 0.034."""
    cov_cs, cov_dp, err = _coverage(40, 42)
    assert 0.86 <= cov_cs <= 1.0 and 0.86 <= cov_dp <= 1.0
    assert abs(err.mean()) < 3 * err.std(ddof=1) / np.sqrt(len(err)) + 0.01


@pytest.mark.slow
def test_recovery_of_planted_critical_speed_full():
    """1000 athletes: coverage of the 95% t intervals in 93-97% (MC SE 0.007)."""
    cov_cs, cov_dp, err = _coverage(1000, 7)
    print(f"CS coverage {cov_cs:.3f}, D' coverage {cov_dp:.3f}, bias {err.mean():.4f} m/s")
    assert 0.93 <= cov_cs <= 0.97 and 0.93 <= cov_dp <= 0.97


def test_weekly_table_keyed_like_the_panel_and_few_efforts():
    rng = np.random.default_rng(3)
    st = _study(rng, 4.0, 200.0, [150, 300, 600, 840], sd_m=10.0, spacing_days=4)
    out = sol.critical_speed(st, weeks=2)
    wide = out.raw
    assert list(wide.columns[:2]) == ["athlete_id", "week_start"]
    assert (wide["week_start"].dt.day_of_week == 0).all()
    assert wide["n_efforts"].tolist() == [2, 4]  # trials Mon, Fri | Tue, Sat; 2-week window
    assert np.isnan(wide["cs_low"].iloc[0]) and np.isfinite(wide["cs_low"].iloc[1])
    assert wide["critical_speed_m_s"].iloc[-1] == pytest.approx(4.0, abs=0.05)
    one = sol.fit_critical_speed(sol.mean_max_curve(st.loc[st["run_id"] == "trial0"]))
    assert np.isnan(one.effect("critical_speed")["estimate"])
    assert any("Too few efforts" in n for n in one.notes)


def test_real_gpx_and_tcx_runs():
    paths = sorted((DATA / "gpx").glob("*.gpx")) + sorted((DATA / "tcx").glob("*.tcx"))
    st = sol.stream_table(paths, athlete_id="runpandas")
    curve = sol.mean_max_curve(st)
    assert curve["run_id"].nunique() == 5
    best = curve.groupby("duration_s")["speed_m_s"].max()
    # elapsed time: a window around a stop can be slower than a longer one, so the envelope
    # need not fall everywhere; over 2 -> 15 min it does
    assert best.iloc[-1] < best.iloc[0]
    assert 2.0 < best.iloc[0] < 6.0  # recreational running speeds [m/s]
    fit = sol.fit_critical_speed(curve)
    cs = fit.effect("critical_speed")["estimate"]
    assert len(fit.points) >= 2 and fit.points["run_id"].is_unique  # one effort per run
    assert 1.5 < cs < best.iloc[0]  # below the best 2-min speed
    # easy training runs hold no maximal efforts: the notes say how weak the fit is
    assert any("lower bound" in n for n in fit.notes)
    assert any("poorly separated" in n for n in fit.notes)
    with pytest.raises(ValueError, match="model"):
        sol.fit_critical_speed(curve, model="3-parameter")
