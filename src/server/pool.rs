//! The worker pool: threads that grow on demand up to a cap and retire when
//! idle.
//!
//! A job is a connection with a request to serve; handlers run blocking
//! code, so a request in progress holds its worker until it is answered. A
//! job that finds no idle worker starts a new one, up to `max_threads`; a
//! worker idle for [`IDLE_RETIRE`] exits. Past the cap, jobs wait in a queue bounded by
//! `max_queue`, and a job that does not fit is handed back to the caller to
//! refuse (503) without taking a worker.
//!
//! Every job is an item of type `T` (in the server, an accepted connection)
//! given to one work function, so a refused item comes back whole and the
//! caller can still answer it. A panicking job costs nothing but itself: the
//! worker catches it and goes on. Dropping the pool closes the queue and
//! joins every thread. The pool knows nothing about HTTP.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long a worker waits for a job before it exits.
pub const IDLE_RETIRE: Duration = Duration::from_secs(30);

struct State<T> {
    queue: VecDeque<T>,
    threads: usize,
    idle: usize,
    closed: bool,
    handles: Vec<JoinHandle<()>>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    work: Box<dyn Fn(T) + Send + Sync>,
    work_ready: Condvar,
    max_threads: usize,
    max_queue: usize,
    stack_bytes: usize,
}

impl<T> Shared<T> {
    /// Locks the state. A poisoned lock only means a thread panicked while
    /// holding it; the state is plain counters and a queue, still consistent,
    /// so we carry on rather than take the server down.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A growing pool of worker threads, each running the work function on the
/// items it is given.
pub struct Pool<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

/// Counters for tests and the shutdown summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Worker threads alive.
    pub threads: usize,
    /// Of those, how many are waiting for work.
    pub idle: usize,
    /// Jobs waiting for a worker.
    pub queued: usize,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool with no threads yet, growing to `max_threads`, queueing at most
    /// `max_queue` items when every thread is busy, running `work` on each.
    pub fn new(
        max_threads: usize,
        max_queue: usize,
        stack_bytes: usize,
        work: impl Fn(T) + Send + Sync + 'static,
    ) -> Pool<T> {
        Pool {
            shared: Arc::new(Shared {
                work: Box::new(work),
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    closed: false,
                    handles: Vec::new(),
                }),
                work_ready: Condvar::new(),
                max_threads: max_threads.max(1),
                max_queue,
                stack_bytes,
            }),
        }
    }

    /// Runs the work function on `job` in a worker, starting one if none is
    /// idle and the cap allows.
    ///
    /// # Errors
    ///
    /// Gives the job back when the pool is at its cap and the queue is full,
    /// or the pool is shutting down.
    pub fn execute(&self, job: T) -> Result<(), T> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(job);
        }
        let waiting_for_worker = state.queue.len() + 1;
        if state.idle < waiting_for_worker && state.threads < self.shared.max_threads {
            if self.spawn_worker(&mut state).is_err() && state.threads == 0 {
                return Err(job);
            }
        } else if state.idle < waiting_for_worker && state.queue.len() >= self.shared.max_queue {
            return Err(job);
        }
        state.queue.push_back(job);
        drop(state);
        self.shared.work_ready.notify_one();
        Ok(())
    }

    /// Current counters.
    pub fn stats(&self) -> PoolStats {
        let state = self.shared.lock();
        PoolStats {
            threads: state.threads,
            idle: state.idle,
            queued: state.queue.len(),
        }
    }

    /// Takes out of the queue every job for which `pick` says so (in the
    /// server: connections that waited too long, to be refused).
    pub fn take_where(&self, pick: impl Fn(&T) -> bool) -> Vec<T> {
        let mut state = self.shared.lock();
        // Usually nothing is picked: look before rebuilding the queue.
        if !state.queue.iter().any(&pick) {
            return Vec::new();
        }
        let (taken, kept): (VecDeque<T>, VecDeque<T>) = std::mem::take(&mut state.queue)
            .into_iter()
            .partition(|job| pick(job));
        state.queue = kept;
        taken.into()
    }

    /// Whether every worker the cap allows exists and is busy: a new job
    /// would have to queue.
    pub fn is_saturated(&self) -> bool {
        let state = self.shared.lock();
        state.threads >= self.shared.max_threads && state.idle <= state.queue.len()
    }

    fn spawn_worker(&self, state: &mut State<T>) -> std::io::Result<()> {
        // Forget handles of workers that already retired.
        state.handles.retain(|h| !h.is_finished());
        let shared = Arc::clone(&self.shared);
        let handle = thread::Builder::new()
            .name("http-worker".into())
            .stack_size(self.shared.stack_bytes)
            .spawn(move || worker_loop(&shared))?;
        state.threads += 1;
        state.handles.push(handle);
        Ok(())
    }
}

fn worker_loop<T>(shared: &Shared<T>) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            // Never hold the lock while a job runs: other workers and the
            // accept loop need it.
            drop(state);
            // The job is the server's connection loop, which already turns a
            // handler panic into a 500; this catch keeps the worker alive if
            // anything else in it panics.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| (shared.work)(job)));
            state = shared.lock();
            continue;
        }
        if state.closed {
            break;
        }
        state.idle += 1;
        let (next, timeout) = shared
            .work_ready
            .wait_timeout(state, IDLE_RETIRE)
            .unwrap_or_else(PoisonError::into_inner);
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            break;
        }
    }
    state.threads -= 1;
}

impl<T: Send + 'static> Drop for Pool<T> {
    /// Closes the queue, lets queued jobs run, and joins every worker.
    fn drop(&mut self) {
        let handles = {
            let mut state = self.shared.lock();
            state.closed = true;
            std::mem::take(&mut state.handles)
        };
        self.shared.work_ready.notify_all();
        for handle in handles {
            // A worker's own panics are caught inside it; a join error here
            // would mean the catch itself failed, and there is nothing to do.
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    type Task = Box<dyn FnOnce() + Send>;

    fn run_task(task: Task) {
        task()
    }

    #[test]
    fn grows_to_run_blocking_jobs_side_by_side() {
        let pool: Pool<Task> = Pool::new(16, 0, 64 * 1024, run_task);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        for _ in 0..8 {
            let started_tx = started_tx.clone();
            let release_rx = Arc::clone(&release_rx);
            let task: Task = Box::new(move || {
                started_tx.send(()).unwrap();
                let _ = release_rx.lock().unwrap().recv();
            });
            assert!(pool.execute(task).is_ok());
        }
        // All eight block at once, which a pool of fewer threads could not do.
        for _ in 0..8 {
            started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        }
        assert_eq!(pool.stats().threads, 8);
        for _ in 0..8 {
            release_tx.send(()).unwrap();
        }
    }

    #[test]
    fn refuses_past_cap_and_queue_and_survives_panics() {
        let pool: Pool<Task> = Pool::new(1, 1, 64 * 1024, run_task);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let first: Task = Box::new(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv();
            panic!("job panics after release");
        });
        assert!(pool.execute(first).is_ok());
        started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        let (done_tx, done_rx) = mpsc::channel();
        let second: Task = Box::new(move || done_tx.send(()).unwrap());
        assert!(pool.execute(second).is_ok(), "the queue takes one");
        let third: Task = Box::new(|| {});
        assert!(pool.execute(third).is_err(), "cap and queue are full");
        release_tx.send(()).unwrap();
        // The queued job still runs on the worker whose first job panicked.
        done_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    }
}
