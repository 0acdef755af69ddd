"""The scheduler, on a fake clock: profiles fire at their cron times (in their time zones), a busy
profile is skipped and logged, a failed crawl does not stop the loop, shutdown waits, terminates
and kills in that order. ProfileLock holds across processes and dies with its holder."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.alerts import ALERT_EXIT_STATUS
from crawler.profiles import Profile, ProfileError
from crawler.scheduling import (
    Child,
    ProfileBusy,
    ProfileLock,
    Scheduler,
    crawl_command,
    lock_holder,
    run_schedule,
)

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
START = datetime(2024, 5, 20, 9, 59, 30, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 5, 20, hour, minute, second, tzinfo=SHANGHAI)


class FakeClock:
    """Time that passes only when the scheduler sleeps; hooks run after each sleep."""

    def __init__(self, start: datetime) -> None:
        self.moment = start
        self.hooks: list[Callable[[], None]] = []
        self.sleeps = 0

    def now(self) -> datetime:
        return self.moment.astimezone(UTC)  # the scheduler must convert to each profile's zone

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps += 1
        assert self.sleeps < 100_000, "the scheduler loops without letting time pass"
        self.moment += timedelta(seconds=seconds)
        for hook in list(self.hooks):
            hook()


class FakeChild:
    """A crawl that ends ``runs_for`` after it started, with ``exit_code``."""

    next_pid = 1000

    def __init__(
        self,
        clock: FakeClock,
        runs_for: timedelta,
        exit_code: int = 0,
        *,
        obeys_terminate: bool = True,
    ) -> None:
        FakeChild.next_pid += 1
        self._pid = FakeChild.next_pid
        self.clock = clock
        self.ends_at = clock.moment + runs_for
        self.exit_code = exit_code
        self.obeys_terminate = obeys_terminate
        self.returncode: int | None = None
        self.terminated_at: datetime | None = None
        self.killed = False

    @property
    def pid(self) -> int:
        return self._pid

    def poll(self) -> int | None:
        if self.returncode is None and self.clock.moment >= self.ends_at:
            self.returncode = self.exit_code
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.exit_code
        return self.returncode

    def terminate(self) -> None:
        self.terminated_at = self.clock.moment
        if self.obeys_terminate:  # Scrapy closes the spider cleanly, which takes a moment
            self.ends_at = min(self.ends_at, self.clock.moment + timedelta(seconds=5))
            self.exit_code = -signal.SIGTERM

    def kill(self) -> None:
        self.killed = True
        self.returncode = -signal.SIGKILL


def profile(name: str, schedule: str, timezone: str = "Asia/Shanghai") -> Profile:
    return Profile(
        name=name, start_urls=(f"https://{name}.example/",), schedule=schedule, timezone=timezone
    )


class Recorder:
    """A launcher that records what it started and hands out fake children."""

    def __init__(
        self, clock: FakeClock, make: Callable[[Profile], FakeChild] | None = None
    ) -> None:
        self.clock = clock
        self.make = make or (lambda _p: FakeChild(clock, timedelta(minutes=5)))
        self.started: list[tuple[str, datetime]] = []
        self.children: list[FakeChild] = []

    def __call__(self, profile: Profile) -> Child:
        self.started.append((profile.name, self.clock.moment))
        child = self.make(profile)
        self.children.append(child)
        return child


def run_until(scheduler: Scheduler, clock: FakeClock, end: datetime) -> None:
    def stop_at_end() -> None:
        if clock.moment >= end and not scheduler.stopping:
            scheduler.stop()

    clock.hooks.append(stop_at_end)
    scheduler.run(handle_signals=False)


def make_scheduler(
    profiles: list[Profile],
    launch: Callable[[Profile], Child],
    clock: FakeClock,
    lock_dir: Path,
    **kwargs: float,
) -> Scheduler:
    options: dict[str, float] = {"poll_interval": 60.0, "grace_period": 3600.0, **kwargs}
    return Scheduler(
        profiles,
        launch,
        lock_dir=lock_dir,
        now=clock.now,
        sleep=clock.sleep,
        max_parallel=int(options.pop("max_parallel", 2)),
        **options,
    )


# --- firing at cron times ---------------------------------------------------------------------


def test_profiles_fire_at_their_cron_times_in_their_time_zones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crawler.scheduling")
    clock = FakeClock(START)
    launch = Recorder(clock)
    profiles = [
        profile("hourly", "0 * * * *"),
        profile("daily", "30 10 * * *"),
        # 22:15 in New York (EDT, UTC-4) on 19 May is 10:15 on 20 May in Shanghai.
        profile("newyork", "15 22 * * *", timezone="America/New_York"),
        Profile(name="manual", start_urls=("https://manual.example/",)),  # no schedule
    ]
    scheduler = make_scheduler(profiles, launch, clock, tmp_path)

    run_until(scheduler, clock, at(12, 0, 30))

    assert launch.started == [
        ("hourly", at(10)),
        ("newyork", at(10, 15)),
        ("daily", at(10, 30)),
        ("hourly", at(11)),
        ("hourly", at(12)),
    ]
    assert [(x.profile, x.due_at, x.started_at) for x in scheduler.launches] == [
        (name, moment, moment) for name, moment in launch.started
    ]
    for record in scheduler.launches:
        assert record.exit_code == 0
        assert record.ended_at is not None
        assert timedelta(minutes=5) <= record.ended_at - record.started_at <= timedelta(minutes=6)
    assert scheduler.skips == []
    starts = [r for r in caplog.records if r.getMessage().startswith("started crawl of profile")]
    ends = [r for r in caplog.records if r.getMessage().startswith("crawl of profile")]
    assert len(starts) == len(ends) == 5
    assert "started crawl of profile hourly (pid" in starts[0].getMessage()
    assert "due at 2024-05-20T10:00:00+08:00" in starts[0].getMessage()


def test_missed_fire_times_are_not_made_up(tmp_path: Path) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock)
    scheduler = make_scheduler([profile("hourly", "0 * * * *")], launch, clock, tmp_path)
    scheduler.start()
    clock.moment = at(13, 0, 10)  # the machine slept through 10:00, 11:00, 12:00 and 13:00
    scheduler.tick()
    assert launch.started == [("hourly", at(13, 0, 10))]
    assert scheduler.launches[0].due_at == at(10)
    assert scheduler.next_due["hourly"] == at(14)


def test_a_profile_still_running_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock, lambda _p: FakeChild(clock, timedelta(minutes=90)))
    scheduler = make_scheduler([profile("hourly", "0 * * * *")], launch, clock, tmp_path)

    run_until(scheduler, clock, at(12, 0, 30))

    assert [moment for _, moment in launch.started] == [at(10), at(12)]
    (skip,) = scheduler.skips
    assert (skip.profile, skip.due_at) == ("hourly", at(11))
    first_pid = launch.children[0].pid
    assert skip.reason == (
        f"its previous crawl is still running (pid {first_pid}, started at"
        " 2024-05-20T02:00:00+00:00)"
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        "skipped profile hourly due at 2024-05-20T11:00:00+08:00: its previous crawl is still"
        f" running (pid {first_pid}" in warnings[0]
    )


def test_a_profile_locked_by_another_process_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock)
    scheduler = make_scheduler([profile("hourly", "0 * * * *")], launch, clock, tmp_path)
    other = ProfileLock(tmp_path, "hourly")  # a crawl started by hand, say
    other.acquire()

    def release_at_half_past_ten() -> None:
        if clock.moment >= at(10, 30) and other.locked:
            other.release()

    clock.hooks.append(release_at_half_past_ten)
    try:
        run_until(scheduler, clock, at(11, 0, 30))
    finally:
        other.release()

    assert launch.started == [("hourly", at(11))]
    (skip,) = scheduler.skips
    assert skip.due_at == at(10)
    assert skip.reason == f"another crawl of it holds its lock (pid {os.getpid()})"
    assert any(
        "skipped profile hourly due at 2024-05-20T10:00:00+08:00: another crawl" in r.getMessage()
        for r in caplog.records
    )


def test_a_failing_run_does_not_stop_the_loop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crawler.scheduling")
    clock = FakeClock(START)
    exit_codes = iter([3, -signal.SIGKILL, 0])
    launch = Recorder(clock, lambda _p: FakeChild(clock, timedelta(minutes=1), next(exit_codes)))

    def broken(_profile: Profile) -> Child:
        raise FileNotFoundError(2, "No such file or directory", "python")

    def launcher(p: Profile) -> Child:
        return broken(p) if p.name == "broken" else launch(p)

    profiles = [profile("hourly", "0 * * * *"), profile("broken", "30 * * * *")]
    scheduler = make_scheduler(profiles, launcher, clock, tmp_path)

    run_until(scheduler, clock, at(12, 0, 30))

    assert [moment for _, moment in launch.started] == [at(10), at(11), at(12)]
    assert [x.exit_code for x in scheduler.launches if x.profile == "hourly"] == [3, -9, 0]
    broken_runs = [x for x in scheduler.launches if x.profile == "broken"]
    assert [x.started_at for x in broken_runs] == [at(10, 30), at(11, 30)]
    assert all(x.exit_code is None and x.error for x in broken_runs)
    messages = [r.getMessage() for r in caplog.records]
    assert any("crawl of profile hourly failed: exit status 3 after 60 s" in m for m in messages)
    assert any("crawl of profile hourly failed: killed by SIGKILL" in m for m in messages)
    assert any("could not start the crawl of profile broken" in m for m in messages)
    assert all("\n" not in m for m in messages)


def test_a_degraded_run_is_logged_as_such(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Crawls run with --fail-on-alert; one that broke its alert thresholds says so."""
    caplog.set_level(logging.INFO, logger="crawler.scheduling")
    clock = FakeClock(START)
    launch = Recorder(clock, lambda _p: FakeChild(clock, timedelta(minutes=1), ALERT_EXIT_STATUS))
    scheduler = make_scheduler([profile("hourly", "0 * * * *")], launch, clock, tmp_path)
    run_until(scheduler, clock, at(10, 2))
    (launched,) = scheduler.launches
    assert launched.exit_code == ALERT_EXIT_STATUS
    (record,) = [r for r in caplog.records if "ended degraded" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "crawl of profile hourly ended degraded: it broke its alert thresholds after 60 s"
    )


def test_the_schedule_command_passes_fail_on_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import crawler.scheduling
    from newsarchive.cli import main

    seen: dict[str, object] = {}
    monkeypatch.setattr(
        crawler.scheduling, "run_schedule", lambda path, **kw: seen.update(path=path, **kw)
    )
    result = CliRunner().invoke(main, ["schedule", "p.toml", "--db", "sqlite:///x.db"])
    assert result.exit_code == 0, result.output
    assert seen["extra_args"] == ["--fail-on-alert", "--db", "sqlite:///x.db"]


def test_at_most_max_parallel_crawls_run_and_the_others_wait(tmp_path: Path) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock, lambda _p: FakeChild(clock, timedelta(minutes=10)))
    profiles = [profile(name, "0 * * * *") for name in ("a", "b", "c")]
    scheduler = make_scheduler(profiles, launch, clock, tmp_path, max_parallel=2)

    run_until(scheduler, clock, at(10, 30))

    assert launch.started == [("a", at(10)), ("b", at(10)), ("c", at(10, 10))]
    assert scheduler.launches[2].due_at == at(10)
    assert scheduler.skips == []


# --- shutting down ------------------------------------------------------------------------------


def test_shutdown_waits_then_terminates_then_kills(tmp_path: Path) -> None:
    clock = FakeClock(START)
    stubborn = iter([False, True])
    launch = Recorder(
        clock,
        lambda _p: FakeChild(clock, timedelta(hours=5), obeys_terminate=next(stubborn)),
    )
    profiles = [profile("a", "0 10 * * *"), profile("b", "0 10 * * *")]
    scheduler = make_scheduler(
        profiles, launch, clock, tmp_path, grace_period=120, kill_after=60, poll_interval=1
    )

    run_until(scheduler, clock, at(10, 1))

    a, b = launch.children
    assert a.terminated_at == b.terminated_at == at(10, 3)  # after the 120 s grace period
    assert b.returncode == -signal.SIGTERM
    assert not b.killed
    assert a.killed  # ignored SIGTERM for kill_after seconds
    assert clock.moment == at(10, 4)
    assert [x.exit_code for x in scheduler.launches] == [-signal.SIGKILL, -signal.SIGTERM]
    assert scheduler.running == []


def test_a_second_stop_skips_the_grace_period(tmp_path: Path) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock, lambda _p: FakeChild(clock, timedelta(hours=5)))
    scheduler = make_scheduler(
        [profile("a", "0 10 * * *")], launch, clock, tmp_path, grace_period=600, poll_interval=1
    )

    def stop_twice() -> None:
        if clock.moment >= at(10, 1):
            scheduler.stop()

    clock.hooks.append(stop_twice)
    scheduler.run(handle_signals=False)

    (child,) = launch.children
    assert child.terminated_at is not None
    assert child.terminated_at <= at(10, 1, 1)


def test_sigterm_stops_the_loop_and_restores_the_handler(tmp_path: Path) -> None:
    clock = FakeClock(START)
    launch = Recorder(clock)
    scheduler = make_scheduler([profile("hourly", "0 * * * *")], launch, clock, tmp_path)
    sent: list[bool] = []

    def send_sigterm() -> None:
        if clock.moment >= at(11, 0, 30) and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    clock.hooks.append(send_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    scheduler.run(handle_signals=True)

    assert sent
    assert scheduler.stopping
    assert [moment for _, moment in launch.started] == [at(10), at(11)]
    assert signal.getsignal(signal.SIGTERM) is before


def test_real_subprocesses_are_terminated_on_shutdown(tmp_path: Path) -> None:
    clock = FakeClock(START)
    real_sleep = clock.sleep

    def sleep(seconds: float) -> None:
        real_sleep(seconds)
        time.sleep(0.02)  # let the real child die between polls

    clock.sleep = sleep  # type: ignore[method-assign]
    children: list[subprocess.Popen[bytes]] = []

    def launch(_profile: Profile) -> Child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        children.append(child)
        return child

    scheduler = make_scheduler(
        [profile("a", "0 10 * * *")],
        launch,
        clock,
        tmp_path,
        grace_period=0,
        kill_after=30,
        poll_interval=1,
    )
    try:
        run_until(scheduler, clock, at(10, 0, 5))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    (record,) = scheduler.launches
    assert record.pid == children[0].pid
    assert record.exit_code == -signal.SIGTERM


# --- odds and ends ---------------------------------------------------------------------------


def test_crawl_command_runs_the_cli_in_a_new_interpreter() -> None:
    assert crawl_command(Path("/srv/p.toml"), "luohu", ["--db", "sqlite:///x.db"]) == [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        "--profiles",
        "/srv/p.toml",
        "--profile",
        "luohu",
        "--db",
        "sqlite:///x.db",
    ]


def test_the_clock_must_be_aware(tmp_path: Path) -> None:
    scheduler = Scheduler(
        [profile("a", "0 * * * *")],
        Recorder(FakeClock(START)),
        lock_dir=tmp_path,
        now=lambda: datetime(2024, 5, 20, 10),
    )
    with pytest.raises(ValueError, match="aware"):
        scheduler.tick()


def test_run_schedule_refuses_a_file_without_schedules(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[profiles]]\nname = "a"\nstart_urls = ["https://a.example/"]\n', "utf-8")
    with pytest.raises(ProfileError, match=r"p\.toml: no profile has a schedule"):
        run_schedule(path, lock_dir=tmp_path)


def test_scheduling_imports_nothing_of_scrapy() -> None:
    code = (
        "import sys, crawler.scheduling, crawler.profiles; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- ProfileLock --------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from crawler.scheduling import ProfileLock
ProfileLock(Path(sys.argv[1]), "luohu").acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_profile_lock_across_processes_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        assert (tmp_path / "luohu.lock").read_text().strip() == str(holder.pid)

        with pytest.raises(ProfileBusy) as busy, ProfileLock(tmp_path, "luohu"):
            pass
        assert busy.value.pid == holder.pid
        assert str(busy.value) == (
            f'profile "luohu" is already being crawled by pid {holder.pid}'
            f" (lock {tmp_path / 'luohu.lock'}); wait for that crawl to end or stop it"
        )
        busy_now = lock_holder(tmp_path, "luohu")
        assert busy_now is not None
        assert busy_now.pid == holder.pid

        holder.send_signal(signal.SIGKILL)
        holder.wait()
        # No waiting, no stale-lock clean-up: the kernel released it with the process.
        assert lock_holder(tmp_path, "luohu") is None
        with ProfileLock(tmp_path, "luohu") as lock:
            assert lock.locked
            assert (tmp_path / "luohu.lock").read_text().strip() == str(os.getpid())
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_profile_lock_in_one_process(tmp_path: Path) -> None:
    lock_dir = tmp_path / "locks" / "nested"  # created on first use
    first = ProfileLock(lock_dir, "a")
    with first:
        with pytest.raises(ProfileBusy, match=f"by pid {os.getpid()}"):
            ProfileLock(lock_dir, "a").acquire()
        with ProfileLock(lock_dir, "b"):  # another profile is independent
            pass
        with pytest.raises(RuntimeError):
            first.acquire()
    assert not first.locked
    assert (lock_dir / "a.lock").read_text() == ""  # the pid goes with the lock
    with ProfileLock(lock_dir, "a"):
        pass
    with pytest.raises(ValueError, match="not a profile name"):
        ProfileLock(lock_dir, "../etc/passwd")
