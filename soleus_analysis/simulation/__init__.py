"""Simulated cohorts with a known answer.

No public data set records calf exercises and running pace for the same athletes, so the models
are proven on simulated athletes whose truth is known. :mod:`.generate` draws from the generating
model (its equations are in that module's docstring) with the parameters of :mod:`.parameters`,
the exercises of :mod:`.exercises`, the adaptation of :mod:`.adaptation` and the athletes of
:mod:`.athletes` into the arrays of :mod:`.trajectories`. :mod:`.panel` is the fast athlete-week
simulator, :mod:`.cohort` the event-level cohort in the canonical tables, :mod:`.writers` the
cohort as app exports with planted bad input, :mod:`.truth` the known answer of a written cohort
and :mod:`.check` a build of those exports against what was planted.
"""

from soleus_analysis.simulation.check import check_planted
from soleus_analysis.simulation.cohort import (
    EXERCISE_NAMES,
    Cohort,
    simulate_cohort,
    write_canonical,
)
from soleus_analysis.simulation.adaptation import adaptation_kernel, adaptation_state
from soleus_analysis.simulation.exercises import SOLEUS_SHARES
from soleus_analysis.simulation.parameters import Design, Effects, describe_traps
from soleus_analysis.simulation.panel import SimulatedPanel, SimulationParams, simulate_panel
from soleus_analysis.simulation.truth import Truth, implied_effects, read_truth
from soleus_analysis.simulation.writers import WrittenCohort, assign_formats, write_cohort

__all__ = [
    "EXERCISE_NAMES",
    "Cohort",
    "simulate_cohort",
    "SOLEUS_SHARES",
    "Design",
    "Effects",
    "SimulatedPanel",
    "SimulationParams",
    "Truth",
    "adaptation_kernel",
    "adaptation_state",
    "describe_traps",
    "implied_effects",
    "read_truth",
    "simulate_panel",
    "write_canonical",
    "WrittenCohort",
    "assign_formats",
    "write_cohort",
    "check_planted",
]
