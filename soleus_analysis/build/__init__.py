"""``soleus build``: raw exports -> validated tables, quarantine, athlete-week panel, report.

The modules, from the bottom up (each imports only those above it in this list):

- :mod:`~soleus_analysis.build.inputs`: which files of a raw folder are read, and how;
- :mod:`~soleus_analysis.build.parts`: canonical tables as folders of parts (the Dask layout);
- :mod:`~soleus_analysis.build.safe`, :mod:`~soleus_analysis.build.quarantine`: outputs that are
  safe to open; the quarantine files;
- :mod:`~soleus_analysis.build.output`: the output folder, written all or nothing under a lock;
- :mod:`~soleus_analysis.build.options`, :mod:`~soleus_analysis.build.steps`,
  :mod:`~soleus_analysis.build.report`: the options, the steps both engines share, the report;
- :mod:`~soleus_analysis.build.pandas_engine`, :mod:`~soleus_analysis.build.dask_engine` (and
  :mod:`~soleus_analysis.build.dask_session`): the engines;
- :mod:`~soleus_analysis.build.run`: :func:`build`;
- :mod:`~soleus_analysis.build.study`: :func:`open_study`.
"""

from soleus_analysis.build.inputs import read_canonical
from soleus_analysis.build.output import check_output_folder
from soleus_analysis.build.parts import replicate_tables, write_partitioned
from soleus_analysis.build.quarantine import write_quarantine
from soleus_analysis.build.report import BuildReport
from soleus_analysis.build.run import ENGINES, build
from soleus_analysis.build.study import Study, open_study, study_folders

__all__ = [
    "ENGINES",
    "BuildReport",
    "Study",
    "build",
    "check_output_folder",
    "open_study",
    "read_canonical",
    "replicate_tables",
    "study_folders",
    "write_partitioned",
    "write_quarantine",
]
