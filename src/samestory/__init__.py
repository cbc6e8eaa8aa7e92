"""samestory: which news articles tell the same story, which one is the original, and what each copy took.

The public API is listed here by hand; everything else is internal.
"""

from samestory.article import Article, DateMention, Entity, Removal
from samestory.errors import ConfigError, InputError, SamestoryError, StoreError

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ConfigError",
    "DateMention",
    "Entity",
    "InputError",
    "Removal",
    "SamestoryError",
    "StoreError",
    "__version__",
]
