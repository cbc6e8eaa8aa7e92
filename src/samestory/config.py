"""Calibrated parameters, each with a comment saying where it was calibrated.

Stages read their defaults from here; a caller can pass other values explicitly.
"""

from __future__ import annotations

# --- compare ----------------------------------------------------------------------------------------------
# Sentences shorter than this carry too little to align (bylines, "AFP", datelines).
PASSAGE_MIN_CHARS = 25
# Cosine of USE-multilingual sentence vectors above which two sentences are aligned. Calibrated on the two
# seed articles (machine translations of one AFP dispatch: true pairs 0.62-0.97) and on unrelated sentence
# pairs from the semeval pairs (99th percentile 0.55).
PASSAGE_THRESHOLD = 0.6
# Relations (samestory.compare.relation). Calibrated on the sample stories in examples/ (wire, copies,
# translations, independent reports) and the two seeds; checked by tests/test_compare.py.
DUPLICATE_JACCARD = 0.8  # word 3-shingle Jaccard of the normalised texts
DERIVED_MIN_PASSAGES = 3
DERIVED_COVERAGE = 0.5  # share of the (better covered) text inside aligned passages
DERIVED_SIMILARITY = 0.75  # mean cosine of the aligned passages
REWRITE_OVERLAP = 0.35  # mean word Jaccard of aligned passages: copied text, not independent wording
SAME_EVENT_OVERALL = 2.0  # SemEval Overall (1 very similar .. 4 very dissimilar)
RELATED_OVERALL = 3.0
