"""`workbench integration-test URL`: a deployed prediction endpoint checked against the
registered model it should serve (health, metadata, predictions equal to the model's own on its
input example, the error contract, a latency budget). Plain urllib; mlflow only in `expected`."""

from workbench.integration.checks import Check, Endpoint, run_checks
from workbench.integration.expected import Expected

__all__ = ["Check", "Endpoint", "Expected", "run_checks"]
