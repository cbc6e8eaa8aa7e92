"""samestory on Apache Spark: the same near-duplicate groups and stories as the embedded pipeline, on a cluster.

    from samestory.spark import session, spark_dedup, spark_stories
    spark = session("local[2]")
    spark_dedup(spark, "articles.jsonl", "groups.parquet", threshold=0.8)

Each stage runs the embedded code inside `mapPartitions` (read fields, clean, MinHash sketch, exact Jaccard,
the stories' pair decision); Spark does the LSH banding, the candidate joins and the connected components
(`components.connected_components`, min-label propagation with DataFrame joins: nothing is collected to
the driver).
"""

from __future__ import annotations

from samestory.spark.dedup import spark_dedup
from samestory.spark.session import session
from samestory.spark.stories import spark_stories

__all__ = ["session", "spark_dedup", "spark_stories"]
