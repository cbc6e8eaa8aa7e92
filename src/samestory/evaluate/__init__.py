"""Evaluation on labelled data, one module per job: `pairs` (pairs files, the production scoring path and the
cached feature table), `metrics` (Pearson with a bootstrap interval; pairwise, B-cubed and adjusted Rand for
clusterings), `semeval` (`samestory eval semeval`: grouped folds, baselines, the report), `stories`
(`samestory eval stories`: the story clustering and a TF-IDF baseline against gold story labels) and `dates`
(`samestory eval dates`: publication dates of web pages, beside htmldate and trafilatura)."""
