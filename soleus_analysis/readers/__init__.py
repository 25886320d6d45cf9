"""Readers for the exports athletes already have, into the canonical tables.

One module per source (``strong``, ``hevy``, ``fit``, ``strava``, ``gpx``, ``tcx``, ``fitbit``,
``pmsys``, ``generic``), source detection (``detect``), per-run stream metrics (``streams``) and
folder reading (``folder``). The entry points are re-exported by :mod:`soleus_analysis`:
:func:`read`, :func:`read_all`, :func:`read_stream`, :func:`read_folder`.
"""

from soleus_analysis.readers.api import read, read_all, read_stream
from soleus_analysis.readers.common import ReadResult
from soleus_analysis.readers.detect import SOURCES
from soleus_analysis.readers.folder import FolderRead, read_folder

__all__ = ["SOURCES", "FolderRead", "ReadResult", "read", "read_all", "read_folder", "read_stream"]
