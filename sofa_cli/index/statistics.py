"""The reduce step of a sharded build: the collection-wide statistics, gathered from the shard
files into one statistics file (docs/scale.md).

Identical answers need more than N, the average length and document frequencies: one index over
the same files numbers its terms in byte order of the whole vocabulary, its documents and passages
in corpus-file order, and its people in order of first mention, and the ranking breaks ties and
orders its sums by those numbers. So the statistics file holds the whole vocabulary as an ordinary
index file with no passages (term and form tables, hash tables, idf, so `reader.Index` reads it),
plus the maps from each shard's numbers to the global ones:

    df          int64 per global term: passages holding it, over every shard
    g_doc_first int64 per global document (+1): its first global passage id
    doc_shard   int32 per global document: the shard holding it
    doc_local   int32 per global document: its number in that shard
    tid_<i>     int32 per term of shard i: its global term id (increasing: both in byte order)
    delta_<i>   int64 per document of shard i: global minus local passage id of its passages
"""

from __future__ import annotations

import array
import time
from pathlib import Path
from typing import NamedTuple

from sofa_cli.index import bm25
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.schema import dependencies


class Statistics(NamedTuple):
    block_crc: int
    size: int
    n_passages: int
    total_length: int


class _ShardData(NamedTuple):
    """What the reduce reads of one shard."""

    terms: list[bytes]  # UTF-8, byte-sorted (as the shard's string table holds them)
    df: object  # numpy int64 per local term
    forms: list[bytes]  # UTF-8, byte-sorted
    form_term: object  # numpy int64 per form: its local term id
    names: list[str]
    names_end: list[int]  # per local document: local name ids below this are introduced by then
    acronym_log: dict[str, dict[str, list[str]]]  # path -> the acronyms its parsing reported
    files: dict[str, list[int]]  # path -> local document numbers
    doc_first: object  # numpy int64, local (+1)
    doc_ids: list[str]
    doc_paths: list[str]
    doc_authors: list[str | None]
    total_length: int
    synonyms: list


def _read_shard(path: Path) -> _ShardData:
    """One shard, checked whole (the reduce reads all of it; a corrupt shard fails here, named)."""
    import numpy as np

    from sofa_cli.index.format import IndexFileError
    from sofa_cli.index.reader import Index
    from sofa_cli.index.shards import ShardError

    try:
        index = Index(path)
    except IndexFileError as err:
        raise ShardError(f"shard {path.name}: {err}; rebuild with `sofa index --shards N --rebuild`")
    try:
        index.check_all()
        post_off = index._array("post_off")
        p_doc = index._array("p_doc").astype(np.int64)
        n_docs = len(index.docs)
        name_max = np.full(n_docs, -1, dtype=np.int64)
        if len(p_doc):
            np.maximum.at(name_max, p_doc, index._array("p_speaker").astype(np.int64))
            sentences = np.diff(index._array("p_sent").astype(np.int64))
            np.maximum.at(name_max, np.repeat(p_doc, sentences), index._array("s_attr").astype(np.int64))
        names_end = (np.maximum.accumulate(name_max) + 1).tolist() if n_docs else []
        docs = _doc_records(index)
        return _ShardData(
            terms=_strings(index, "term"),
            df=np.diff(post_off.astype(np.int64)),
            forms=_strings(index, "form"),
            form_term=index._array("form_term").astype(np.int64),
            names=list(index.names),
            names_end=names_end,
            acronym_log=index.header.get("acronym_log", {}),
            files={f["path"]: list(f["docs"]) for f in index.files},
            doc_first=index._array("doc_first").astype(np.int64),
            doc_ids=[d["id"] for d in docs],
            doc_paths=[d["path"] for d in docs],
            doc_authors=[d["author"] for d in docs],
            total_length=int(index._array("p_len").astype(np.int64).sum()),
            synonyms=index.synonym_groups,
        )
    except IndexFileError as err:
        raise ShardError(f"shard {path.name} is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")
    finally:
        index.close()


def _doc_records(index) -> list[dict]:
    """Every document record of a shard (the JSON `reader.Index.docs` decodes one at a time),
    decoded in one call: the records joined as one JSON array."""
    import json

    blob = index._array("doc_blob").tobytes()
    off = index._array("doc_off").tolist()
    return json.loads(b"[" + b",".join([blob[a:b] for a, b in zip(off, off[1:])]) + b"]")


def _strings(index, table: str) -> list[bytes]:
    """A string table's entries as bytes, cut from its blob in one pass: the reduce compares and
    merges them as bytes (their byte order is the vocabulary's order), never decoding them, where
    reading them one `Index.term` call at a time was most of its time."""
    blob = index._array(f"{table}_blob").tobytes()
    off = index._array(f"{table}_off").tolist()
    return [blob[a:b] for a, b in zip(off, off[1:])]


def _merged(lists: list[list[bytes]]) -> list[bytes]:
    """The union of byte-sorted lists, byte-sorted: set union and sort of bytes, both in C."""
    return sorted(set().union(*lists))


def write_statistics(
    path: Path, root: Path, params: BM25Params, files: list[tuple[str, int]], shard_paths: list[Path]
) -> Statistics:
    """Gather the shards' statistics and numbering into the statistics file at `path`."""
    import numpy as np

    from sofa_cli.index.format import read_block_crc, write_index
    from sofa_cli.index.vocabulary import char_hists, hash_table_of_bytes
    from sofa_cli.index.writer import unique_id

    shards = [_read_shard(p) for p in shard_paths]
    vocab = _merged([s.terms for s in shards])
    gid = {t: i for i, t in enumerate(vocab)}
    df = np.zeros(len(vocab), dtype=np.int64)
    tid_maps = []
    form_term: dict[bytes, int] = {}
    for s in shards:
        tids = np.fromiter(map(gid.__getitem__, s.terms), dtype=np.int32, count=len(s.terms))
        df[tids] += s.df
        tid_maps.append(tids)
        form_term.update(zip(s.forms, tids[s.form_term].tolist()))  # a form stems alike in every shard
    n_passages = sum(int(s.doc_first[-1]) for s in shards)
    total_length = sum(s.total_length for s in shards)
    idf = bm25.idf_array(params, df, n_passages)
    form_list = sorted(form_term)

    # Documents and passages in corpus-file order, as one index numbers them.
    doc_shard, doc_local, g_first = array.array("i"), array.array("i"), array.array("q", [0])
    deltas = [np.zeros(len(s.doc_first) - 1, dtype=np.int64) for s in shards]
    global_files, names, name_ids, doc_ids = [], [], {}, {}
    authors: dict[str, None] = {}  # as one compiler meets them
    introduced = [0] * len(shards)
    seen: set[str] = set()
    for rel, i in files:
        s = shards[i]
        local_docs = s.files.get(rel, [])
        entry_docs = []
        for local in local_docs:
            d = len(doc_shard)
            doc_shard.append(i)
            doc_local.append(local)
            first, count = int(s.doc_first[local]), int(s.doc_first[local + 1] - s.doc_first[local])
            deltas[i][local] = g_first[-1] - first
            g_first.append(g_first[-1] + count)
            entry_docs.append(d)
            if s.doc_authors[local]:
                authors.setdefault(s.doc_authors[local])
            for n in range(introduced[i], max(introduced[i], s.names_end[local])):
                name_ids.setdefault(s.names[n], len(name_ids))
            introduced[i] = max(introduced[i], s.names_end[local])
            unique = unique_id(s.doc_ids[local], s.doc_paths[local], seen)
            if unique != s.doc_ids[local]:
                doc_ids[str(d)] = unique
        global_files.append({"path": rel, "docs": entry_docs})
    for s in shards:  # people named by no passage still count as people of the corpus
        for name in s.names:
            name_ids.setdefault(name, len(name_ids))
    names = list(name_ids)
    # Replayed file by file in corpus order, as one compiler hears them (a later definition wins).
    defined: dict[str, list[str]] = {}
    for rel, i in files:
        defined.update(shards[i].acronym_log.get(rel, {}))
    acronyms = {a: e for a, e in defined.items() if a.encode("utf-8") in gid}

    term_blob, term_off = _table(np, vocab)
    form_blob, form_off = _table(np, form_list)
    empty_i, empty_q = array.array("i"), array.array("q", [0])
    sections = {
        # An index with the whole vocabulary and no passages, so `reader.Index` reads it.
        "text": b"",
        "text_block": empty_q,
        "text_start": empty_q,
        "text_off": empty_q,
        "p_doc": empty_i,
        "p_num": empty_i,
        "p_speaker": empty_i,
        "p_prompt": empty_i,
        "p_sent": array.array("i", [0]),
        "s_start": empty_i,
        "s_end": empty_i,
        "s_attr": empty_i,
        "doc_blob": b"",
        "doc_off": empty_q,
        "doc_first": array.array("i", [0]),
        "term_blob": term_blob,
        "term_off": term_off,
        "form_blob": form_blob,
        "form_off": form_off,
        "form_term": np.fromiter(map(form_term.__getitem__, form_list), dtype=np.int32, count=len(form_list)),
        "form_hist": char_hists([f.decode("utf-8") for f in form_list]),
        "term_hash": hash_table_of_bytes(vocab),
        "form_hash": hash_table_of_bytes(form_list),
        "idf": idf,
        "post_off": np.zeros(len(vocab) + 1, dtype=np.int64),
        "post_pid": empty_i,
        "post_tf": np.zeros(0, dtype=np.uint8),
        "p_len": np.zeros(0, dtype=np.uint16),
        # No passages, so no stored sentence or title terms (the shards hold theirs).
        "s_terms": empty_i,
        "s_terms_end": np.zeros(1, dtype=np.int32),
        "p_unstored": empty_i,
        "title_terms": empty_i,
        "title_end": np.zeros(1, dtype=np.int32),
        # The statistics and the numbering.
        "df": df,
        "g_doc_first": g_first,
        "doc_shard": doc_shard,
        "doc_local": doc_local,
    }
    for i in range(len(shards)):
        sections[f"tid_{i}"] = tid_maps[i]
        sections[f"delta_{i}"] = deltas[i]
    header = {
        "corpus": str(root),
        "depends": dependencies(params).record(),
        # As the compiler computes it (np.mean of integer lengths is exact until the division).
        "avgdl": total_length / n_passages if n_passages else 0.0,
        "built": time.time(),
        "files": global_files,
        "names": names,
        "authors": list(authors),
        "acronyms": acronyms,
        "synonyms": shards[0].synonyms if shards else [],
        "n_passages": n_passages,
        "total_length": total_length,
        "shards": len(shards),
        "doc_ids": doc_ids,
    }
    write_index(path, header, sections)
    crc = read_block_crc(path)
    return Statistics(crc, path.stat().st_size, n_passages, total_length)


def _table(np, strings: list[bytes]):
    """`vocabulary.string_table` of strings already encoded: the blob and its int64 offsets."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=offsets[1:])
    return b"".join(strings), offsets
