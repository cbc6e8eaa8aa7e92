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
# Mean word Jaccard of aligned passages. Examples: cut copies 0.80-0.94, edited rewrites 0.49-0.59, the two
# seeds (two machine translations of one dispatch) 0.70, independent reports 0.20-0.31.
DUPLICATE_OVERLAP = 0.78
REWRITE_OVERLAP = 0.35  # copied text, not independent wording
# Predicted SemEval Overall (1 very similar .. 4 very dissimilar). Examples: independent reports of one event
# 1.41-2.21, unrelated 3.12-4.0.
SAME_EVENT_OVERALL = 2.5
# Articles whose compare() view (sentence vectors, word and character counts, names) is kept for the next
# compare(): stories compare their recent articles again and again. A view of a 3,000-character article holds
# ~0.3 MB (its character 4-gram counts mostly).
COMPARE_VIEW_CACHE = 256
RELATED_OVERALL = 3.0
# Neither same_event nor related when the shorter text has fewer words than this: on a few words the predicted
# Overall is lexical coincidence. Chosen, not tuned: the shortest texts of the SemEval-2022 pairs have 11-15
# words, the shortest article of the labelled stories sets 7 (ECB+: one of 496 under 10).
COMPARE_MIN_WORDS = 10

# --- read -------------------------------------------------------------------------------------------------
# Limits that keep memory bounded on hostile input; chosen, not calibrated. A news article is 2-50 KB of text
# (the seeds: 2.3-2.7 KB); 5 MB is ~100x the longest, so a bigger record is a dump on one line, not an article.
READ_MAX_RECORD_BYTES = 5 * 2**20  # a text file, a JSON/JSONL record, a CSV line
READ_MAX_PAGE_BYTES = 20 * 2**20  # an HTML page or a WARC payload (markup is ~10x its text)
READ_SNIFF_BYTES = 64 * 2**10  # how much of a file is looked at to guess its format and encoding
READ_MAX_KEPT_ERRORS = 1000  # Reader.errors keeps the first ones; Reader.skipped counts them all
# Limits on the work one input can cause (chosen, not calibrated; refused as a bad record / a 4xx before the page
# is parsed). trafilatura's time grows with the square of a tag's attributes (0.08 s at 3,000, 0.26 s at 6,000;
# 150,000 froze the server ~20 minutes, issue 18) and by ~0.2 ms an element (10,000 <p> ~1.7 s), holding the
# GIL much of it (benchmarks/hostile.py). A news page has 1,000-5,000 elements and tags of a few attributes; a
# JSON record of news is 2-3 levels deep. On the 486 real pages of shared/data/dates the largest has 9,748
# elements and the most attributes on one tag are 38, counted as the HTML parser tokenizes (a '<' in a script
# or a stray quote is no tag; counted as raw regex matches, 5 real pages seemed to have 2,000-8,700).
READ_MAX_PAGE_ELEMENTS = 30_000  # start tags in an HTML page
READ_MAX_TAG_ATTRIBUTES = 2_000  # attributes on one tag
READ_MAX_NESTING = 32  # levels of arrays and objects in one JSON record (its meta fields)
# A first line is taken as the title when it is at most this long and doesn't end like a sentence.
# Seed 000's title is 66 characters; headline guidance (AP, SEO) keeps titles under ~110.
READ_TITLE_MAX_CHARS = 200
# Main text of an HTML page shorter than this (in words) is a menu, a login wall or an error page, not an
# article; chosen: the shortest news brief among the sample articles in examples/ has over 100 words.
READ_MIN_PAGE_WORDS = 10
# An HTML page's main text shorter than this (words) from trafilatura's fast mode is extracted again with its
# backup extractors (readability, jusText). Measured on the shared date pages (../shared/data/dates): the fast
# mode alone gives the same text on 452 of 486 pages at two thirds of the time; with this retry, 483 of 486
# are the same or within 10%.
READ_FAST_RETRY_WORDS = 150

# --- scores (the learned pair model: samestory.compare.model, scripts/train_scores.py) --------------------
# Seed of the model, the grouped CV folds and the bootstrap intervals.
SCORE_SEED = 20220
# LightGBM parameters of the seven score models: modest on purpose (989 training pairs). Chosen once from
# grouped 5-fold CV on the SemEval-2022 Task 8 training pairs (shared/data/semeval2022-task8), not per fold.
SCORE_LGBM = {
    "objective": "regression",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}
SCORE_ROUNDS = 200
# L2 penalty of the ridge regressions averaged with the boosters (same CV: alpha 1 0.723, 10 0.727, 100 0.718).
SCORE_RIDGE_ALPHA = 10.0

# --- stories (samestory.stories, samestory.index.vectors / entities) -----------------------------------------
# Candidates are looked for among articles published at most this far apart (news cycles of one story).
STORY_WINDOW_DAYS = 7.0
# What is embedded per article for candidate search: the title and the lead, cut at a sentence end.
STORY_LEAD_CHARS = 300
# hnswlib parameters (cosine over 512-d USE vectors): recall@10 > 0.99 at 100k vectors with these.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 64
STORY_KNN = 10  # nearest title+lead neighbours looked at per article
STORY_ENTITY_POSTINGS = 64  # most recent articles read per entity
STORY_ENTITY_CANDIDATES = 10  # articles sharing the most entities kept as candidates
STORY_ENTITY_MIN_SHARED = 3  # entities shared to be such a candidate
# Copies join at once (samestory.stories.decision, rule 1). Title+lead cosine at or above which an article
# joins without more evidence: near-identical headline and lead (of 373 SemEval-2022 Task 8 pairs at
# Overall >= 3.5, none reaches 0.9).
STORY_ACCEPT_COSINE = 0.9
# Text reuse: a candidate whose word 3-shingles (MINHASH_SHINGLE) have an estimated Jaccard similarity of at
# least this with the article's (from their MinHash signatures) was written from it, or both from one source.
# Planted rewrites (one word in ten replaced, sentences reordered) are at 0.30-0.6; different stories
# compared on the planted stream at most 0.19; of the 373 SemEval-2022 Task 8 pairs at Overall >= 3.5, 2
# reach it, both with near-identical texts (0.79, 0.87).
STORY_REUSE_JACCARD = 0.3
# Across languages TF-IDF finds nothing to share: a candidate in another language at title+lead cosine >= this
# is given to compare() (the most similar first, at most STORY_MAX_COMPARES an article), and joins as a copy
# when compare() calls it a translation. The translated sample stories in examples/ are at 0.75-0.84, their
# unrelated articles under 0.3.
STORY_TRANSLATION_COSINE = 0.5
STORY_MAX_COMPARES = 2
# The average link (samestory.stories.decision, rule 2): a link's similarity is the TF-IDF cosine of the two
# texts (title words counted 1 + STORY_TITLE_WEIGHT times) plus STORY_LEAD_WEIGHT x their title+lead cosine;
# a story joins when the mean similarity to its latest STORY_LINK_MEMBERS members is >= STORY_JOIN_SIMILARITY.
# The join threshold was swept (0.3-0.5) on four real sets: ecbplus-dev, allsides-dev, cstnews-pt and the
# English SemEval-2022 Task 8 pairs (scripts/calibrate_stories.py; protocol and figures: BENCHMARKS.md,
# "Stories"). Left out one at a time, the other three choose 0.35 for ecbplus and allsides and 0.4 for
# cstnews and SemEval; the default is the best mean F1 over all four (0.4: 0.824, 0.35: 0.821). The weights
# were set once on the first sweep (lead 0.5 or title 0 lowered F1 on all three story sets) and not tuned per
# set; members 5 or 10 gave the same F1 but on ecbplus (0.801 vs 0.813).
STORY_JOIN_SIMILARITY = 0.4
STORY_LEAD_WEIGHT = 0.3
STORY_TITLE_WEIGHT = 2.0
STORY_LINK_MEMBERS = 10
# Word buckets of the TF-IDF term vectors (samestory.index.terms): 2^20 keeps collisions between the words of
# two articles rare (a 1,000-word pair shares a bucket by chance ~1 time in a thousand words).
TERM_BUCKETS = 2**20
TERM_VECTOR_CACHE = 2000  # term vectors kept in memory (the latest members are read again and again)
STORY_BATCH = 256  # articles per transaction while ingesting
STORY_SORT_BUFFER = 50_000  # articles sorted by publication date before ingesting (bounded memory)
# Provenance (samestory story ID): the earliest articles tried as the original, each compared with the others.
STORY_ORIGIN_CANDIDATES = 4
STORY_TRACE_MAX = 40  # articles of a story traced at most (the earliest)
# A removed related-link line is "unrelated" when under this share of its words (> 3 letters) occur in the
# story. Chosen on the sample stories in examples/ (their farm copies link to other topics: share 0-0.1).
STORY_LINK_OVERLAP = 0.2
# `samestory eval stories` on SemEval-style pairs: Overall <= this is the same story, >= the next different
# (the definition); the pairs between are left out.
STORY_EVAL_SAME = 1.5
STORY_EVAL_DIFFERENT = 3.5
# The TF-IDF baseline that `eval stories` scores beside samestory (evaluate.stories.tfidf_stories): average link cut
# at this cosine. Not tuned: the value at which shared/data/stories/README.md's baseline forms stories at all
# (at 0.3-0.5 nearly every article stays alone).
STORY_EVAL_TFIDF_THRESHOLD = 0.1

# --- dedup (samestory.dedup, samestory.index.minhash) ----------------------------------------------------
# Jaccard similarity of word-shingle sets at or above which two articles are near-duplicates.
DEDUP_THRESHOLD = 0.8
# Words per shingle. Swept on benchmarks/dedup.py at 10k (BENCHMARKS.md, "Dedup"): recall / precision
# 1: 0.998 / 0.783 (rewrites grouped), 2: 0.995 / 1.0, 3: 0.983 / 1.0, 4: 0.917 / 1.0, 5: 0.861 / 1.0.
# 3 is kept (the common choice): 2 gains only on 3%-edited copies, and this corpus has no rewrites close
# enough to the threshold to show what 2 would cost in precision.
MINHASH_SHINGLE = 3
MINHASH_NUM_PERM = 128
MINHASH_SEED = 1
# Weight of missed pairs against false candidates when bands are chosen (datasketch weighs them 0.5/0.5);
# candidates are verified, so a false candidate costs only time. 0.99 gives 18 bands x 7 rows at 0.8:
# a pair at Jaccard 0.8 is a candidate with probability 0.986 (datasketch: 9 x 13, 0.40).
MINHASH_FN_WEIGHT = 0.99
# Articles sketched per compiled call (samestory.index.minhash): measured with numpy/rensa sketching, where
# 500-1000 kept the per-character arrays in cache (sketching alone, benchmarks/dedup.py corpus: 125: 26.8k/s,
# 500: 30.8k/s, 1000: 27.2k/s, 2000: 25.1k/s, 4000: 21.2k/s); kept at 1000 with the numba kernels.
MINHASH_BATCH = 1000
# Candidates whose estimated Jaccard (128 permutations, standard error <= 0.045) is this close to the threshold
# are checked on the exact shingle sets; farther ones are decided by the estimate (a 3-sigma margin).
MINHASH_VERIFY_MARGIN = 0.15
# A new article is checked against at most this many indexed articles of each band bucket it falls in (the
# most recent) and this many in all (those sharing the most buckets with it). Templated records (one shared
# sentence and a number) put every record in the same buckets: unbounded, 10k of them took 2.6 GB and 27 s.
# A real near-duplicate shares several buckets with its original (18 on average at Jaccard 0.8), and few
# articles share as many: on the benchmark corpus no candidate is left out (BENCHMARKS.md, "Dedup").
MINHASH_MAX_CANDIDATES = 32

# --- understand (samestory.understand) ----------------------------------------------------------------------
# spaCy NER reads the title and this many characters of the text (cut at a word end); the capitalised-span
# reader does the rest. Calibrated with benchmarks/understand.py on the SemEval-2022 Task 8 texts (~970
# characters, one core), spaCy's unused shared tok2vec left out: English articles/s with entities 78 at 600
# characters, 100 at 400, 125 at 300 (all languages: 263). 300 keeps English above 100/s; see BENCHMARKS.md.
UNDERSTAND_NER_CHARS = 300
# Alternate names ("Moscou", "Moskau") are indexed for cities of at least this many people; smaller towns'
# alternate names collide with surnames and common words. Checked on the seeds and the SemEval texts.
CITY_ALIAS_MIN_POPULATION = 100_000
# A city named by one word, not after a preposition of place, counts only from this many people: smaller
# towns are common words at a sentence start ("Corona", "Para", "Bir" on the SemEval texts).
CITY_BARE_MIN_POPULATION = 300_000

# --- api (samestory.api: the HTTP API and web page) ---------------------------------------------------------
# Largest request body accepted (413 beyond): a long article as HTML is ~200 KB; 2 MB leaves room for pages
# with inline scripts without letting one request hold much memory. `serve --max-body` overrides it.
API_MAX_BODY_BYTES = 2 * 2**20
API_PAGE_SIZE = 20  # stories per page (GET /stories, the web list) unless `limit` says otherwise
API_MAX_PAGE_SIZE = 200
# Traced stories kept in memory (tracing a story of 5 articles runs ~16 compare() calls, ~1 s on this machine);
# an entry is dropped as soon as its story gets a new article.
API_TRACE_CACHE = 64
# Work one request may cause (chosen, not calibrated). A compared text over API_MAX_COMPARE_SENTENCES sentences or
# API_MAX_COMPARE_CHARS characters gets 413: compare() embeds every sentence (~1.7 ms each on one core) and
# processing is linear in the text. The longest labelled article (ECB+) has 83 sentences and 9,400 characters;
# 200 a side take ~1 s to compare (benchmarks/hostile.py), taken 25 sentences a turn. A batch POST /articles
# takes at most API_MAX_BATCH articles (one transaction). Anonymous heavy work (POST /compare, a story traced
# for the first time) runs API_ANONYMOUS_JOBS at a time; one that can't start within API_ANONYMOUS_WAIT
# seconds gets 429 with Retry-After. Writers go first: a waiting POST /articles takes the models before any
# waiting anonymous step (samestory.api.service).
API_MAX_COMPARE_SENTENCES = 200
API_COMPARE_STEP_SENTENCES = 25  # sentences an anonymous compare embeds in one turn on the models (~45 ms)
API_MAX_COMPARE_CHARS = 100_000  # ~10x the longest labelled article: one "sentence" can't be a whole book
API_MAX_BATCH = 500
API_ANONYMOUS_JOBS = 2
API_ANONYMOUS_WAIT = 10.0
# Seconds a thread of `samestory serve` holds the GIL before another may take it (Python's default: 0.005).
# Measured with benchmarks/load.py --batch 25 --readers 4 (2 A/B pairs on the shared 2-core machine): GET /stories
# p99 457-479 ms at 0.005, 183-223 ms at 0.0005, the same articles/s.
API_SWITCH_INTERVAL = 0.0005

# --- clean (samestory.clean) ------------------------------------------------------------------------------
# Line lengths below which an anchored boilerplate phrase is taken to be the whole line. Checked by reading the
# removals on the 1,978 texts of the SemEval-2022 Task 8 pairs and on the two seeds (tests/test_clean.py):
# a related-link line ("Also read: <title>") is at most ~200 characters, share/follow lines ~100.
CLEAN_MAX_LINK_LINE = 250
CLEAN_MAX_LINE = 300
CLEAN_MAX_SHORT_LINE = 120
# A related-link title glued to the next sentence ("read alsoOil: ... China Russia is ...") is looked for in the
# next 200 characters and is at least 3 words long (seed 001: 11 words, 68 characters).
CLEAN_MAX_LINK_TITLE = 200
CLEAN_MIN_LINK_WORDS = 3
# A credit at the end of a line ("Rubriklistenbild: © picture alliance / dpa") is at most this long, unless it
# says "all rights reserved".
CLEAN_MAX_CREDIT = 100
# An author bio after "About the Author" is one short paragraph (the seed's fake bio: 130 characters).
CLEAN_MAX_BIO = 400
# A repeated line counts as a repeated paragraph from this many words (shorter repeats may be legitimate).
CLEAN_MIN_REPEAT_WORDS = 8
# Rules run again on their own output until nothing changes (idempotence); 2 passes suffice on the SemEval texts.
CLEAN_MAX_PASSES = 4
