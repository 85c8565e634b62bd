"""The pipeline's run structure on a tracking store: one parent run, a child run per step.

Read back (workbench.tracking.run_tree) after a rehearsal and after the local `workbench pipeline
run`, so the two structures can be compared: the same steps as child runs of one parent, every
run ended.
"""

from __future__ import annotations

from workbench.tracking.run_tree import RunTree, read_tree

__all__ = ["RunTree", "differences", "read_tree"]


def differences(cluster: RunTree, local: RunTree) -> list[str]:
    """How the rehearsal's run structure differs from the local run's (empty: the same)."""
    found = []
    if set(cluster.children) != set(local.children):
        found.append(
            f"child runs: cluster {sorted(cluster.children)} != local {sorted(local.children)}"
        )
    for tree, where in ((cluster, "cluster"), (local, "local")):
        if len(tree.child_experiments) > 1:
            found.append(f"{where}: child runs in {len(tree.child_experiments)} experiments")
        open_runs = [s for s, status in tree.children.items() if status != "FINISHED"]
        if tree.parent_status != "FINISHED" or open_runs:
            found.append(f"{where}: parent {tree.parent_status}, unfinished steps {open_runs}")
    return found
