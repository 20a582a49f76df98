"""Sharded builds on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on
127.0.0.1 (free ports; torn down even when a test fails; every wait bounded), a worker killed with
kill -9 mid-build, a scheduler that cannot be reached, Dask not installed, and the one-shot path
of an ordinary index importing no Dask at all."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import BUNDLED, run_process
from typer.testing import CliRunner

from sofa_cli.cli import app
from sofa_cli.index.sharded_reader import ShardedIndex
from sofa_cli.index.shards import build_sharded, read_manifest
from sofa_cli.query.rank import ask

QUESTIONS = ("what did Hornung suggest?", "who chaired the committee on day 7?", "fighter jets budget", "Tanaka Okinawa bases")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "dask"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "dask", *args]


# The test cluster's processes idle most of the time; by default a worker samples its own stack
# every 10 ms (the dashboard's profile) and checks memory every 100 ms, and both check their
# event loop every 20 ms: ~9% of a core for a scheduler and a worker doing nothing, ~14 s of CPU
# over this module. None of it is what the tests look at (a dead worker is noticed by its closed
# connection): off, or once a second.
QUIET_DASK = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
}


class Cluster(NamedTuple):
    address: str
    scheduler: subprocess.Popen


def _kill(process: subprocess.Popen) -> None:
    """A Dask process and its group killed, and waited for."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


class _Processes:
    """A scheduler and single-threaded workers without nannies (a killed worker stays dead), each
    in its own process group, logging to one file; `stop` kills them all whatever happened."""

    def __init__(self, log_path: Path, workers: int) -> None:
        self.log = log_path.open("wb")
        self.wanted = workers
        self.started = 0
        self.all: list[subprocess.Popen] = []  # every process started, killed by `stop`
        self._start_scheduler()

    def _start_scheduler(self) -> None:
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.workers: list[subprocess.Popen] = []
        self.scheduler = self._spawn("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")

    def _spawn(self, *args: str) -> subprocess.Popen:
        env = {**os.environ, **QUIET_DASK}
        proc = subprocess.Popen(_dask(*args), stdout=self.log, stderr=self.log, start_new_session=True, env=env)
        self.all.append(proc)
        return proc

    def _start_worker(self) -> None:
        self.started += 1
        name = f"w{self.started}"  # never a dead worker's name, which the scheduler may still hold
        args = ("worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1")
        self.workers.append(self._spawn(*args, "--name", name))

    def ready(self, at_least: int | None = None) -> Cluster:
        """Replace a scheduler that died (a test killed it: its workers go with it) and the
        workers that died (a test killed one), up to `at_least` live workers (default: as many as
        wanted), then wait until the scheduler knows exactly the live ones, so that no test sees
        another's dead worker or scheduler."""
        from distributed import Client

        if self.scheduler.poll() is not None:
            for worker in self.workers:
                _kill(worker)
            self._start_scheduler()
        self.workers = [w for w in self.workers if w.poll() is None]
        while len(self.workers) < (self.wanted if at_least is None else at_least):
            self._start_worker()
        live = len(self.workers)
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(live, timeout=60)
            deadline = time.monotonic() + 60
            while len(client.scheduler_info()["workers"]) != live:
                assert time.monotonic() < deadline, f"the scheduler still lists dead workers: {client.scheduler_info()}"
                time.sleep(0.05)
        return Cluster(self.address, self.scheduler)

    def stop(self) -> None:
        for p in self.all:
            _kill(p)
        self.log.close()


@pytest.fixture(scope="module")
def _module_cluster(tmp_path_factory):
    """One scheduler and two workers for this module's tests (starting them costs ~2 s of CPU a
    process); torn down at the end of the module."""
    pytest.importorskip("distributed")
    processes = _Processes(tmp_path_factory.mktemp("dask") / "dask.log", workers=2)
    try:
        yield processes
    finally:
        processes.stop()


# The tests that kill a process of the module's cluster come last in this file, the worker's
# before the scheduler's, so that no process is started again to replace one (~2 s of CPU each):
# in any other order (`-k`, a test added below them) `ready` replaces what an earlier test killed.


@pytest.fixture
def dask_cluster(_module_cluster):
    """The module's scheduler with two live workers (a killed worker or scheduler replaced)."""
    return _module_cluster.ready()


@pytest.fixture
def dask_cluster_to_kill(_module_cluster):
    """The module's scheduler with at least one live worker, for a test that kills the scheduler
    (the next test to ask for a cluster gets a new one)."""
    return _module_cluster.ready(at_least=1)


@pytest.fixture
def corpus(tmp_path):
    """The bundled corpus and enough notes that every shard task runs for a while."""
    root = tmp_path / "corpus"
    shutil.copytree(BUNDLED, root)
    body = " ".join(f"Minister Sato said the committee would review clause {j} of the agreement." for j in range(120))
    for i in range(24):
        (root / f"note-{i:02d}.md").write_text(
            f"# Note {i}\n\nThe committee met on day {i}; it was chaired by Aiko Mori.\n\n{body}\n", encoding="utf-8"
        )
    return root


def _sofa(*args: str, env: dict | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    """`sofa ARGS` run in this process by Typer's CliRunner: the exit code and output a process
    gives, without a Python start-up and an import of Dask (~1.5 s of CPU) for each command.
    (`run_process` where the process itself matters: the local cluster it starts.)"""
    try:
        result = CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)
    finally:
        left_open = _close_clients()
    assert not left_open, f"sofa {' '.join(args)} left {left_open} Dask client(s) open"
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout_bytes, result.stderr_bytes)


def _close_clients() -> int:
    """Close the Dask clients a command left open, and count them: every command closes what it
    opened (a library caller's process does not end with the command), and one left open would
    try to reconnect to a torn-down scheduler until this process exits."""
    if "distributed" not in sys.modules:
        return 0
    from distributed import default_client

    for closed in range(100):
        try:
            default_client().close()
        except ValueError:  # no client left
            return closed
    return 100


def _answers(folder: Path):
    with ShardedIndex(folder) as index:
        return [[(r.citation, r.answer, r.score) for r in ask(index, q, limit=5).results] for q in QUESTIONS]


def test_cli_builds_on_a_real_cluster_and_asks_without_it(dask_cluster, corpus, tmp_path):
    env = {"SOFA_INDEX_DIR": str(tmp_path / "cache"), "SOFA_CLUSTER": dask_cluster.address}
    built = _sofa("index", str(corpus), "--shards", "3", env=env)
    assert built.returncode == 0, built.stderr.decode()
    assert built.stdout.decode().strip().endswith("manifest.json")
    assert "3 of 3 shards rebuilt" in built.stderr.decode()
    asked = _sofa("ask", "--corpus", str(corpus), "--format", "plain", "what did Hornung suggest?", env=env)
    assert asked.returncode == 0 and "kyodo-sofa ¶19" in asked.stdout.decode()


def test_unreachable_scheduler_is_one_line_exit_2_and_previous_index_answers(corpus, tmp_path):
    pytest.importorskip("distributed")
    env = {"SOFA_INDEX_DIR": str(tmp_path / "cache")}
    assert run_process("index", str(corpus), "--shards", "2", env=env).returncode == 0  # a local cluster
    (corpus / "note-00.md").write_text("# Changed\n\nSomething else entirely.\n", encoding="utf-8")
    nobody = f"tcp://127.0.0.1:{_free_port()}"
    failed = _sofa("index", str(corpus), "--shards", "2", "--cluster", nobody, env={**env, "SOFA_CLUSTER_TIMEOUT": "0.5"})
    err = failed.stderr.decode()
    assert failed.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err and nobody in err
    asked = _sofa("ask", "--corpus", str(corpus), "--format", "plain", "what did Hornung suggest?", env=env)
    assert asked.returncode == 0 and "kyodo-sofa ¶19" in asked.stdout.decode()


def test_without_dask_shards_fail_naming_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from sofa_cli.cli import main\n"
        f"sys.argv = ['sofa', 'index', {str(BUNDLED)!r}, '--shards', '2']\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SOFA_INDEX_DIR": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["sofa: error: sharded builds need Dask: pip install 'sofa-cli[cluster]'"]


@pytest.mark.parametrize("sharded", [False, True])
def test_one_shot_answer_imports_no_dask(tmp_path, sharded):
    env = {**os.environ, "SOFA_INDEX_DIR": str(tmp_path)}
    if sharded:
        from sofa_cli.index.shards import shard_folder

        build_sharded(BUNDLED, shard_folder(BUNDLED.resolve(), str(tmp_path)), 2)
    code = (
        "import sys\n"
        "from sofa_cli.cli import main\n"
        f"sys.argv = ['sofa', 'ask', '--corpus', {str(BUNDLED)!r}, 'what did Hornung suggest?']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('DASK', sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert "kyodo-sofa ¶19" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "DASK []"


def test_questions_on_the_workers_keep_shards_open_and_equal_local_threads(dask_cluster, corpus, tmp_path):
    """`--cluster` on a sharded index: each question's per-shard BM25 runs on the worker holding
    that shard, which opened it once; answers and raw candidates equal the local threads'."""
    from distributed import Client

    from sofa_cli.index.shard_scoring import opened_on_worker
    from sofa_cli.query.question import analyse_question

    folder = tmp_path / "shards"
    build_sharded(corpus, folder, 4)
    expected = _answers(folder)
    with ShardedIndex(folder) as local, ShardedIndex(folder, cluster=dask_cluster.address) as remote:
        for _ in range(2):  # a second round: the workers answer from the shards they hold open
            assert [[(r.citation, r.answer, r.score) for r in ask(remote, q, limit=5).results] for q in QUESTIONS] == expected
        for q in QUESTIONS:
            terms = analyse_question(local, q).terms
            assert remote.bm25(terms, top=10) == local.bm25(terms, top=10)
            assert remote.bm25(terms) == local.bm25(terms)
    with Client(dask_cluster.address, timeout=30) as client:
        held = client.run(opened_on_worker)  # worker address -> {shard path: times opened}
    # This test's shards only: the module's workers also hold those of the tests before it.
    held = {worker: {p: n for p, n in opened.items() if Path(p).parent == folder} for worker, opened in held.items()}
    assert all(held.values()), f"a worker holds no shard: {held}"
    paths = [p for opened in held.values() for p in opened]
    assert sorted(paths) == sorted(str(folder / s["file"]) for s in read_manifest(folder).shard_files)  # each on one worker
    assert {n for opened in held.values() for n in opened.values()} == {1}  # opened once, not per question


def test_cli_asks_on_the_cluster_as_it_answers_locally(dask_cluster, corpus, tmp_path):
    env = {"SOFA_INDEX_DIR": str(tmp_path / "cache")}
    assert _sofa("index", str(corpus), "--shards", "3", "--cluster", dask_cluster.address, env=env).returncode == 0
    question = ("--corpus", str(corpus), "--json", "what did Hornung suggest?")
    local = _sofa("ask", *question, env=env)
    remote = _sofa("ask", "--cluster", dask_cluster.address, *question, env=env)
    assert remote.returncode == 0, remote.stderr.decode()
    assert remote.stdout == local.stdout and b"kyodo-sofa" in remote.stdout
    shell = _sofa("shell", "--corpus", str(corpus), "--cluster", dask_cluster.address, env=env, input=b"fighter jets budget\n")
    assert shell.returncode == 0, shell.stderr.decode()
    alone = _sofa("shell", "--corpus", str(corpus), env=env, input=b"fighter jets budget\n")
    assert shell.stdout == alone.stdout


def test_ask_on_an_unreachable_cluster_is_one_line_exit_2(corpus, tmp_path):
    pytest.importorskip("distributed")
    env = {"SOFA_INDEX_DIR": str(tmp_path / "cache"), "SOFA_CLUSTER_TIMEOUT": "0.5"}
    from sofa_cli.index.shards import shard_folder

    build_sharded(corpus, shard_folder(corpus.resolve(), env["SOFA_INDEX_DIR"]), 2)
    nobody = f"tcp://127.0.0.1:{_free_port()}"
    failed = _sofa("ask", "--corpus", str(corpus), "--cluster", nobody, "what did Hornung suggest?", env=env)
    err = failed.stderr.decode()
    assert failed.returncode == 2
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err and nobody in err


# -- last: the tests that kill a process of the module's cluster (see `dask_cluster`) ------------


def test_worker_killed_mid_build_is_retried_and_result_is_identical(dask_cluster, corpus, tmp_path):
    from distributed import Client

    from sofa_cli.cluster import dask_runner

    undisturbed = tmp_path / "undisturbed"
    build_sharded(corpus, undisturbed, 4)  # in this process: the reference
    with Client(dask_cluster.address, timeout=30) as client:
        pids = client.run(os.getpid)  # worker address -> pid
        folder = tmp_path / "disturbed"
        outcome: dict = {}

        def run_build():
            try:
                outcome["report"] = build_sharded(corpus, folder, 4, run=dask_runner(dask_cluster.address))
            except BaseException as err:  # reported by the assertion below
                outcome["error"] = err

        builder = threading.Thread(target=run_build)
        builder.start()
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline and builder.is_alive():
            busy = [addr for addr, keys in client.processing().items() if keys]
            if busy:
                killed = busy[0]
                os.kill(pids[killed], signal.SIGKILL)
            time.sleep(0.02)
        builder.join(timeout=180)
    assert killed is not None, "no shard task was seen running on a worker"
    assert not builder.is_alive(), "the build did not finish"
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].rebuilt == [0, 1, 2, 3]
    one, other = read_manifest(undisturbed), read_manifest(folder)
    assert [(s["documents"], s["passages"], s["fingerprints"]) for s in other.shard_files] == [
        (s["documents"], s["passages"], s["fingerprints"]) for s in one.shard_files
    ]
    assert other.n_passages == one.n_passages and other.total_length == one.total_length
    assert _answers(folder) == _answers(undisturbed)


def test_scheduler_killed_mid_build_is_an_error_and_previous_manifest_stands(dask_cluster_to_kill, corpus, tmp_path):
    from distributed import Client

    from sofa_cli.cluster import dask_runner
    from sofa_cli.index.shards import ClusterError

    folder = tmp_path / "shards"
    build_sharded(corpus, folder, 4)
    before = read_manifest(folder)
    expected = _answers(folder)
    for i in range(24):
        (corpus / f"note-{i:02d}.md").write_text(f"# Note {i}\n\nRewritten: nothing about committees.\n", encoding="utf-8")
    outcome: dict = {}

    def run_build():
        try:
            build_sharded(corpus, folder, 4, run=dask_runner(dask_cluster_to_kill.address))
        except BaseException as err:
            outcome["error"] = err

    builder = threading.Thread(target=run_build, daemon=True)
    with Client(dask_cluster_to_kill.address, timeout=30) as client:
        builder.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and builder.is_alive() and not any(client.processing().values()):
            time.sleep(0.02)
    os.killpg(dask_cluster_to_kill.scheduler.pid, signal.SIGKILL)
    builder.join(timeout=120)
    assert not builder.is_alive(), "the build did not end after its scheduler died"
    assert isinstance(outcome.get("error"), ClusterError), outcome
    assert read_manifest(folder) == before
    assert _answers(folder) == expected
