"""Training loads per athlete-day: session RPE, EWMA acute and chronic load, ACWR, monotony and
strain, and the performance-management chart (fitness, fatigue, form).

Formulas and sources are in ``docs/methods.md`` §4.1 and §4.5-4.7. One module per step, each
with the conventions it makes explicit:

- :mod:`~soleus_analysis.loads.sessions`: the session-RPE load of every session, and which
  sessions are one session logged twice (:func:`session_loads`);
- :mod:`~soleus_analysis.loads.daily`: load per athlete and local day on a complete calendar,
  with rest days, unknown loads and logging gaps told apart (:func:`daily_load`);
- :mod:`~soleus_analysis.loads.smoothing`: EWMA conventions, starts and warm-up (:func:`ewma`,
  :func:`ewma_lambda`, :func:`ewma_warmup_days`);
- :mod:`~soleus_analysis.loads.rolling`: metrics on the daily table and their minimum coverage
  (:func:`acute_chronic`, :func:`monotony_strain`, :func:`pmc`, :func:`training_loads`);
- :mod:`~soleus_analysis.loads.columns`: how the input tables' columns are read.
"""

from soleus_analysis.loads.daily import daily_load
from soleus_analysis.loads.smoothing import (
    CONVENTIONS,
    EWMA_INITS,
    ewma,
    ewma_lambda,
    ewma_warmup_days,
)
from soleus_analysis.loads.rolling import acute_chronic, monotony_strain, pmc, training_loads
from soleus_analysis.loads.sessions import session_loads

__all__ = [
    "CONVENTIONS",
    "EWMA_INITS",
    "acute_chronic",
    "daily_load",
    "ewma",
    "ewma_lambda",
    "ewma_warmup_days",
    "monotony_strain",
    "pmc",
    "session_loads",
    "training_loads",
]
