"""Calibrated parameters, each with a comment saying where it was calibrated.

Stages read their defaults from here; a caller can pass other values explicitly.
"""

from __future__ import annotations

# --- compare ----------------------------------------------------------------------------------------------
