"""The persisted index: passages, sentence spans, attributions and compiled BM25 postings.

One file per corpus folder in the cache folder (keyed by the folder's absolute path).
It records each corpus file's size and mtime, so `open_index` notices a file added,
changed or removed and rebuilds, reparsing only the files that changed.

The index also stores every surface form of the corpus vocabulary with its stem, so a
query made of corpus words is analysed without importing nltk.
"""

from __future__ import annotations

import array
import hashlib
import os
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sofa_cli import bm25
from sofa_cli.analysis import acronym_definitions, is_stopword, stem, tokenize
from sofa_cli.documents import CorpusError, Document, Skipped, discover, load_file
from sofa_cli.segment import Passage
from sofa_cli.store import IndexFile, IndexFileError, NewerFormatError, write_index

INDEX_FILE = "index.sofa"
LOCK_FILE = "index.lock"


@dataclass(frozen=True)
class DocInfo:
    id: str
    path: str
    title: str
    kind: str
    source: str | None
    author: str | None
    date: str | None
    url: str | None
    first_passage: int
    passage_count: int


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index holds it; `pid` is its position in the whole index."""

    pid: int
    doc: DocInfo
    number: int
    text: str
    sentences: tuple[tuple[int, int], ...]
    speaker: str | None
    attributions: tuple[str | None, ...]
    prompt_pid: int


@dataclass
class BuildReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: int = 0
    passages: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
            f" ({self.documents} documents, {self.passages} passages, {self.seconds:.2f}s)"
        )


class Index:
    """Read access to an index file; everything is looked up lazily from the mapped arrays."""

    def __init__(self, path: Path, verify: bool | None = None) -> None:
        self.path = path
        self.file = IndexFile(path, verify=verify)
        h = self.file.header
        s = self.file.section
        try:
            self.corpus = h["corpus"]
            self.variant = h["variant"]
            self.avgdl = h["avgdl"]
            self.files = h["files"]
            self.names: list[str] = h["names"]
            self.acronyms: dict[str, list[str]] = h.get("acronyms", {})
            self.docs = [DocInfo(**d) for d in h["docs"]]
            self.text_blob = self.file.raw("text")
            self.text_off = s("text_off")
            self.p_doc, self.p_num, self.p_speaker = s("p_doc"), s("p_num"), s("p_speaker")
            self.p_prompt, self.p_sent = s("p_prompt"), s("p_sent")
            self.s_start, self.s_end, self.s_attr = s("s_start"), s("s_end"), s("s_attr")
            self.term_blob, self.term_off = self.file.raw("term_blob"), s("term_off")
            self.form_blob, self.form_off = self.file.raw("form_blob"), s("form_off")
            self.form_term = s("form_term")
            self.idf, self.post_off = s("idf"), s("post_off")
            self.post_pid, self.post_w = s("post_pid"), s("post_w")
        except (KeyError, TypeError) as err:
            raise IndexFileError(f"index is missing {err}") from err
        self.n_passages = len(self.p_doc)
        self.n_terms = len(self.idf)
        # Lookups memoised per process: a shell or eval session asks about the same words again.
        self._term_ids: dict[str, int | None] = {}
        self._stems: dict[str, str | None] = {}

    # -- passages -------------------------------------------------------------------
    def passage(self, pid: int) -> StoredPassage:
        a, b = self.p_sent[pid], self.p_sent[pid + 1]
        speaker_id = self.p_speaker[pid]
        return StoredPassage(
            pid=pid,
            doc=self.docs[self.p_doc[pid]],
            number=self.p_num[pid],
            text=self.passage_text(pid),
            sentences=tuple(zip(self.s_start[a:b], self.s_end[a:b])),
            speaker=self.names[speaker_id] if speaker_id >= 0 else None,
            attributions=tuple(self.names[x] if x >= 0 else None for x in self.s_attr[a:b]),
            prompt_pid=self.p_prompt[pid],
        )

    def passage_text(self, pid: int) -> str:
        return bytes(self.text_blob[self.text_off[pid] : self.text_off[pid + 1]]).decode("utf-8")

    def doc_by_id(self, doc_id: str) -> DocInfo | None:
        return next((d for d in self.docs if d.id == doc_id), None)

    # -- vocabulary -----------------------------------------------------------------
    def term_id(self, term: str) -> int | None:
        try:
            return self._term_ids[term]
        except KeyError:
            tid = self._term_ids[term] = _lookup(self.term_blob, self.term_off, term.encode("utf-8"))
            return tid

    def term(self, tid: int) -> str:
        return bytes(self.term_blob[self.term_off[tid] : self.term_off[tid + 1]]).decode("utf-8")

    def stem_of(self, form: str) -> str | None:
        """The stem of a corpus word form, without nltk; None for a form the corpus lacks."""
        try:
            return self._stems[form]
        except KeyError:
            i = _lookup(self.form_blob, self.form_off, form.encode("utf-8"))
            found = self._stems[form] = None if i is None else self.term(self.form_term[i])
            return found

    def terms(self) -> Iterable[str]:
        return (self.term(t) for t in range(self.n_terms))

    def doc_freq(self, tid: int) -> int:
        return self.post_off[tid + 1] - self.post_off[tid]

    # -- scoring --------------------------------------------------------------------
    def bm25(self, term_ids: Iterable[int]) -> dict[int, float]:
        """BM25 scores (the model's exact values) of the passages matching any of `term_ids`.

        Repeated ids count again, as rank-bm25 does with repeated query tokens.
        """
        term_ids = list(term_ids)
        scores: dict[int, float] = {}
        get = scores.get
        for tid in term_ids:
            a, b = self.post_off[tid], self.post_off[tid + 1]
            for pid, w in zip(self.post_pid[a:b], self.post_w[a:b]):
                scores[pid] = get(pid, 0.0) + w
        base = sum(bm25.constant(self.variant, self.idf[t]) for t in term_ids)
        if base:
            for pid in scores:
                scores[pid] += base
        return scores

    def impact(self, tid: int, pid: int) -> float:
        """The term's impact on one passage (0.0 when absent), by binary search of its postings."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, pid, a, b)
        return self.post_w[i] if i < b and self.post_pid[i] == pid else 0.0

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        """Whether the term occurs in any passage first_pid <= pid < end_pid (e.g. one document's)."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, first_pid, a, b)
        return i < b and self.post_pid[i] < end_pid

    def impacts(self, tid: int) -> dict[int, float]:
        a, b = self.post_off[tid], self.post_off[tid + 1]
        return dict(zip(self.post_pid[a:b], self.post_w[a:b]))


def _lookup(blob: memoryview, offsets: memoryview, key: bytes) -> int | None:
    """Binary search of `key` in a blob of byte-sorted strings."""
    n = len(offsets) - 1

    class _Keys:
        def __len__(self):
            return n

        def __getitem__(self, i):
            return bytes(blob[offsets[i] : offsets[i + 1]])

    i = bisect_left(_Keys(), key)
    if i < n and bytes(blob[offsets[i] : offsets[i + 1]]) == key:
        return i
    return None


# -- building ---------------------------------------------------------------------------


def _analysed_terms(text: str, forms: dict[str, str]) -> list[str]:
    terms = []
    for token in tokenize(text):
        form = token.form
        if is_stopword(form):
            continue
        term = forms.get(form)
        if term is None:
            term = forms[form] = stem(form)
        terms.append(term)
    return terms


def _fingerprint(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def build(
    root: Path,
    previous: Index | None = None,
    variant: str = bm25.DEFAULT_VARIANT,
    progress: Callable[[int, int], None] | None = None,
    attribute: Callable[[Document, list[Passage]], list[Passage]] | None = None,
) -> tuple[dict, dict, BuildReport]:
    """Parse the corpus at `root` (reusing `previous` for unchanged files) into index data."""
    from sofa_cli.segment import passages_of

    if attribute is None:
        from sofa_cli.attribution import attribute
    started = time.perf_counter()
    report = BuildReport()
    paths = discover(root)
    old_files = {f["path"]: f for f in previous.files} if previous else {}
    if previous and previous.variant != variant:
        old_files = {}
    docs: list[tuple[dict, list[Passage]]] = []
    files = []
    seen: set[str] = set()
    for n, path in enumerate(paths):
        if progress:
            progress(n, len(paths))
        rel = path.relative_to(root).as_posix()
        try:
            size, mtime = _fingerprint(path)
        except OSError as err:
            report.skipped.append(Skipped(rel, err.strerror or str(err)))
            continue
        old = old_files.get(rel)
        entry = {"path": rel, "size": size, "mtime_ns": mtime, "docs": [], "skipped": None}
        if old and old["size"] == size and old["mtime_ns"] == mtime:
            report.unchanged += 1
            for d in old["docs"]:
                info = previous.docs[d]
                record = _doc_record(info)
                record["id"] = _unique_id(info.id, info.path, seen, report)
                entry["docs"].append(len(docs))
                docs.append((record, _reuse_passages(previous, info)))
            entry["skipped"] = old.get("skipped")
            if old.get("skipped"):
                report.skipped.append(Skipped(rel, old["skipped"]))
            files.append(entry)
            continue
        report.updated += 1 if old else 0
        report.new += 0 if old else 1
        for item in load_file(path, root):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if item.path == rel:
                    entry["skipped"] = item.reason
                continue
            passages = attribute(item, passages_of(item))
            # After reading: a streamed file reports late decoding problems as it is read.
            report.warnings.extend(f"{item.path}: {w}" for w in item.warnings)
            record = _doc_record(item)
            record["id"] = _unique_id(item.id, item.path, seen, report)
            entry["docs"].append(len(docs))
            docs.append((record, passages))
        files.append(entry)
    report.removed = len(set(old_files) - {f["path"] for f in files})
    if progress:
        progress(len(paths), len(paths))
    header, sections = compile_index(root, docs, files, variant)
    report.documents = len(docs)
    report.passages = len(sections["p_doc"])
    report.seconds = time.perf_counter() - started
    return header, sections, report


def _unique_id(doc_id: str, path: str, seen: set[str], report: BuildReport) -> str:
    """`doc_id`, or for a second document with the same id (notes.md beside notes.txt) its
    file name with extension, so every citation names one document."""
    unique = doc_id
    if unique in seen:
        unique = path if "#" not in doc_id else f"{path}#{doc_id.rsplit('#', 1)[1]}"
        n = 2
        while unique in seen:
            unique, n = f"{path}~{n}", n + 1
        report.warnings.append(f"{path}: document id {doc_id!r} is taken; cited as {unique!r}")
    seen.add(unique)
    return unique


def _doc_record(doc) -> dict:
    return {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "kind": doc.kind,
        "source": doc.source,
        "author": doc.author,
        "date": doc.date,
        "url": doc.url,
    }


def _reuse_passages(previous: Index, info: DocInfo) -> list[Passage]:
    out = []
    for pid in range(info.first_passage, info.first_passage + info.passage_count):
        p = previous.passage(pid)
        prompt = previous.passage_text(p.prompt_pid) if p.prompt_pid >= 0 else None
        out.append(Passage(p.number, p.text, p.sentences, p.speaker, prompt, p.attributions))
    return out


def compile_index(root: Path, docs: list[tuple[dict, list[Passage]]], files: list, variant: str):
    """Lay the parsed corpus out as header + arrays, with BM25 compiled into impacts."""
    names: dict[str, int] = {}

    def name_id(name: str | None) -> int:
        if name is None:
            return -1
        return names.setdefault(name, len(names))

    text_parts: list[bytes] = []
    text_off = array.array("q", [0])
    p_doc, p_num, p_speaker, p_prompt = (array.array("i") for _ in range(4))
    p_sent = array.array("i", [0])
    s_start, s_end, s_attr = (array.array("i") for _ in range(3))
    forms: dict[str, str] = {}
    acronyms: dict[str, list[str]] = {}
    doc_terms: list[Counter] = []
    doc_lengths: list[int] = []
    doc_records = []
    for d, (record, passages) in enumerate(docs):
        first = len(p_doc)
        prompt_pid: dict[str, int] = {}
        for p in passages:
            pid = len(p_doc)
            raw = p.text.encode("utf-8")
            text_parts.append(raw)
            text_off.append(text_off[-1] + len(raw))
            p_doc.append(d)
            p_num.append(p.number)
            p_speaker.append(name_id(p.speaker))
            p_prompt.append(prompt_pid.get(p.prompt, -1) if p.prompt else -1)
            prompt_pid[p.text] = pid
            for (a, b), who in zip(p.sentences, p.attributions or (None,) * len(p.sentences)):
                s_start.append(a)
                s_end.append(b)
                s_attr.append(name_id(who))
            p_sent.append(len(s_start))
            terms = _analysed_terms(p.text, forms)
            if "(" in p.text:
                acronyms.update(acronym_definitions(p.text))
            if p.prompt:
                terms += _analysed_terms(p.prompt, forms)
            # The people a passage reports are matched as if named in it: "he clarified" is Hornung's.
            people = sorted({who for who in (p.speaker, *p.attributions) if who})
            if people:
                terms += _analysed_terms(" ".join(people), forms)
            doc_terms.append(Counter(terms))
            doc_lengths.append(len(terms))
        doc_records.append(dict(record, first_passage=first, passage_count=len(p_doc) - first))

    n = len(doc_terms)
    avgdl = bm25.average_length(doc_lengths)
    postings: dict[str, list[tuple[int, int]]] = {}
    for pid, counts in enumerate(doc_terms):
        for term, tf in counts.items():
            postings.setdefault(term, []).append((pid, tf))
    idf = bm25.idf_table(variant, {t: len(p) for t, p in postings.items()}, n)
    vocab = sorted(postings, key=lambda t: t.encode("utf-8"))
    term_index = {t: i for i, t in enumerate(vocab)}
    term_blob, term_off = _string_table(vocab)
    idf_arr = array.array("d")
    post_off = array.array("q", [0])
    post_pid = array.array("i")
    post_w = array.array("d")
    for term in vocab:
        t_idf = idf[term]
        idf_arr.append(t_idf)
        for pid, tf in postings[term]:
            post_pid.append(pid)
            post_w.append(bm25.impact(variant, t_idf, tf, doc_lengths[pid], avgdl))
        post_off.append(len(post_pid))
    form_list = sorted(forms, key=lambda f: f.encode("utf-8"))
    form_list = [f for f in form_list if forms[f] in term_index]
    form_blob, form_off = _string_table(form_list)
    form_term = array.array("i", (term_index[forms[f]] for f in form_list))
    header = {
        "corpus": str(root),
        "variant": variant,
        "avgdl": avgdl,
        "built": time.time(),
        "files": files,
        "names": list(names),
        "acronyms": {a: e for a, e in acronyms.items() if a in term_index},
        "docs": doc_records,
        "k1": bm25.K1,
        "b": bm25.B,
        "delta": bm25.DELTA,
    }
    sections = {
        "text": b"".join(text_parts),
        "text_off": text_off,
        "p_doc": p_doc,
        "p_num": p_num,
        "p_speaker": p_speaker,
        "p_prompt": p_prompt,
        "p_sent": p_sent,
        "s_start": s_start,
        "s_end": s_end,
        "s_attr": s_attr,
        "term_blob": term_blob,
        "term_off": term_off,
        "form_blob": form_blob,
        "form_off": form_off,
        "form_term": form_term,
        "idf": idf_arr,
        "post_off": post_off,
        "post_pid": post_pid,
        "post_w": post_w,
    }
    return header, sections


def _string_table(strings: list[str]) -> tuple[bytes, array.array]:
    offsets = array.array("q", [0])
    parts = []
    for s in strings:
        raw = s.encode("utf-8")
        parts.append(raw)
        offsets.append(offsets[-1] + len(raw))
    return b"".join(parts), offsets


# -- where indexes live, and keeping them fresh ---------------------------------------------


def cache_dir(index_dir: str | None = None) -> Path:
    if index_dir:
        return Path(index_dir).expanduser()
    env = os.environ.get("SOFA_INDEX_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sofa"


def index_path(root: Path, index_dir: str | None = None) -> Path:
    key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return cache_dir(index_dir) / f"{root.name or 'corpus'}-{key}" / INDEX_FILE


def is_fresh(index: Index, root: Path) -> bool:
    """True when no corpus file was added, changed or removed since `index` was built."""
    known = {f["path"]: (f["size"], f["mtime_ns"]) for f in index.files}
    paths = discover(root)
    if len(paths) != len(known):
        return False
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            if known.get(rel) != _fingerprint(path):
                return False
        except OSError:
            return False
    return True


@dataclass
class Opened:
    index: Index
    report: BuildReport | None
    warnings: list[str]


def open_index(
    root: Path,
    index_dir: str | None = None,
    rebuild: bool = False,
    variant: str = bm25.DEFAULT_VARIANT,
    progress: Callable[[int, int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> Opened:
    """The index of `root`, built or refreshed as needed; `notice` hears at once that this
    process waits for another one's build (other warnings come back in `Opened`).

    A damaged index is rebuilt with a warning. An index written by a newer sofa is left
    alone (that sofa still wants it) and this one indexes into memory; so it does, with a
    warning, when the cache folder cannot be written (read-only, full).
    """
    root = root.resolve()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    path = index_path(root, index_dir)
    warnings: list[str] = []
    previous = None
    keep_file = True
    if path.exists():
        try:
            previous = Index(path)
        except NewerFormatError as err:
            keep_file = False
            warnings.append(f"{err} at {path}; leaving it for that sofa and indexing in memory (or use --index-dir)")
        except IndexFileError as err:
            warnings.append(f"index at {path} unusable ({err}); rebuilding")
    if previous and not rebuild and previous.variant == variant and is_fresh(previous, root):
        return Opened(previous, None, warnings)
    if not keep_file:
        header, sections, report = build(root, None, variant, progress)
        return Opened(_in_memory(header, sections), report, warnings)
    with _lock(path.parent, notice or warnings.append):
        _remove_torn_writes(path)
        if not rebuild and path.exists() and previous is not None:
            try:  # another process may have rebuilt it while we waited for the lock
                latest = Index(path)
                if latest.variant == variant and is_fresh(latest, root):
                    return Opened(latest, None, warnings)
                previous = latest
            except IndexFileError:
                pass
        header, sections, report = build(root, None if rebuild else previous, variant, progress)
        try:
            write_index(path, header, sections)
        except OSError as err:
            warnings.append(f"cannot write index to {path.parent} ({err.strerror or err}); answering from memory")
            return Opened(_in_memory(header, sections), report, warnings)
    return Opened(Index(path), report, warnings)


def _in_memory(header: dict, sections: dict) -> Index:
    """An index that lives only as long as this process: written to an unlinked temporary
    file (tmpfs on most systems), so it is read through the same mapped format."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="sofa-", suffix=".sofa")
    os.close(fd)
    try:
        write_index(Path(tmp), header, sections)
        return Index(Path(tmp))
    finally:
        os.unlink(tmp)


def _remove_torn_writes(path: Path) -> None:
    """Temporary files left by a writer killed before its rename (kill -9, power loss).

    Called under the lock, so no live writer owns them.
    """
    for leftover in path.parent.glob(f"{path.name}.*.tmp"):
        try:
            leftover.unlink()
        except OSError:
            pass


class _lock:
    """An exclusive flock beside the index, so two `sofa index` runs do not build at once."""

    def __init__(self, folder: Path, notice: Callable[[str], None]) -> None:
        self.folder = folder
        self.notice = notice
        self.fd: int | None = None

    def __enter__(self):
        try:
            import fcntl

            self.folder.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.notice("another sofa is indexing this corpus; waiting for it")
                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (OSError, ImportError):
            self.fd = None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
