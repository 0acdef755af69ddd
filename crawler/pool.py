"""A pool of worker processes for extraction, driven from the crawl's asyncio loop.

Extraction (decode, parse, classify, trafilatura, our rules) costs tens of milliseconds of CPU a
page; on Scrapy's reactor thread it caps a crawl at one core. :class:`ExtractionPool` runs it in
worker processes instead, one per core by default, and hands each result back to the awaiting
spider callback as a plain value.

How it works, and why:

- **Start method: forkserver.** The crawl's process runs the Twisted reactor, its threads and
  sockets by the time the pool starts; forking it would copy them in whatever state they are.
  The fork server is a fresh interpreter that imports the extraction modules once (its
  "preload"), and every worker is forked from it: a replacement worker is ready in
  milliseconds, with nothing of the reactor in it.
- **Two sockets per worker, no threads.** Each worker has its own pair of sockets, one for the
  pages it is sent and one for its results (with one socket, a write to a worker that has just
  died fails, and asyncio then drops the results it had already sent, so a good page would be
  blamed for its neighbour's crash); the parent reads
  results with asyncio streams on the reactor's own loop, so it always knows which page each
  worker holds (pages go to a worker in order, at most ``depth`` at a time: one running, the
  next ones already waiting in its socket so that the worker does not idle while the reactor
  is busy). ``concurrent.futures.ProcessPoolExecutor`` breaks for good when one worker dies and
  cannot stop a hung task; pebble (which can) lost every queued task with
  ``BrokenProcessPool("All workers expired")`` when crashing tasks met a busy main thread,
  because it learns which task a worker holds from an acknowledgement its threads may not have
  read yet.
- **Failures.** A worker that dies (a segfault in a C extension, ``os._exit``, the OOM killer)
  or holds one page longer than ``timeout`` seconds (then it is killed) fails that page with
  :class:`ExtractionFailed`; pages queued behind it go to the front of the queue, and a new
  worker is started. Workers that die before they are ready, several times in a row, mean the
  pool cannot work (:class:`PoolBroken`).
- **Back-pressure** is not here: the spider awaits each page, so Scrapy's scraper counts the
  page's response as in progress until its item is stored, and Scrapy starts no new download
  while those responses exceed ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes.

Worker processes ignore SIGINT (the crawl decides when to stop) and end when their socket
closes: when the pool closes, or when the crawl's process dies, even by ``kill -9``.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any, Final

from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

#: Frames on a worker's socket: an 8-byte length, then a pickle.
_HEADER: Final = struct.Struct("!Q")
#: Pages handed to one worker at once: one running, the others waiting in its socket, so that
#: the worker has the next page at hand however long the reactor takes to hand it another.
DEFAULT_DEPTH: Final = 3
#: Tries to start one worker process before the pool is given up (see ``_spawn``).
_START_ATTEMPTS: Final = 3
#: Workers that die before being ready, this many times in a row: the pool cannot work.
_MAX_FAILED_STARTS: Final = 3
#: Seconds a closing worker gets to finish its page and exit before it is killed.
_CLOSE_GRACE: Final = 5.0
#: What the fork server imports once, so that each worker forked from it starts ready (the
#: extraction imports trafilatura on its first page, which would cost each new worker a
#: second). Not ``__main__``: ``python -m newsarchive`` runs the command line when imported.
_PRELOAD: Final = ["crawler.pagework", "trafilatura"]
_READY: Final = b"ready"


class ExtractionFailed(Exception):
    """A page's extraction did not finish: its worker died, hung, or raised."""


class PoolBroken(ExtractionFailed):
    """Workers die as soon as they start: the pool cannot extract anything."""


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_workers(value: object) -> int:
    """``NEWSARCHIVE_EXTRACT_WORKERS``: ``auto`` (or empty) for one per core, else a number ≥ 0."""
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "auto"):
        return cores()
    try:
        workers = int(text)
    except ValueError:
        raise ValueError(
            f"NEWSARCHIVE_EXTRACT_WORKERS: expected auto or a whole number ≥ 0, got {value!r}"
        ) from None
    if workers < 0:
        raise ValueError(f"NEWSARCHIVE_EXTRACT_WORKERS: expected a number ≥ 0, got {workers}")
    return workers


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """What a pool runs, and how; pools of equal configs are shared within a process."""

    workers: int
    #: ``module.function`` called in the worker as ``function(payload, *args)``.
    target: str
    args: tuple[Any, ...] = ()
    #: Seconds one payload may run before its worker is killed (0: no limit).
    timeout: float = 0.0
    depth: int = DEFAULT_DEPTH


@dataclass(eq=False, slots=True)
class _Job:
    payload: Any
    future: asyncio.Future[Any]
    #: Workers lost while this job was first in line and their end was a reset (see _lost).
    suspect: int = 0


@dataclass(eq=False, slots=True)
class _Worker:
    process: BaseProcess
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    #: The results socket's own writer (never written to), closed with the worker.
    results_writer: asyncio.StreamWriter
    ready: bool = False
    #: Pages sent, in order: the first is running, the others wait in the socket.
    jobs: deque[_Job] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None
    #: Why the pool killed it (a timeout), to report instead of the signal.
    kill_reason: str | None = None
    reading: asyncio.Task[None] | None = None
    #: The socket ended in a reset rather than a clean EOF: results it had sent may be lost.
    reset: bool = False


class ExtractionPool:
    """Worker processes running ``config.target`` on payloads; see the module's docstring."""

    def __init__(self, config: PoolConfig) -> None:
        if config.workers < 1:
            raise ValueError("an extraction pool needs at least one worker")
        self.config = config
        self._context: ForkServerContext = multiprocessing.get_context("forkserver")
        self._pending: deque[_Job] = deque()
        self._workers: list[_Worker] = []
        self._starting = 0
        self._failed_starts = 0
        self._closed = False
        self.broken: str | None = None
        #: Workers started to replace one that died or hung.
        self.replaced = 0
        #: Most pages waiting for a worker at once.
        self.max_pending = 0

    # -- public ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers (the first start also starts the fork server)."""
        # Set before the fork server starts (it is started once per process, by the first pool).
        self._context.set_forkserver_preload(_PRELOAD)
        await asyncio.gather(*(self._spawn() for _ in range(self.config.workers)))

    async def run(self, payload: Any) -> Any:
        """``target(payload, *args)`` in a worker; raises :class:`ExtractionFailed`."""
        if self.broken is not None:
            raise PoolBroken(self.broken)
        if self._closed:
            raise ExtractionFailed("the extraction pool is closed")
        job = _Job(payload, asyncio.get_running_loop().create_future())
        self._pending.append(job)
        self.max_pending = max(self.max_pending, len(self._pending))
        self._dispatch()
        return await job.future

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    async def close(self) -> None:
        """Let each worker finish its page and exit; kill those that do not in time."""
        if self._closed:
            return
        self._closed = True
        self._fail_pending(ExtractionFailed("the crawl is closing"))
        workers = list(self._workers)
        for worker in workers:
            self._stop_timer(worker)
            worker.writer.close()  # the worker reads EOF, and exits
        processes = [w.process for w in workers]
        await asyncio.to_thread(_join_or_kill, processes, _CLOSE_GRACE)
        for worker in workers:
            for job in worker.jobs:
                _fail(job, ExtractionFailed("the crawl is closing"))
            if worker.reading is not None:
                worker.reading.cancel()

    # -- workers ---------------------------------------------------------------------------

    async def _spawn(self) -> None:
        parent, child = socket.socketpair()  # pages to the worker
        results_parent, results_child = socket.socketpair()  # its results back
        process = self._context.Process(
            target=_worker_main,
            args=(child, results_child, self.config.target, self.config.args),
            name="newsarchive-extract",
            daemon=True,  # multiprocessing terminates it if the crawl exits without closing us
        )
        self._starting += 1
        try:
            for attempt in range(_START_ATTEMPTS):
                try:
                    # In a thread: the first start waits for the fork server's preload.
                    await asyncio.to_thread(process.start)
                    break
                except OSError as exc:
                    # The fork server can die under us (CPython's forkserver loop ends on a
                    # client that hangs up before sending its fds); it is started again once
                    # reaped, so a refused connection is tried again before giving up.
                    if attempt + 1 == _START_ATTEMPTS:
                        parent.close()
                        results_parent.close()
                        self._break(f"cannot start an extraction worker: {exc}")
                        return
                    logger.warning("starting an extraction worker failed (%s); trying again", exc)
                    await asyncio.sleep(0.2 * (attempt + 1))
                    process = self._context.Process(
                        target=_worker_main,
                        args=(child, results_child, self.config.target, self.config.args),
                        name="newsarchive-extract",
                        daemon=True,
                    )
        finally:
            self._starting -= 1
            child.close()
            results_child.close()
        _, writer = await asyncio.open_unix_connection(sock=parent)
        reader, results_writer = await asyncio.open_unix_connection(sock=results_parent)
        worker = _Worker(process, reader, writer, results_writer)
        self._workers.append(worker)
        worker.reading = asyncio.ensure_future(self._read(worker))
        if self._closed:
            writer.close()

    async def _read(self, worker: _Worker) -> None:
        try:
            while True:
                header = await worker.reader.readexactly(_HEADER.size)
                data = await worker.reader.readexactly(_HEADER.unpack(header)[0])
                self._received(worker, data)
        except asyncio.IncompleteReadError:
            pass  # the worker ended, or was killed
        except ConnectionError:
            # A process that dies with pages unread in its socket resets it, and the kernel
            # may then drop results it had already written: which page killed it is unsure.
            worker.reset = True
        await self._lost(worker)

    def _received(self, worker: _Worker, data: bytes) -> None:
        if not worker.ready:
            worker.ready = data == _READY
            self._failed_starts = 0
            self._dispatch()
            return
        job = worker.jobs.popleft()
        self._stop_timer(worker)
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # a result that does not unpickle here: that page's fault
            ok, value = False, f"unreadable result ({type(exc).__name__}: {exc})"
        if ok:
            if not job.future.done():
                job.future.set_result(value)
        else:
            _fail(job, ExtractionFailed(f"raised {value}"))
        self._start_timer(worker)
        self._dispatch()

    async def _lost(self, worker: _Worker) -> None:
        """The worker's socket closed: it exited or was killed. Fail its page, replace it."""
        self._stop_timer(worker)
        if worker in self._workers:
            self._workers.remove(worker)
        worker.writer.close()
        worker.results_writer.close()
        if self._closed:
            return
        exitcode = await asyncio.to_thread(_exitcode, worker.process)
        if self._closed:
            return
        reason = worker.kill_reason or describe_exit(exitcode)
        if worker.jobs:
            first = worker.jobs[0]
            first.suspect += 1
            if worker.kill_reason is not None or not worker.reset or first.suspect >= 2:
                # The running page: hung past the timeout, or the socket ended cleanly after
                # every result it sent (so the first unanswered page is the one that killed
                # it), or a page that was first in line when two workers died.
                _fail(worker.jobs.popleft(), ExtractionFailed(f"its worker {reason}"))
            # The pages queued behind it never started (or their result was lost with a
            # reset socket): first in line again.
            self._pending.extendleft(reversed(worker.jobs))
            worker.jobs.clear()
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= _MAX_FAILED_STARTS:
                self._break(f"extraction workers die as they start (the last one {reason})")
                return
        logger.warning("extraction worker %s %s; starting another", worker.process.pid, reason)
        self.replaced += 1
        await self._spawn()
        self._dispatch()

    def _break(self, reason: str) -> None:
        self.broken = reason
        logger.error("%s", reason)
        self._fail_pending(PoolBroken(reason))

    # -- pages -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Hand waiting pages to ready workers: idle ones first, then up to ``depth`` each."""
        ready = [w for w in self._workers if w.ready and w.kill_reason is None]
        for level in range(1, self.config.depth + 1):
            for worker in ready:
                if not self._pending:
                    return
                if len(worker.jobs) < level:
                    self._send(worker, self._pending.popleft())

    def _send(self, worker: _Worker, job: _Job) -> None:
        if job.future.done():  # cancelled while it waited
            return
        try:
            data = pickle.dumps(job.payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            _fail(job, ExtractionFailed(f"cannot be sent to a worker ({exc})"))
            return
        worker.writer.writelines((_HEADER.pack(len(data)), data))
        worker.jobs.append(job)
        if len(worker.jobs) == 1:
            self._start_timer(worker)

    def _start_timer(self, worker: _Worker) -> None:
        if worker.jobs and self.config.timeout > 0:
            loop = asyncio.get_running_loop()
            worker.timer = loop.call_later(
                self.config.timeout, self._timed_out, worker, worker.jobs[0]
            )

    def _stop_timer(self, worker: _Worker) -> None:
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None

    def _timed_out(self, worker: _Worker, job: _Job) -> None:
        if worker.jobs and worker.jobs[0] is job and worker.kill_reason is None:
            worker.kill_reason = f"took longer than {self.config.timeout:g} s and was killed"
            worker.process.kill()  # SIGKILL: a page stuck in C code ignores anything milder

    def _fail_pending(self, error: ExtractionFailed) -> None:
        while self._pending:
            _fail(self._pending.popleft(), error)


def _fail(job: _Job, error: ExtractionFailed) -> None:
    if not job.future.done():
        job.future.set_exception(error)


def describe_exit(exitcode: int | None) -> str:
    """``killed by SIGSEGV``, ``exited with status 3``: how a worker ended."""
    if exitcode is None:
        return "ended"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


def _exitcode(process: BaseProcess) -> int | None:
    process.join(_CLOSE_GRACE)
    return process.exitcode


def _join_or_kill(processes: list[BaseProcess], grace: float) -> None:
    for process in processes:
        process.join(grace)
        if process.is_alive():
            process.kill()
            process.join(grace)


def prestart(workers: int) -> None:
    """Start the fork server now, when a pool of ``workers`` is to come: it imports the
    extraction's modules (:data:`_PRELOAD`, most of a second) in its own process while this
    one goes on with its own start (Scrapy, the archive), so that the workers are ready when
    the first pages arrive instead of a second later. Nothing is started for ``workers`` 0;
    a fork server that cannot start now is started again by the pool, which reports it."""
    if workers < 1:
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(_PRELOAD)
    try:
        forkserver.ensure_running()
    except OSError as exc:  # the pool tries again, and says why if it fails too
        logger.debug("the fork server did not start ahead of the pool: %s", exc)


# -- the pool's shared use within one process ------------------------------------------------

_shared: dict[PoolConfig, tuple[asyncio.Future[ExtractionPool], int]] = {}


async def acquire_pool(config: PoolConfig) -> ExtractionPool:
    """The process's pool for ``config``, started on first use; several crawls share it."""
    entry = _shared.get(config)
    if entry is None:
        future: asyncio.Future[ExtractionPool] = asyncio.ensure_future(_started(config))
        _shared[config] = (future, 1)
    else:
        future, users = entry
        _shared[config] = (future, users + 1)
    return await asyncio.shield(future)


async def release_pool(config: PoolConfig) -> None:
    """One crawl is done with its pool; the last one closes it."""
    entry = _shared.get(config)
    if entry is None:
        return
    future, users = entry
    if users > 1:
        _shared[config] = (future, users - 1)
        return
    del _shared[config]
    pool = await future
    await pool.close()


async def _started(config: PoolConfig) -> ExtractionPool:
    pool = ExtractionPool(config)
    await pool.start()
    return pool


# -- the worker process --------------------------------------------------------------------


def _worker_main(
    sock: socket.socket, results: socket.socket, target: str, args: tuple[Any, ...]
) -> None:
    """A worker: read a payload from ``sock``, run the target on it, send the outcome back on
    ``results``, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the crawl, which stops us
    function = load_object(target)
    try:
        _send_frame(results, _READY)
        while (data := _receive_frame(sock)) is not None:
            try:
                reply: tuple[bool, Any] = (True, function(pickle.loads(data), *args))
            except Exception as exc:
                reply = (False, f"{type(exc).__name__}: {exc}")
            try:
                out = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                out = pickle.dumps((False, f"an unpicklable result ({exc})"))
            _send_frame(results, out)
    except OSError:
        pass  # the crawl's end of the socket is gone
    finally:
        sock.close()
        results.close()


def _send_frame(sock: socket.socket, data: bytes) -> None:
    sock.sendall(_HEADER.pack(len(data)))
    sock.sendall(data)


def _receive_frame(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, _HEADER.size)
    if header is None:
        return None
    return _receive_exactly(sock, _HEADER.unpack(header)[0])


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes, or None at EOF."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return bytes(buffer)
