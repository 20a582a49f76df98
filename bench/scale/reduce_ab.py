"""Usage: python bench/scale/reduce_ab.py SHARDED_FOLDER ROUNDS OLD_STATISTICS_PY
(e.g. `git show aa24c00~1:sofa_cli/index/statistics.py > old.py`).
The reduce before (a saved copy of statistics.py) and after, on the same shards, alternated:
time each and compare the files section by section (header minus the build time)."""

import importlib.util
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import sofa_cli.index.statistics as new
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.reader import Index
from sofa_cli.index.shards import read_manifest

spec = importlib.util.spec_from_file_location("old_statistics", sys.argv[3])
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
folder = Path(sys.argv[1])
m = read_manifest(folder)
params = BM25Params(**m.depends["bm25"])
paths = [folder / s["file"] for s in m.shard_files]
times = {"before": [], "after": []}
for r in range(int(sys.argv[2])):
    for name, mod in (("before", old), ("after", new)) if r % 2 == 0 else (("after", new), ("before", old)):
        t = time.perf_counter()
        mod.write_statistics(Path(f"/tmp/shards2-stats-{name}.sofa"), Path(m.corpus), params, m.files, paths)
        times[name].append(time.perf_counter() - t)
for k, v in times.items():
    print(k, " ".join(f"{x:.2f}" for x in v), "s")
a, b = Index(Path("/tmp/shards2-stats-before.sofa")), Index(Path("/tmp/shards2-stats-after.sofa"))
ha = {k: v for k, v in a.header.items() if k not in ("built", "sections", "block_crc", "sections_crc")}
hb = {k: v for k, v in b.header.items() if k not in ("built", "sections", "block_crc", "sections_crc")}
assert ha == hb, [k for k in ha if ha[k] != hb.get(k)]
sa, sb = a.header["sections"], b.header["sections"]
assert list(sa) == list(sb)
diff = [n for n in sa if a._array(n).tobytes() != b._array(n).tobytes() or sa[n][1] != sb[n][1]]
print("sections differing:", diff, "of", len(sa))
