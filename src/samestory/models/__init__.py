"""Model files shipped with samestory (read with importlib.resources): scores.json, the pair score model."""
