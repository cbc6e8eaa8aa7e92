"""Stories: group a stream of articles online, and trace each story's original and its copies.

    from samestory.stories import ingest, trace
    ingest(Reader().read(paths), "samestory.db")
"""

from __future__ import annotations

from samestory.stories.cluster import Assignment, Clusterer
from samestory.stories.decision import Decision, Link, StoryRules, decide
from samestory.stories.ingest import IngestStats, in_publication_order, ingest
from samestory.stories.provenance import Copy, Provenance, trace

__all__ = [
    "Assignment",
    "Clusterer",
    "Copy",
    "Decision",
    "IngestStats",
    "Link",
    "Provenance",
    "StoryRules",
    "decide",
    "in_publication_order",
    "ingest",
    "trace",
]
