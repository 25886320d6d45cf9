"""One draw of the generating model as numpy arrays, and the codes of its run types."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soleus_analysis.simulation.parameters import Design, Effects

__all__ = ["EASY", "LONG", "NO_RUN", "WORKOUT", "Trajectories"]

#: Run types in the ``run_type`` array.
NO_RUN, EASY, LONG, WORKOUT = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class Trajectories:
    """One draw of the generating model as arrays (internal).

    Athlete arrays have shape ``(A,)``, week arrays ``(A, W)``, day arrays ``(A, W, 7)`` (day 0 =
    Monday), programme-set arrays ``(A, W, 7, 4)`` (one column per programme slot). The equations
    are in :mod:`soleus_analysis.simulation.generate`.
    """

    n_athletes: int
    n_weeks: int
    effects: Effects
    design: Design
    athletes: dict[str, np.ndarray]
    weeks: dict[str, np.ndarray]
    days: dict[str, np.ndarray]
    programme_sets: np.ndarray
    programme_exercise: np.ndarray
