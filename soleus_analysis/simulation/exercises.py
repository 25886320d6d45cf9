"""The exercises of the simulated athletes: ids, soleus shares and the programme slots.

The soleus shares are read from the shipped exercise catalog, so the simulated dose uses the very
shares that the panel build applies.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "CALF_EXERCISES",
    "EXERCISE_IDS",
    "EXERCISE_INDEX",
    "GENERAL_EXERCISES",
    "N_SLOTS",
    "PROGRAMME_SLOTS",
    "SOLEUS_SHARES",
]

#: General strength exercises (no plantar-flexor share) drawn for the athletes' gym sessions.
GENERAL_EXERCISES: tuple[str, ...] = (
    "squat",
    "deadlift",
    "romanian_deadlift",
    "lunge",
    "bulgarian_split_squat",
    "hip_thrust",
    "leg_press",
    "plank",
    "pull_up",
    "bench_press",
)

#: Canonical exercise ids the simulator uses, in a fixed order (array index -> id).
_SIMULATED_EXERCISES: tuple[str, ...] = (
    # The article's four exercises (bent knee: soleus-biased).
    "seated_calf_raise",
    "soleus_walk",
    "soleus_walk_farmers_carry",
    "soleus_walk_suitcase_carry",
    "horse_stance_calf_raise",
    "slant_board_single_leg_squat",
    # Common calf exercises.
    "bent_knee_calf_raise",
    "single_leg_bent_knee_calf_raise",
    "standing_calf_raise",
    "single_leg_standing_calf_raise",
    "calf_press_leg_press",
    "donkey_calf_raise",
    "jump_rope",
    "pogo_hops",
    # Not training.
    "calf_stretch",
    "calf_massage",
    "calf_foam_roll",
    # General strength work (no plantar-flexor share).
    *GENERAL_EXERCISES,
)


def _catalog_shares() -> MappingProxyType[str, float]:
    """The shipped exercise catalog's soleus share of every simulated exercise.

    One source of truth: the simulated dose uses the very shares that the panel build applies, so
    a build of a simulated cohort recovers the generated ``soleus_sets``.
    """
    from soleus_analysis.catalog import load_catalog

    table = load_catalog().exercises.set_index("exercise")["soleus_share"].fillna(0.0)
    missing = [x for x in _SIMULATED_EXERCISES if x not in table.index]
    if missing:  # pragma: no cover - guarded by a test; a catalog edit must keep these ids
        raise RuntimeError(f"the exercise catalog lacks the simulated exercises {missing}")
    return MappingProxyType({x: float(table[x]) for x in _SIMULATED_EXERCISES})


#: Assumed soleus share of each simulated exercise's plantar-flexor work (0 = not soleus
#: training), read from the shipped exercise catalog (``sol.load_catalog()``).
SOLEUS_SHARES: MappingProxyType[str, float] = _catalog_shares()
#: Canonical exercise ids in a fixed order (array index -> id).
EXERCISE_IDS: tuple[str, ...] = _SIMULATED_EXERCISES
#: Array index of each exercise id.
EXERCISE_INDEX: dict[str, int] = {name: k for k, name in enumerate(EXERCISE_IDS)}
#: Plantar-flexor exercises: counted in ``calf_sets``.
CALF_EXERCISES: frozenset[str] = frozenset(
    name for name, share in SOLEUS_SHARES.items() if share > 0
)

#: Programme slots: each athlete draws one exercise per slot (slot 0 is always the seated raise).
PROGRAMME_SLOTS: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("seated_calf_raise",), (1.0,)),
    (("soleus_walk", "soleus_walk_farmers_carry", "soleus_walk_suitcase_carry"), (0.4, 0.35, 0.25)),
    (
        ("horse_stance_calf_raise", "bent_knee_calf_raise", "single_leg_bent_knee_calf_raise"),
        (0.6, 0.2, 0.2),
    ),
    (
        (
            "slant_board_single_leg_squat",
            "standing_calf_raise",
            "single_leg_standing_calf_raise",
            "calf_press_leg_press",
            "donkey_calf_raise",
            "pogo_hops",
            "jump_rope",
        ),
        (0.5, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05),
    ),
)
N_SLOTS = len(PROGRAMME_SLOTS)
