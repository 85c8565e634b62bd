"""The example dataset the demo and the example notebooks start from."""

from workbench.demo.data import DEMO_FILE, write_demo_data

__all__ = ["DEMO_FILE", "write_demo_data"]
