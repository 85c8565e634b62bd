"""What generated step modules import at run time: artifact I/O and the step entry point.

Kept light (stdlib + fsspec; pandas, numpy, pyarrow and cloudpickle only when a value needs
them, see workbench.runtime.codecs), because every step process of every pipeline, locally and
in the container, starts through it.
"""

from workbench.runtime.artifacts import read_value, write_value
from workbench.runtime.step import parse_param, run_step

__all__ = ["parse_param", "read_value", "run_step", "write_value"]
