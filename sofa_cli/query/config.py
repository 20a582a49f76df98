"""The ranking's configuration: every constant that ranks, each with the reason for its value.

The constants are declared once, in `CONSTANTS`, and their type says their part, kept apart so
that a bench can vary each the way it means:
- `Weights`: the floats, points and shares (zeroing one removes its signal);
- `Switches`: the booleans, whole features on or off;
- `Limits`: the whole numbers, lengths and edit counts (typo correction, windows in words).
`Ranking` holds one of each and the re-ranking depth (speed, not quality). bench/quality/run.py's
ablation table and tune.py's held-out search read `Ranking.constants()` at run time, so a
constant added here is measured without editing them.

Values were tuned on bench/qa/bundled.jsonl and checked on XQuAD (BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field

CONSTANTS = dict(
    # ── Weights: points and shares that rank passages and choose their answer sentence.
    # Points for a sentence that holds all the question's weight; a fraction for a share.
    # About one rare term's BM25 contribution, so it breaks ties between near-equal passages.
    sentence=4.0,
    # Bonus for a passage with a sentence that reports the person the question names.
    # Larger than one term, smaller than two: the person must still talk about the topic.
    attribution=6.0,
    # Share of the score an interviewer's question turn loses: its answer turn carries its
    # words (it is matched on them) and is what a user asking wants to read.
    question_turn=0.4,
    # Least share of the question's weight (unknown words counting at the highest IDF) the
    # matched words must hold; below it, "no answer" beats a passage sharing one stray word.
    min_coverage=0.34,
    # Least weight an unknown word counts with in `min_coverage`: the question's highest IDF
    # when that is larger. One, about a word in a third of the passages: a question of common
    # words only is still refused when most of its words are unknown.
    unknown_weight_floor=1.0,
    # Share of that weight an unknown everyday word (common English, typed in lower case) counts
    # with in `min_coverage`: half, so "Kadena flags photographed yesterday" is answered while
    # "Eiffel Tower opening hours" (a name unknown) is still refused on the bundled corpus.
    common_unknown=0.5,
    # Points for a sentence that repeats all the question's word pairs side by side
    # ("national anthem"); proximity that a bag of words cannot see.
    proximity=2.0,
    # Points for a passage that repeats all the question's word pairs side by side anywhere,
    # by their IDF (the sentence-level `proximity` misses pairs outside the best sentence).
    phrase=4.0,
    # Points (times the sentence's share) when it holds the kind of answer asked for: a name
    # for "who", a date for "when", a number for "how many".
    answer_type=2.0,
    # Points for a passage whose document holds all the question's words (see _document_shares).
    document=3.0,
    # Share of a sentence's evidence passed to the next one when it goes on from it ("This ...",
    # "He ..."); it picks the answer sentence only, never the rank. A quarter since `untyped`
    # and `local_idf` also favour the sentence after an echo (0.5 then cost answer@1, BENCHMARKS.md).
    continuation=0.25,
    # Share of its evidence (for the answer choice only) a sentence loses when it lacks the kind
    # of answer the question asks for: typing is rough, so a penalty, not a filter.
    untyped=0.3,
    # Points for a passage whose document's title holds all the question's weight (a share for
    # part): a title names the topic as the question does. About one rare term's BM25.
    title=4.0,
    # Share of a question word's weight that a sentence holding only its synonym gets
    # (sofa_cli.text.synonyms): "his death in 1227" answers "when did he die?", but a synonym is
    # weaker evidence than the word itself, and a group's words are not always the same sense.
    synonyms=0.3,
    # Evidence (for the answer choice only) of a sentence where a number the question lacks
    # stands beside what "how many" counts: "led the team in tackles (118)" answers "how many
    # tackles ...?", where "two of the three linebackers ... Kuechly" only has a number.
    counted=0.5,
    # Evidence (for the answer choice only) of a sentence repeating all the question's word pairs
    # side by side, a share for part: half a sentence's full share, so pairs decide between
    # sentences holding the same words but never beat one holding more of them.
    pair_evidence=0.5,
    # Evidence (for the answer choice only) of a sentence holding the kind of answer asked for,
    # times its share (or the share carried into it): half, for the same reason as pair_evidence.
    typed_evidence=0.5,
    # Evidence (for the answer choice only) of a sentence reporting the person the question
    # names: a whole share, so that person's own words are chosen over a sentence about them.
    reported_evidence=1.0,
    # ── Switches: features on or off, for measuring each one (bench/quality) and for `PLAIN`.
    # Weigh question words by how few of the passage's sentences hold them when choosing its
    # answer sentence (see _sentence_weights); the passage's score keeps the corpus IDF.
    local_idf=True,
    # Title words count once per passage (see _title_excess).
    title_terms=True,
    # Correct a question word the corpus lacks to the closest corpus word (sofa_cli.query.typos).
    typos=True,
    # Leave out the words that ask rather than describe ("tell me about", "according to").
    scaffolding=True,
    # Never correct a common English word (sofa_cli.text.english): "nothing" is a word the
    # corpus lacks, not a typo of "noting".
    common_words=True,
    # Rank passages that hold none of the question's topic after those that do: small talk, and
    # for a question asking for someone's words, a turn matched by the speaker's name alone.
    topic_first=True,
    # No answer when the person whose words the question asks for is unknown ("what did Okafor
    # propose?" of a corpus without Okafor): anyone else's "proposed" is not their answer.
    known_subject=True,
    # Words of one family that the stemmer leaves apart meet (sofa_cli.text.derivation): an
    # unknown "analyst" stands for the corpus's "analysis", "Okinawan" for "Okinawa". Unknown
    # words only: a known word's family as synonyms cost answer@1 on XQuAD, TIME and mixed.
    derivations=True,
    # ── Limits: whole numbers of question analysis, typo correction and windows, in letters or words.
    # Shorter words are never corrected: at four letters one edit reaches too many real words
    # ("bake" -> "make"), and short typos are rare in the words that matter.
    typo_min_letters=5,
    # Edits allowed between a typed word and its correction: one, since two turn real words
    # into others ("France" into "face", bench/quality counted such corrections on XQuAD).
    typo_edits=1,
    # A capitalised word this long is a name, and names are misspelled worse ("Nakashma").
    name_min_letters=8,
    # Edits allowed for such a name.
    name_edits=2,
    # Least length of a word corrected to a corpus word with the same letters ("Ghandi" for
    # "Gandhi"): shorter anagrams are other words.
    anagram_min_letters=6,
    # Edits allowed between a word and the anagram it is corrected to (a swap counts one).
    anagram_edits=3,
    # Most content words (stopwords aside) of a sentence that, holding no question word but the
    # names of the people asked about, is small talk: "Thank you for having me.", "It will
    # certainly be interesting to watch."
    # A speaker's courtesy is not their view of anything; a sentence of four words can be.
    small_talk_words=3,
    # Words either side of what "how many" counts in which its number stands ("tackles (118)").
    count_window=2,
)


class _Part:
    """One part of a ranking: the constants of `CONSTANTS` of one type, frozen, compared and
    hashed by value. `Weights(sentence=0.0)` is the defaults with the constants named changed.

    Not a dataclass: the constants are declared once, in `CONSTANTS`, and a one-shot answer
    need not generate three classes' methods. They are plain instance attributes, read as fast
    as a dataclass's (ranking reads them for every candidate)."""

    DEFAULTS: dict[str, float | bool | int] = {}

    def __init__(self, **changed: float | bool | int) -> None:
        unknown = changed.keys() - self.DEFAULTS.keys()
        if unknown:
            raise TypeError(f"{type(self).__name__} has no constant {', '.join(sorted(unknown))}")
        self.__dict__.update(self.DEFAULTS, **changed)

    def __setattr__(self, name: str, value) -> None:
        raise FrozenInstanceError(f"cannot assign to {type(self).__name__}.{name} (use replace)")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete {type(self).__name__}.{name}")

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(vars(self).items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def __reduce__(self):
        return (_part_of, (type(self), vars(self)))

    def items(self) -> list[tuple[str, float | bool | int]]:
        """Each constant's name and value, in `CONSTANTS`' order."""
        return list(vars(self).items())

    def replace(self, **changed: float | bool | int) -> _Part:
        """These constants with the ones named changed."""
        return type(self)(**{**vars(self), **changed})

    def off(self, *names: str):
        """These constants with the signals or features `names` off: a weight at zero, a switch False."""
        return self.replace(**{name: type(getattr(self, name))() for name in names})


def _part_of(part: type[_Part], values: dict) -> _Part:
    return part(**values)


def _of_type(kind: type) -> dict[str, float | bool | int]:
    return {name: value for name, value in CONSTANTS.items() if type(value) is kind}


class Weights(_Part):
    """Points and shares that rank passages and choose their answer sentence (the floats)."""

    DEFAULTS = _of_type(float)


class Switches(_Part):
    """Features on or off, for measuring each one (bench/quality) and for `PLAIN` (the booleans)."""

    DEFAULTS = _of_type(bool)


class Limits(_Part):
    """Whole-number limits of question analysis: typo correction and windows, in letters or words."""

    DEFAULTS = _of_type(int)


@dataclass(frozen=True)
class Ranking:
    """Everything that decides a ranking: weights, switches, limits and the re-ranking depth."""

    weights: Weights = field(default_factory=Weights)
    switches: Switches = field(default_factory=Switches)
    limits: Limits = field(default_factory=Limits)
    # Candidates re-scored with sentence evidence; BM25 beyond this rank never climbs to the top.
    # It sets speed (the re-scoring is the costly part), so the benches leave it alone.
    rerank_depth: int = 100
    # Candidates whose best possible score cannot reach the top `limit` are left unscored
    # (sofa_cli.query.rank._Bar): speed only, the same answers; off, every candidate is scored.
    prune: bool = True

    def constants(self) -> list[tuple[str, str, float | bool | int]]:
        """Every tunable constant as (part, name, value): what the benches vary, read at run time."""
        return [(part, name, value) for part in ("weights", "switches", "limits") for name, value in getattr(self, part).items()]

    def with_constant(self, part: str, name: str, value: float | bool | int) -> Ranking:
        """This ranking with one constant changed (`part` is "weights", "switches" or "limits")."""
        from dataclasses import replace

        return replace(self, **{part: getattr(self, part).replace(**{name: value})})


PLAIN = Ranking(
    weights=Weights().off(
        "sentence", "attribution", "question_turn", "min_coverage", "phrase", "title", "synonyms", "counted", "untyped"
    ),
    switches=Switches().off("local_idf", "typos", "scaffolding", "common_words", "topic_first", "known_subject", "derivations"),
)
"""`sofa plain` in bench/quality: BM25 with sentence, attribution, title and the other evidence off.
(proximity, answer_type, document, continuation and the title_terms cap keep their defaults, as
they always have in this configuration: the figures in BENCHMARKS.md were measured so.)"""
