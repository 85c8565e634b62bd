"""Network- and process-facing deployment tools: the pod-faithful rehearsal of the built Argo
manifests and the Argo Server client (submit, wait, status, logs).

Kept apart from `workbench.emit`, which stays pure (spec -> text): everything here starts
processes, servers or talks HTTP.
"""
