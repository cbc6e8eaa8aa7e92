"""Connected components of a graph held in Spark, without collecting it to the driver.

Min-label propagation: each node starts with the smallest of itself and its neighbours, then takes the
smallest label among its neighbours' until no label changes (one join and one aggregate per round; the
rounds are the longest shortest path from a component's smallest node, a handful for near-duplicate
groups). Lineage is cut every round with a local checkpoint so plans stay small.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from samestory.errors import SamestoryError

log = logging.getLogger(__name__)

__all__ = ["connected_components"]


def connected_components(edges: DataFrame, *, max_rounds: int = 1000) -> DataFrame:
    """(node, component) for every node of `edges` (columns src, dst: long), component = its smallest node."""
    both = (
        edges.select("src", "dst")
        .union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
        .distinct()
        .localCheckpoint()
    )
    labels = (
        both.groupBy(F.col("src").alias("node"))
        .agg(F.least(F.min("dst"), F.col("node")).alias("component"))
        .localCheckpoint()
    )
    for round_ in range(1, max_rounds + 1):
        passed = both.join(labels, both.src == labels.node).select(
            F.col("dst").alias("node"), F.col("component").alias("offered")
        )
        updated = (
            labels.join(passed.groupBy("node").agg(F.min("offered").alias("offered")), "node", "left")
            .select(
                "node",
                F.least("component", F.coalesce("offered", "component")).alias("component"),
                (F.col("offered") < F.col("component")).alias("changed"),
            )
            .localCheckpoint()
        )
        changed = updated.where("changed").count()
        labels = updated.drop("changed")
        log.debug("connected components: round %d, %d label(s) changed", round_, changed)
        if not changed:
            return labels
    raise SamestoryError(f"connected components did not converge in {max_rounds} rounds")
