"""`workbench productionize --verify`: prove the generated pipeline against the notebook.

probe (kernel side: fingerprints per cell, sharing, whole outputs at step boundaries)
-> mutation (pure: runtime outputs the analysis missed, shared objects)
-> chain (the steps' real commands through the local runner, throw-away stores)
-> compare (the first difference, precisely) -> verdict (pipeline.json "verification").
run.py ties them together for workbench.cli.productionize.
"""
