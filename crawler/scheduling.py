"""Run profile crawls on their cron schedules, one subprocess per crawl, never two of one profile.

``newsarchive schedule FILE`` builds a :class:`Scheduler` over the profiles of FILE that have a
``schedule``. At each fire time (computed in the profile's time zone) the profile's crawl starts
as a subprocess, ``python -m newsarchive crawl --profiles FILE --profile NAME ...``: Scrapy's
reactor starts once per process, so every run needs a process of its own. At most
``max_parallel`` crawls run at once; a profile that comes due while all slots are taken waits for
one.

Overlaps are prevented twice: the scheduler never starts a profile whose previous crawl it still
runs, and every crawl of a profile, however it was started (scheduler, cron, by hand), holds
:class:`ProfileLock` on ``<lock dir>/<name>.lock``. That is an ``flock``: the kernel drops it when
its process dies, even by ``kill -9``, so a crashed run never blocks the next. A fire time that
finds the profile busy is skipped, with a log line.

A failed crawl (non-zero exit) is logged in one line and the scheduler goes on; the crawl itself
records its run in the archive. Crawls run with ``--fail-on-alert``: one that breaks its
profile's alert thresholds exits with :data:`~crawler.alerts.ALERT_EXIT_STATUS`, logged as
"ended degraded". SIGINT or SIGTERM stops launching, waits ``grace_period`` seconds
for running crawls to finish, then terminates them (SIGTERM: Scrapy closes the spider cleanly and
the run is recorded), and kills what is left ``kill_after`` seconds later. A second signal skips
the wait.

The clock, the sleeper and the launcher are parameters, so that tests run hours of schedule in
milliseconds. Nothing here imports Scrapy.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Final, Protocol

from crawler.alerts import ALERT_EXIT_STATUS
from crawler.profiles import NAME_RE, Profile, ProfileError, load_profiles

logger = logging.getLogger(__name__)

#: Environment variable naming the directory of the profile lock files.
LOCK_DIR_ENV_VAR: Final = "NEWSARCHIVE_LOCK_DIR"


# --- the per-profile lock ----------------------------------------------------------------------


def default_lock_dir() -> Path:
    """``$NEWSARCHIVE_LOCK_DIR``, else ``<temp dir>/newsarchive-locks-<uid>``.

    The scheduler and every crawl must agree on it, so it depends on nothing that differs
    between a login shell, cron and systemd (such as ``$XDG_RUNTIME_DIR``).
    """
    explicit = os.environ.get(LOCK_DIR_ENV_VAR)
    if explicit:
        return Path(explicit)
    return Path(tempfile.gettempdir()) / f"newsarchive-locks-{os.getuid()}"


class ProfileBusy(Exception):
    """Another crawl of the profile holds its lock. ``str(error)`` is one line."""

    def __init__(self, name: str, pid: int | None, path: Path) -> None:
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f'profile "{name}" is already being crawled by {holder} (lock {path});'
            " wait for that crawl to end or stop it"
        )
        self.name = name
        self.pid = pid
        self.path = path


class ProfileLock:
    """An exclusive, non-blocking lock on one profile, shared by every process of the machine.

    ``with ProfileLock(lock_dir, "luohu"):`` raises :class:`ProfileBusy` when another crawl of
    ``luohu`` holds it. The lock is ``flock(LOCK_EX | LOCK_NB)`` on ``<lock_dir>/<name>.lock``;
    the file holds the owner's pid for humans and stays in place (removing it would let two
    processes lock two different files of the same name). Two ``ProfileLock`` objects of one
    name exclude each other even inside one process. The descriptor is not inherited by child
    processes, so a crawl's children never keep its lock alive.
    """

    def __init__(self, lock_dir: Path, name: str) -> None:
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"not a profile name: {name!r} (expected [a-z0-9_-]+)")
        self.lock_dir = Path(lock_dir)
        self.name = name
        self.path = self.lock_dir / f"{name}.lock"
        self._fd: int | None = None

    @property
    def locked(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock now, or raise :class:`ProfileBusy` naming its holder."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this object")
        _ensure_lock_dir(self.lock_dir)
        # No O_TRUNC: the file holds the current holder's pid until we own it.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ProfileBusy(self.name, _read_pid(self.path), self.path) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> ProfileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def lock_holder(lock_dir: Path, name: str) -> ProfileBusy | None:
    """The :class:`ProfileBusy` a crawl of ``name`` would meet now, or None when it is free."""
    try:
        with ProfileLock(lock_dir, name):
            return None
    except ProfileBusy as busy:
        return busy


def _ensure_lock_dir(lock_dir: Path) -> None:
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # In a shared temp directory, someone else could have made the folder first.
    owner = lock_dir.stat().st_uid
    if owner != os.getuid():
        raise PermissionError(
            f"lock directory {lock_dir} belongs to uid {owner}, not to you;"
            f" set {LOCK_DIR_ENV_VAR} to a directory of your own"
        )


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


# --- launching crawls --------------------------------------------------------------------------


class Child(Protocol):
    """What the scheduler needs of a started crawl; :class:`subprocess.Popen` is one."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


Launcher = Callable[[Profile], Child]


def crawl_command(profiles_path: Path, name: str, extra_args: Sequence[str] = ()) -> list[str]:
    """The command line of one profile's crawl."""
    return [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        "--profiles",
        str(profiles_path),
        "--profile",
        name,
        *extra_args,
    ]


def subprocess_launcher(profiles_path: Path, extra_args: Sequence[str] = ()) -> Launcher:
    """A launcher that runs :func:`crawl_command` as a subprocess.

    The child gets a process group of its own, so that Ctrl-C in a terminal reaches only the
    scheduler, which then stops its crawls in order (one SIGTERM each: Scrapy reads a second
    signal as "stop now, uncleanly"). Standard output and errors are inherited.
    """
    path = Path(profiles_path).resolve()

    def launch(profile: Profile) -> Child:
        return subprocess.Popen(crawl_command(path, profile.name, extra_args), process_group=0)

    return launch


# --- the scheduler -----------------------------------------------------------------------------


@dataclass(slots=True)
class Launch:
    """One crawl the scheduler started (or tried to start)."""

    profile: str
    due_at: datetime
    started_at: datetime
    pid: int | None = None
    ended_at: datetime | None = None
    #: The exit status; negative: killed by that signal; None: still running or never started.
    exit_code: int | None = None
    #: Why the crawl could not be started, when it could not.
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A fire time that started nothing, and why."""

    profile: str
    due_at: datetime
    reason: str


@dataclass(slots=True)
class _Running:
    profile: Profile
    child: Child
    launch: Launch


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class Scheduler:
    """Starts each scheduled profile's crawl at its cron times; see the module docstring.

    ``now`` must return aware datetimes; ``sleep`` waits that many seconds; ``launch`` starts a
    profile's crawl and returns its process. Profiles without a schedule are ignored.
    """

    def __init__(
        self,
        profiles: Sequence[Profile],
        launch: Launcher,
        *,
        lock_dir: Path | None = None,
        max_parallel: int = 2,
        now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 1.0,
        grace_period: float = 30.0,
        kill_after: float = 30.0,
    ) -> None:
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be at least 1, got {max_parallel}")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval}")
        self.profiles = [p for p in profiles if p.schedule is not None]
        self.launch = launch
        self.lock_dir = lock_dir if lock_dir is not None else default_lock_dir()
        self.max_parallel = max_parallel
        self.now = now
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.grace_period = grace_period
        self.kill_after = kill_after
        #: Every crawl started (or attempted), in order.
        self.launches: list[Launch] = []
        #: Every fire time that started nothing.
        self.skips: list[Skip] = []
        self.next_due: dict[str, datetime] = {}
        self._running: dict[str, _Running] = {}
        self._waiting: deque[tuple[Profile, datetime]] = deque()
        self._stopping = False
        self._hurry = False
        self._started = False

    # -- state --------------------------------------------------------------------------------

    @property
    def running(self) -> list[str]:
        """Names of the profiles whose crawl runs now."""
        return list(self._running)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Stop launching and shut down; a second call skips the grace period."""
        if self._stopping:
            self._hurry = True
        self._stopping = True

    def _current_time(self) -> datetime:
        moment = self.now()
        if moment.tzinfo is None:
            raise ValueError("the scheduler's clock must return aware datetimes")
        return moment

    # -- one step -----------------------------------------------------------------------------

    def start(self) -> None:
        """Compute every profile's first fire time (after now) and log the plan."""
        now = self._current_time()
        for profile in self.profiles:
            due = profile.next_run_after(now)
            assert due is not None  # only scheduled profiles are kept
            self.next_due[profile.name] = due
            logger.info(
                "profile %s: schedule %r (%s), next crawl at %s",
                profile.name,
                profile.schedule,
                profile.timezone,
                _stamp(due),
            )
        self._started = True

    def tick(self) -> float:
        """Reap ended crawls, queue due profiles, start what fits; seconds until worth waking."""
        if not self._started:
            self.start()
        self._reap()
        now = self._current_time()
        if not self._stopping:
            for profile in self.profiles:
                due = self.next_due[profile.name]
                if due <= now:
                    self._queue(profile, due)
                    # Fire times missed while busy or asleep are not made up: next is after now.
                    nxt = profile.next_run_after(now)
                    assert nxt is not None
                    self.next_due[profile.name] = nxt
            self._start_waiting()
        until_due = min(
            ((due - now).total_seconds() for due in self.next_due.values()), default=None
        )
        if until_due is None:
            return self.poll_interval
        return max(0.0, min(self.poll_interval, until_due))

    def _queue(self, profile: Profile, due: datetime) -> None:
        running = self._running.get(profile.name)
        if running is not None:
            self._skip(
                profile,
                due,
                f"its previous crawl is still running (pid {running.launch.pid},"
                f" started at {_stamp(running.launch.started_at)})",
            )
        elif any(waiting.name == profile.name for waiting, _ in self._waiting):
            self._skip(profile, due, "its previous fire time is still waiting for a free slot")
        else:
            self._waiting.append((profile, due))
            if len(self._running) >= self.max_parallel:
                logger.info(
                    "profile %s due at %s waits for a free slot (%d crawls running, at most %d)",
                    profile.name,
                    _stamp(due),
                    len(self._running),
                    self.max_parallel,
                )

    def _start_waiting(self) -> None:
        while self._waiting and len(self._running) < self.max_parallel:
            profile, due = self._waiting.popleft()
            busy = lock_holder(self.lock_dir, profile.name)
            if busy is not None:
                holder = f"pid {busy.pid}" if busy.pid is not None else "another process"
                self._skip(profile, due, f"another crawl of it holds its lock ({holder})")
                continue
            started_at = self._current_time()
            launch = Launch(profile=profile.name, due_at=due, started_at=started_at)
            self.launches.append(launch)
            try:
                child = self.launch(profile)
            except OSError as exc:
                launch.ended_at = started_at
                launch.error = str(exc)
                logger.error("could not start the crawl of profile %s: %s", profile.name, exc)
                continue
            launch.pid = child.pid
            self._running[profile.name] = _Running(profile, child, launch)
            logger.info(
                "started crawl of profile %s (pid %d, due at %s)",
                profile.name,
                child.pid,
                _stamp(due),
            )

    def _skip(self, profile: Profile, due: datetime, reason: str) -> None:
        self.skips.append(Skip(profile.name, due, reason))
        logger.warning("skipped profile %s due at %s: %s", profile.name, _stamp(due), reason)

    def _reap(self) -> None:
        for name, running in list(self._running.items()):
            code = running.child.poll()
            if code is not None:
                self._ended(name, running, code)

    def _ended(self, name: str, running: _Running, code: int) -> None:
        del self._running[name]
        launch = running.launch
        launch.ended_at = self._current_time()
        launch.exit_code = code
        seconds = (launch.ended_at - launch.started_at).total_seconds()
        if code == 0:
            logger.info(
                "crawl of profile %s ended: exit status 0 after %.0f s (pid %s)",
                name,
                seconds,
                launch.pid,
            )
        elif code == ALERT_EXIT_STATUS:
            logger.warning(
                "crawl of profile %s ended degraded: it broke its alert thresholds after %.0f s"
                " (pid %s; exit status %d; see `newsarchive runs` and `newsarchive health`)",
                name,
                seconds,
                launch.pid,
                code,
            )
        else:
            logger.warning(
                "crawl of profile %s failed: %s after %.0f s (pid %s); going on",
                name,
                _describe_exit(code),
                seconds,
                launch.pid,
            )

    # -- the loop -----------------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> None:
        """Run until :meth:`stop` (or SIGINT/SIGTERM), then shut down; blocks."""
        restore = self._install_signal_handlers() if handle_signals else {}
        try:
            self.start()
            while not self._stopping:
                delay = self.tick()
                if self._stopping:
                    break
                self.sleep(delay)
            self.shutdown()
        finally:
            for signum, handler in restore.items():
                signal.signal(signum, handler)

    def shutdown(self) -> None:
        """Stop launching; wait for running crawls, terminate them after the grace period."""
        self._stopping = True
        for profile, due in self._waiting:
            self._skip(profile, due, "the scheduler is stopping")
        self._waiting.clear()
        self._reap()
        if not self._running:
            logger.info("scheduler stopped")
            return
        if not self._hurry and self.grace_period > 0:
            logger.warning(
                "stopping: waiting up to %.0f s for %d running crawls (%s) to end;"
                " signal again to stop them now",
                self.grace_period,
                len(self._running),
                ", ".join(self._running),
            )
            self._wait_for_children(self.grace_period, interruptible=True)
        if self._running:
            logger.warning("stopping: terminating %s", ", ".join(self._running))
            for running in self._running.values():
                with contextlib.suppress(ProcessLookupError):
                    running.child.terminate()
            self._wait_for_children(self.kill_after, interruptible=False)
        if self._running:
            logger.warning("stopping: killing %s", ", ".join(self._running))
            for name, running in list(self._running.items()):
                with contextlib.suppress(ProcessLookupError):
                    running.child.kill()
                self._ended(name, running, running.child.wait())
        logger.info("scheduler stopped")

    def _wait_for_children(self, seconds: float, *, interruptible: bool) -> None:
        deadline = self._current_time().timestamp() + seconds
        while self._running:
            self._reap()
            remaining = deadline - self._current_time().timestamp()
            if not self._running or remaining <= 0 or (interruptible and self._hurry):
                return
            self.sleep(min(self.poll_interval, remaining))

    def _install_signal_handlers(self) -> dict[int, signal._HANDLER]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if self._stopping:
                logger.warning("received %s again: stopping running crawls now", name)
            else:
                logger.warning("received %s: stopping", name)
            self.stop()

        previous: dict[int, signal._HANDLER] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, on_signal)
        return previous


def run_schedule(
    profiles_path: Path,
    *,
    extra_args: Sequence[str] = (),
    lock_dir: Path | None = None,
    max_parallel: int = 2,
    grace_period: float = 30.0,
) -> list[Launch]:
    """Load ``profiles_path`` and run its schedules until SIGINT/SIGTERM; the crawls started.

    Raises :class:`~crawler.profiles.ProfileError` when the file is invalid or no profile in it
    has a schedule.
    """
    profiles = load_profiles(profiles_path)
    if not any(p.schedule is not None for p in profiles):
        raise ProfileError(
            f"{profiles_path}: no profile has a schedule;"
            ' add one, e.g. schedule = "0 * * * *" (hourly), to the profiles to run'
        )
    scheduler = Scheduler(
        profiles,
        subprocess_launcher(profiles_path, extra_args),
        lock_dir=lock_dir,
        max_parallel=max_parallel,
        grace_period=grace_period,
    )
    scheduler.run()
    return scheduler.launches
