"""`workbench pipeline logs WORKFLOW [--step S]` (defined beside `status`)."""

from workbench.cli.pipeline_status import logs as command

__all__ = ["command"]
