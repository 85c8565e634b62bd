"""The prediction microservice: one model behind the Seldon v1, Open Inference (V2) and MLflow
scoring protocols, loaded once at start with its sha256 checked before unpickling.

Layout: `signature` (input columns and types), `codecs/` (pure: body -> matrix, predictions ->
body), `predictor` (the model call), `loader` (URI -> verified model), `metrics` and `accesslog`
(observability), `app` (the Starlette routes), `server` (uvicorn). Importing this package imports
nothing heavy: mlflow only when a models:/ or runs:/ URI is resolved.
"""
