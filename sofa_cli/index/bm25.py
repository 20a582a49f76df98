"""The BM25 model, as per-posting impacts so that a query only reads its terms' postings.

rank-bm25 scores a query by looping over every passage. The same numbers come out of
computing, for each term t of the query and passage d containing it, `impact(t, d)` from the
posting's tf and the passage's length (both stored in the index), plus one per-term constant
that every passage gets (BM25+ and BM25L give a passage without the
term a non-zero score). Then

    rank_bm25.<Variant>(corpus).get_scores(query)[d] == sum(impact(t, d) + constant(t) for t in query)

which tests/test_bm25.py checks against rank-bm25 itself.

Why BM25Plus is the default: with BM25Okapi, a term found in half the passages or more
gets a floor IDF (epsilon times the mean), so on a corpus about Ishiba, "Ishiba" stops
counting at all. BM25Plus's IDF, log((N+1)/df), stays positive and keeps ordering the
rare above the common; BENCHMARKS.md has the measurement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

# rank-bm25's defaults; BENCHMARKS.md shows the sweep that kept them.
K1 = 1.5
B = 0.75
DELTA = 1.0  # BM25+ lower bound of a present term's TF part
DELTA_L = 0.5  # BM25L's shift (rank-bm25's default differs from BM25+'s)
EPSILON = 0.25  # BM25Okapi's IDF floor, as a fraction of the mean IDF
VARIANTS = ("plus", "okapi", "l")
DEFAULT_VARIANT = "plus"


@dataclass(frozen=True)
class BM25Params:
    """The BM25 variant and constants an index is built with.

    The stored idf depends on them (BM25Okapi's floor, BM25L's shift), so the index records
    them and is rebuilt when they differ (`schema.IndexDependencies`). `delta` defaults to the variant's own:
    BM25+'s lower bound (DELTA) or BM25L's shift (DELTA_L); Okapi has none.
    """

    variant: str = DEFAULT_VARIANT
    k1: float = K1
    b: float = B
    delta: float | None = None
    epsilon: float = EPSILON

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown BM25 variant {self.variant!r} (choose from {', '.join(VARIANTS)})")
        if self.delta is None:
            object.__setattr__(self, "delta", DELTA_L if self.variant == "l" else DELTA)

    def record(self) -> dict:
        """The parameters as the index header holds them."""
        return asdict(self)


def idf_table(params: BM25Params, doc_freq: Mapping[str, int], n_passages: int) -> dict[str, float]:
    variant = params.variant
    if variant == "plus":
        return {t: math.log((n_passages + 1) / df) for t, df in doc_freq.items()}
    if variant == "l":
        return {t: math.log((n_passages + 1) / (df + 0.5)) for t, df in doc_freq.items()}
    if variant == "okapi":
        raw = {t: math.log(n_passages - df + 0.5) - math.log(df + 0.5) for t, df in doc_freq.items()}
        floor = params.epsilon * (sum(raw.values()) / len(raw)) if raw else 0.0
        return {t: (v if v >= 0 else floor) for t, v in raw.items()}
    raise ValueError(f"unknown BM25 variant {variant!r}")


def constant(params: BM25Params, idf: float) -> float:
    """What a passage without the term still scores for it.

    BM25L as rank-bm25 implements it multiplies the whole term score by tf, so a passage
    without the term scores 0 there (unlike the paper's BM25L); sofa keeps rank-bm25's.
    """
    if params.variant == "plus":
        return idf * params.delta
    return 0.0


def impact(params: BM25Params, idf: float, tf: int, doc_len: int, avgdl: float) -> float:
    """Score of a passage with `tf` occurrences of the term, minus the term's constant."""
    k1, b, variant = params.k1, params.b, params.variant
    norm = 1 - b + b * doc_len / avgdl
    if variant == "plus":
        return idf * (tf * (k1 + 1)) / (k1 * norm + tf)
    if variant == "l":
        ctd = tf / norm
        return idf * tf * (k1 + 1) * (ctd + params.delta) / (k1 + ctd + params.delta)
    return idf * (tf * (k1 + 1)) / (tf + k1 * norm)


# -- the same formulas over numpy arrays: a question's postings at once, an index's idf ----
# Kept operation for operation beside the scalar ones above, in the same order, so both give
# the same floats to the last bit (a reader uses either); tests/test_bm25.py checks both
# against rank-bm25. numpy is imported only where many postings pay for it (reader.py).


def idf_array(params: BM25Params, doc_freq, n_passages: int):
    """`idf_table` over an array of document frequencies (one per term id)."""
    import numpy as np

    variant = params.variant
    df = np.asarray(doc_freq, dtype=np.float64)
    if variant == "plus":
        return np.log((n_passages + 1) / df)
    if variant == "l":
        return np.log((n_passages + 1) / (df + 0.5))
    if variant == "okapi":
        raw = np.log(n_passages - df + 0.5) - np.log(df + 0.5)
        floor = params.epsilon * (float(raw.sum()) / len(raw)) if len(raw) else 0.0
        return np.where(raw >= 0, raw, floor)
    raise ValueError(f"unknown BM25 variant {variant!r}")


def impacts(params: BM25Params, idf, tf, doc_len, avgdl: float):
    """`impact` over parallel arrays of postings (idf of the term, tf, passage length)."""
    import numpy as np

    k1, b, variant = params.k1, params.b, params.variant
    tf = np.asarray(tf, dtype=np.float64)
    norm = 1 - b + b * np.asarray(doc_len, dtype=np.float64) / avgdl
    if variant == "plus":
        return idf * (tf * (k1 + 1)) / (k1 * norm + tf)
    if variant == "l":
        ctd = tf / norm
        return idf * tf * (k1 + 1) * (ctd + params.delta) / (k1 + ctd + params.delta)
    if variant == "okapi":
        return idf * (tf * (k1 + 1)) / (tf + k1 * norm)
    raise ValueError(f"unknown BM25 variant {variant!r}")
