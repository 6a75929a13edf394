//! A small team of threads for work that lasts microseconds: a streaming step's products split
//! between cores. The rayon pool hands work over through sleeping threads, which on this
//! project's virtual machines costs 20-80 µs a round trip (more than the step itself); the
//! team's helpers instead poll for the next job for a while after each one (as
//! onnxruntime's intra-op threads do) and only then sleep.
//!
//! Participant 0 is the calling thread; participant i > 0 is always the same helper thread, so
//! data a participant reads at every call (its share of the weights) stays in its core's
//! caches between calls.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a helper polls for the next job before it sleeps: longer than the gap between the
/// tokens of a generation loop in Node (tens of µs), short enough that an idle process stops
/// spinning at once to a person's eye.
const POLL: Duration = Duration::from_micros(300);

/// A job: called once per participant with its index and the team's barrier.
pub type Job<'a> = dyn Fn(usize, &SpinBarrier) + Sync + 'a;

/// A barrier for the participants of one job that waits by spinning (a few µs at most between
/// the phases of a step). If a participant panicked, waiting returns at once: the job's results
/// are then discarded.
pub struct SpinBarrier {
    parties: AtomicUsize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    broken: AtomicBool,
}

impl SpinBarrier {
    fn new() -> SpinBarrier {
        SpinBarrier {
            parties: AtomicUsize::new(1),
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            broken: AtomicBool::new(false),
        }
    }

    /// Waits until every participant of the job has called `wait` as often as this one.
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        let parties = self.parties.load(Ordering::Relaxed);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == parties {
            // The others spin on `generation` and touch `arrived` only after it moves.
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let start = Instant::now();
        while self.generation.load(Ordering::Acquire) == generation
            && !self.broken.load(Ordering::Acquire)
        {
            pause(start);
        }
    }

    fn reset(&self, parties: usize) {
        self.parties.store(parties, Ordering::Relaxed);
        self.arrived.store(0, Ordering::Relaxed);
        self.broken.store(false, Ordering::Release);
    }
}

/// One step of a wait loop: a spin hint, or, once the wait has lasted longer than a short
/// phase should, a yield (a participant may have lost its core to another thread).
fn pause(start: Instant) {
    if start.elapsed() < Duration::from_micros(50) {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A pointer to the current job. Valid from the caller's publication of a job until every
/// helper has reported it done (`run` waits for that before returning).
#[derive(Clone, Copy)]
struct JobPtr(*const Job<'static>);

// SAFETY: the job is `Sync`; the pointer is only dereferenced while `run` keeps it alive.
unsafe impl Send for JobPtr {}

struct Shared {
    /// Incremented once per job: a helper starts a job when it sees a new value.
    seq: AtomicU64,
    job: Mutex<Option<JobPtr>>,
    /// Helpers finished with the current job.
    done: AtomicUsize,
    panicked: AtomicBool,
    stop: AtomicBool,
    barrier: SpinBarrier,
    /// Helpers asleep (or about to be) on `wake`.
    sleeping: AtomicUsize,
    wake_lock: Mutex<()>,
    wake: Condvar,
}

struct Team {
    shared: Arc<Shared>,
    helpers: usize,
}

/// The process's team; `None` until first used. Locked for the length of a job, so a second
/// caller at the same time runs on its own thread instead (`run` returns `Busy`).
static TEAM: Mutex<Option<Team>> = Mutex::new(None);

/// Why `run` did not run a job on the team.
#[derive(Debug, PartialEq, Eq)]
pub enum TeamError {
    /// Another thread's job holds the team, or its helpers could not be started: the caller
    /// should do the work alone.
    Unavailable,
    /// A helper panicked during the job: its results are incomplete.
    HelperPanicked,
}

/// Runs `job(i, barrier)` for i in 0..parties at once, i = 0 on the calling thread, and returns
/// when all are done. A panic of participant 0 is resumed here after the helpers finished.
pub fn run(parties: usize, job: &Job<'_>) -> Result<(), TeamError> {
    assert!(parties >= 1, "spin_team::run: no participants");
    if parties == 1 {
        job(0, &SpinBarrier::new());
        return Ok(());
    }
    let mut slot = TEAM.try_lock().map_err(|_| TeamError::Unavailable)?;
    if slot.as_ref().is_none_or(|t| t.helpers != parties - 1) {
        if let Some(old) = slot.take() {
            stop(&old.shared);
        }
        *slot = Some(start(parties - 1).ok_or(TeamError::Unavailable)?);
    }
    let shared = slot.as_ref().expect("team was just set").shared.clone();
    shared.barrier.reset(parties);
    shared.done.store(0, Ordering::Relaxed);
    // SAFETY: the lifetime is erased for the helpers; this function does not return before
    // every helper reported this job done, and clears the pointer first.
    let erased: &Job<'static> = unsafe { std::mem::transmute::<&Job<'_>, &Job<'static>>(job) };
    *shared.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(JobPtr(erased));
    shared.seq.fetch_add(1, Ordering::SeqCst);
    if shared.sleeping.load(Ordering::SeqCst) > 0 {
        let _guard = shared.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
        shared.wake.notify_all();
    }
    let mine = catch_unwind(AssertUnwindSafe(|| job(0, &shared.barrier)));
    if mine.is_err() {
        shared.barrier.broken.store(true, Ordering::Release);
    }
    let start = Instant::now();
    while shared.done.load(Ordering::Acquire) < parties - 1 {
        pause(start);
    }
    *shared.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let helper_panicked = shared.panicked.swap(false, Ordering::Relaxed);
    drop(slot);
    if let Err(payload) = mine {
        resume_unwind(payload);
    }
    if helper_panicked {
        return Err(TeamError::HelperPanicked);
    }
    Ok(())
}

/// Starts `helpers` helper threads; None if the system refuses a thread.
fn start(helpers: usize) -> Option<Team> {
    let shared = Arc::new(Shared {
        seq: AtomicU64::new(0),
        job: Mutex::new(None),
        done: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        barrier: SpinBarrier::new(),
        sleeping: AtomicUsize::new(0),
        wake_lock: Mutex::new(()),
        wake: Condvar::new(),
    });
    for index in 1..=helpers {
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("seqtorch-team-{index}"))
            .spawn(move || helper(&s, index));
        if spawned.is_err() {
            stop(&shared);
            return None;
        }
    }
    Some(Team { shared, helpers })
}

fn stop(shared: &Shared) {
    shared.stop.store(true, Ordering::SeqCst);
    let _guard = shared.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
    shared.wake.notify_all();
}

fn helper(shared: &Shared, index: usize) {
    // A team's jobs count from 1: one published before this thread got going is still new.
    let mut seen = 0;
    loop {
        let mut start = Instant::now();
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            let seq = shared.seq.load(Ordering::SeqCst);
            if seq != seen {
                seen = seq;
                break;
            }
            if start.elapsed() < POLL {
                std::hint::spin_loop();
                continue;
            }
            let guard = shared.wake_lock.lock().unwrap_or_else(|e| e.into_inner());
            shared.sleeping.fetch_add(1, Ordering::SeqCst);
            // Checked again under the lock after announcing the sleep: `run` increments `seq`
            // before it reads `sleeping`, so either this sees the new job or `run` wakes us.
            let guard = shared
                .wake
                .wait_while(guard, |_| {
                    shared.seq.load(Ordering::SeqCst) == seen && !shared.stop.load(Ordering::SeqCst)
                })
                .unwrap_or_else(|e| e.into_inner());
            shared.sleeping.fetch_sub(1, Ordering::SeqCst);
            drop(guard);
            start = Instant::now();
        }
        let job = *shared.job.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(JobPtr(job)) = job {
            // SAFETY: `run` keeps the job alive until this helper reports it done below.
            let result = catch_unwind(AssertUnwindSafe(|| unsafe {
                (*job)(index, &shared.barrier)
            }));
            if result.is_err() {
                shared.panicked.store(true, Ordering::Relaxed);
                shared.barrier.broken.store(true, Ordering::Release);
            }
        }
        shared.done.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// These tests take turns, and retry while another test of the crate (a streaming step)
    /// holds the process's team.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn run_now(parties: usize, job: &Job<'_>) -> Result<(), TeamError> {
        loop {
            match run(parties, job) {
                Err(TeamError::Unavailable) => std::thread::yield_now(),
                other => return other,
            }
        }
    }

    #[test]
    fn every_participant_runs_once_per_job_and_phases_are_ordered() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for parties in [1, 2, 3, 2] {
            for _ in 0..200 {
                let first: Vec<AtomicUsize> = (0..parties).map(|_| AtomicUsize::new(0)).collect();
                let seen_all = AtomicUsize::new(0);
                run_now(parties, &|i, barrier| {
                    first[i].fetch_add(1, Ordering::Relaxed);
                    barrier.wait();
                    // After the barrier every participant's first phase is visible.
                    if first.iter().all(|c| c.load(Ordering::Relaxed) == 1) {
                        seen_all.fetch_add(1, Ordering::Relaxed);
                    }
                    barrier.wait();
                })
                .unwrap();
                assert!(first.iter().all(|c| c.load(Ordering::Relaxed) == 1));
                assert_eq!(seen_all.load(Ordering::Relaxed), parties);
            }
        }
    }

    #[test]
    fn a_helper_runs_its_index_on_the_same_thread_every_time() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut names = Vec::new();
        for _ in 0..50 {
            let name = Mutex::new(String::new());
            run_now(2, &|i, _| {
                if i == 1 {
                    *name.lock().unwrap() = format!("{:?}", std::thread::current().id());
                }
            })
            .unwrap();
            names.push(name.into_inner().unwrap());
        }
        names.dedup();
        assert_eq!(
            names.len(),
            1,
            "participant 1 moved between threads: {names:?}"
        );
    }

    #[test]
    fn a_helper_asleep_is_woken_for_the_next_job() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        run_now(2, &|_, _| {}).unwrap();
        std::thread::sleep(POLL * 4);
        let ran = AtomicUsize::new(0);
        run_now(2, &|_, _| {
            ran.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(ran.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn panics_are_reported_and_the_team_stays_usable() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let r = run_now(2, &|i, barrier| {
            if i == 1 {
                panic!("helper fails");
            }
            barrier.wait();
        });
        assert_eq!(r, Err(TeamError::HelperPanicked));
        let caller = catch_unwind(|| {
            let _ = run_now(2, &|i, barrier| {
                if i == 0 {
                    panic!("caller fails");
                }
                barrier.wait();
            });
        });
        assert!(caller.is_err());
        let ran = AtomicUsize::new(0);
        run_now(2, &|_, barrier| {
            barrier.wait();
            ran.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(ran.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_second_caller_finds_the_team_busy() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let inner = Mutex::new(None);
        run_now(2, &|i, _| {
            if i == 0 {
                *inner.lock().unwrap() = Some(run(2, &|_, _| {}));
            }
        })
        .unwrap();
        assert_eq!(
            inner.into_inner().unwrap(),
            Some(Err(TeamError::Unavailable))
        );
    }
}
