"""The ranking's constants and switches, each with the reason for its value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    """Ranking constants, tuned on bench/qa/bundled.jsonl and checked on XQuAD (BENCHMARKS.md)."""

    # Points for a sentence that holds all the question's weight; a fraction for a share.
    # About one rare term's BM25 contribution, so it breaks ties between near-equal passages.
    sentence: float = 4.0
    # Bonus for a passage with a sentence that reports the person the question names.
    # Larger than one term, smaller than two: the person must still talk about the topic.
    attribution: float = 6.0
    # Share of the score an interviewer's question turn loses: its answer turn carries its
    # words (it is matched on them) and is what a user asking wants to read.
    question_turn: float = 0.4
    # Least share of the question's weight (unknown words counting at the highest IDF) the
    # matched words must hold; below it, "no answer" beats a passage sharing one stray word.
    min_coverage: float = 0.34
    # Points for a sentence that repeats all the question's word pairs side by side
    # ("national anthem"); proximity that a bag of words cannot see.
    proximity: float = 2.0
    # Points for a passage that repeats all the question's word pairs side by side anywhere,
    # by their IDF (the sentence-level `proximity` misses pairs outside the best sentence).
    phrase: float = 4.0
    # Points (times the sentence's share) when it holds the kind of answer asked for: a name
    # for "who", a date for "when", a number for "how many".
    answer_type: float = 2.0
    # Points for a passage whose document holds all the question's words (see _document_shares).
    document: float = 3.0
    # Share of a sentence's evidence passed to the next one when it goes on from it ("This ...",
    # "He ..."); it picks the answer sentence only, never the rank. A quarter since `untyped`
    # and `local_idf` also favour the sentence after an echo (0.5 then cost answer@1, BENCHMARKS.md).
    continuation: float = 0.25
    # Share of its evidence (for the answer choice only) a sentence loses when it lacks the kind
    # of answer the question asks for: typing is rough, so a penalty, not a filter.
    untyped: float = 0.3
    # Weigh question words by how few of the passage's sentences hold them when choosing its
    # answer sentence (see _sentence_weights); the passage's score keeps the corpus IDF.
    local_idf: bool = True
    # Points for a passage whose document's title holds all the question's weight (a share for
    # part): a title names the topic as the question does. About one rare term's BM25.
    title: float = 4.0
    # Title words count once per passage (see _title_excess).
    title_terms: bool = True
    # Share of a question word's weight that a sentence holding only its synonym gets
    # (sofa_cli.text.synonyms): "his death in 1227" answers "when did he die?", but a synonym is
    # weaker evidence than the word itself, and a group's words are not always the same sense.
    synonyms: float = 0.3
    # Evidence (for the answer choice only) of a sentence where a number the question lacks
    # stands beside what "how many" counts: "led the team in tackles (118)" answers "how many
    # tackles ...?", where "two of the three linebackers ... Kuechly" only has a number.
    counted: float = 0.5
    # Query analysis switches, for measuring each feature (bench/quality).
    typos: bool = True
    scaffolding: bool = True
    # Candidates re-scored with sentence evidence; BM25 beyond this rank never climbs to the top.
    rerank_depth: int = 100


PLAIN = Weights(
    sentence=0.0,
    attribution=0.0,
    question_turn=0.0,
    min_coverage=0.0,
    phrase=0.0,
    title=0.0,
    synonyms=0.0,
    counted=0.0,
    untyped=0.0,
    local_idf=False,
    typos=False,
    scaffolding=False,
)
