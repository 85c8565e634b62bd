"""The prediction microservice: one model behind the Seldon v1, Open Inference (V2) and MLflow
scoring protocols, loaded once at start with its sha256 checked before unpickling.

Layout: `signature` (input columns and types), `codecs/` (pure: body -> matrix, predictions ->
body), `predictor` / `pyfunc_predictor` (the model call), `source` (what resolution hands to
loading, and the integrity rule), `loader` and `registry` (MODEL -> ModelSource),
`mlflow_model` (an MLflow model folder, read without mlflow), `formats` (a registry of model
loaders), `http` (shared request plumbing), `protocols/` (a registry of route modules), `offload`
(large bodies in a forked process), `timeouts` (header deadline), `metrics` and `accesslog`
(observability), `app` (assembles the routes), `server` (uvicorn). Importing this package imports
nothing heavy: mlflow only for a pyfunc model or a URI that needs it to resolve.
"""
