"""Pipelines compiled by `workbench productionize`, one package each."""
