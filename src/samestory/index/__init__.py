"""Candidate indexes: near-duplicates (MinHash LSH), vectors (ANN over title+lead), entities (inverted)."""
