"""The ranking's configuration: every constant that ranks, each with the reason for its value.

Three kinds, kept apart so that a bench can vary each the way it means:
- `Weights`: floats only, points and shares (zeroing one removes its signal);
- `Switches`: booleans, whole features on or off;
- `Limits`: whole numbers, lengths and edit counts (typo correction, windows in words).
`Ranking` holds one of each and the re-ranking depth (speed, not quality). bench/quality/run.py's
ablation table and tune.py's held-out search read these dataclasses' fields at run time, so a
constant added here is measured without editing them.

Values were tuned on bench/qa/bundled.jsonl and checked on XQuAD (BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace


@dataclass(frozen=True)
class Weights:
    """Points and shares that rank passages and choose their answer sentence (floats only)."""

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
    # Least weight an unknown word counts with in `min_coverage`: the question's highest IDF
    # when that is larger. One, about a word in a third of the passages: a question of common
    # words only is still refused when most of its words are unknown.
    unknown_weight_floor: float = 1.0
    # Share of that weight an unknown everyday word (common English, typed in lower case) counts
    # with in `min_coverage`: half, so "Kadena flags photographed yesterday" is answered while
    # "Eiffel Tower opening hours" (a name unknown) is still refused on the bundled corpus.
    common_unknown: float = 0.5
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
    # Points for a passage whose document's title holds all the question's weight (a share for
    # part): a title names the topic as the question does. About one rare term's BM25.
    title: float = 4.0
    # Share of a question word's weight that a sentence holding only its synonym gets
    # (sofa_cli.text.synonyms): "his death in 1227" answers "when did he die?", but a synonym is
    # weaker evidence than the word itself, and a group's words are not always the same sense.
    synonyms: float = 0.3
    # Evidence (for the answer choice only) of a sentence where a number the question lacks
    # stands beside what "how many" counts: "led the team in tackles (118)" answers "how many
    # tackles ...?", where "two of the three linebackers ... Kuechly" only has a number.
    counted: float = 0.5
    # Evidence (for the answer choice only) of a sentence repeating all the question's word pairs
    # side by side, a share for part: half a sentence's full share, so pairs decide between
    # sentences holding the same words but never beat one holding more of them.
    pair_evidence: float = 0.5
    # Evidence (for the answer choice only) of a sentence holding the kind of answer asked for,
    # times its share (or the share carried into it): half, for the same reason as pair_evidence.
    typed_evidence: float = 0.5
    # Evidence (for the answer choice only) of a sentence reporting the person the question
    # names: a whole share, so that person's own words are chosen over a sentence about them.
    reported_evidence: float = 1.0


@dataclass(frozen=True)
class Switches:
    """Features on or off, for measuring each one (bench/quality) and for `PLAIN`."""

    # Weigh question words by how few of the passage's sentences hold them when choosing its
    # answer sentence (see _sentence_weights); the passage's score keeps the corpus IDF.
    local_idf: bool = True
    # Title words count once per passage (see _title_excess).
    title_terms: bool = True
    # Correct a question word the corpus lacks to the closest corpus word (sofa_cli.query.typos).
    typos: bool = True
    # Leave out the words that ask rather than describe ("tell me about", "according to").
    scaffolding: bool = True
    # Never correct a common English word (sofa_cli.text.english): "nothing" is a word the
    # corpus lacks, not a typo of "noting".
    common_words: bool = True
    # Rank passages that hold none of the question's topic after those that do: small talk, and
    # for a question asking for someone's words, a turn matched by the speaker's name alone.
    topic_first: bool = True
    # No answer when the person whose words the question asks for is unknown ("what did Okafor
    # propose?" of a corpus without Okafor): anyone else's "proposed" is not their answer.
    known_subject: bool = True
    # Words of one family that the stemmer leaves apart meet (sofa_cli.text.derivation): an
    # unknown "analyst" stands for the corpus's "analysis", "Okinawan" for "Okinawa". Unknown
    # words only: a known word's family as synonyms cost answer@1 on XQuAD, TIME and mixed.
    derivations: bool = True

    def off(self, *names: str) -> Switches:
        """These switches with the features `names` turned off."""
        return replace(self, **dict.fromkeys(names, False))


@dataclass(frozen=True)
class Limits:
    """Whole-number limits of question analysis: typo correction and windows, in letters or words."""

    # Shorter words are never corrected: at four letters one edit reaches too many real words
    # ("bake" -> "make"), and short typos are rare in the words that matter.
    typo_min_letters: int = 5
    # Edits allowed between a typed word and its correction: one, since two turn real words
    # into others ("France" into "face", bench/quality counted such corrections on XQuAD).
    typo_edits: int = 1
    # A capitalised word this long is a name, and names are misspelled worse ("Nakashma").
    name_min_letters: int = 8
    # Edits allowed for such a name.
    name_edits: int = 2
    # Least length of a word corrected to a corpus word with the same letters ("Ghandi" for
    # "Gandhi"): shorter anagrams are other words.
    anagram_min_letters: int = 6
    # Edits allowed between a word and the anagram it is corrected to (a swap counts one).
    anagram_edits: int = 3
    # Most content words (stopwords aside) of a sentence that, holding no question word but the
    # names of the people asked about, is small talk: "Thank you for having me.", "It will
    # certainly be interesting to watch."
    # A speaker's courtesy is not their view of anything; a sentence of four words can be.
    small_talk_words: int = 3
    # Words either side of what "how many" counts in which its number stands ("tackles (118)").
    count_window: int = 2


@dataclass(frozen=True)
class Ranking:
    """Everything that decides a ranking: weights, switches, limits and the re-ranking depth."""

    weights: Weights = field(default_factory=Weights)
    switches: Switches = field(default_factory=Switches)
    limits: Limits = field(default_factory=Limits)
    # Candidates re-scored with sentence evidence; BM25 beyond this rank never climbs to the top.
    # It sets speed (the re-scoring is the costly part), so the benches leave it alone.
    rerank_depth: int = 100

    def constants(self) -> list[tuple[str, str, float | bool | int]]:
        """Every tunable constant as (part, name, value): what the benches vary, read at run time."""
        return [
            (part, f.name, getattr(getattr(self, part), f.name))
            for part in ("weights", "switches", "limits")
            for f in fields(getattr(self, part))
        ]

    def with_constant(self, part: str, name: str, value: float | bool | int) -> Ranking:
        """This ranking with one constant changed (`part` is "weights", "switches" or "limits")."""
        return replace(self, **{part: replace(getattr(self, part), **{name: value})})


PLAIN = Ranking(
    weights=Weights(
        sentence=0.0,
        attribution=0.0,
        question_turn=0.0,
        min_coverage=0.0,
        phrase=0.0,
        title=0.0,
        synonyms=0.0,
        counted=0.0,
        untyped=0.0,
    ),
    switches=Switches().off("local_idf", "typos", "scaffolding", "common_words", "topic_first", "known_subject", "derivations"),
)
"""`sofa plain` in bench/quality: BM25 with sentence, attribution, title and the other evidence off.
(proximity, answer_type, document, continuation and the title_terms cap keep their defaults, as
they always have in this configuration: the figures in BENCHMARKS.md were measured so.)"""
