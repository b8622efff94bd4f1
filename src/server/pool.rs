//! The worker pool: threads that grow on demand up to a cap and retire when
//! idle, each taking jobs from one source and running one work function.
//!
//! A job is a request to serve; handlers run blocking code, so a job holds
//! its worker until it is done. Idle workers do not wait on a queue of their
//! own: they ask the job source ([`Jobs`], in the server the poller) for the
//! next job, and the source decides how they wait (one of them waits on the
//! system for all the others). When a worker takes a job and no other
//! worker is left waiting, it starts one more, up to `max_threads`, so that
//! someone is always watching; a worker idle for [`IDLE_RETIRE`] exits.
//!
//! A panicking job costs nothing but itself: the worker catches it and goes
//! on. Dropping the pool closes the source and joins every thread. The pool
//! knows nothing about HTTP.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long a worker waits for a job before it exits.
pub const IDLE_RETIRE: Duration = Duration::from_secs(30);

/// Stack size of each worker thread the server starts. Workers keep their
/// buffers on the heap, so a small stack is enough and keeps 1,024 threads
/// cheap.
pub const WORKER_STACK_BYTES: usize = 256 * 1024;

/// Where workers get their jobs.
pub trait Jobs<T>: Send + Sync {
    /// The next job, waiting at most `timeout`; `None` if none came or the
    /// source is closed.
    fn next(&self, timeout: Duration) -> Option<T>;
    /// Whether the source is closed: workers then exit.
    fn is_closed(&self) -> bool;
    /// Closes the source and wakes every worker waiting on it.
    fn close(&self);
    /// A job it gave is done (the worker asks for the next one now).
    fn finished(&self) {}
}

struct State {
    threads: usize,
    idle: usize,
    handles: Vec<JoinHandle<()>>,
}

struct Shared<T> {
    state: Mutex<State>,
    jobs: Arc<dyn Jobs<T>>,
    work: Box<dyn Fn(T) + Send + Sync>,
    max_threads: usize,
    stack_bytes: usize,
}

impl<T> Shared<T> {
    /// Locks the state. A poisoned lock only means a thread panicked while
    /// holding it; the state is plain counters, still consistent, so we
    /// carry on rather than take the server down.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A growing pool of worker threads.
pub struct Pool<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

/// Counters for the server's overload checks and its shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Worker threads alive.
    pub threads: usize,
    /// Of those, how many are waiting for a job.
    pub idle: usize,
}

impl<T: Send + 'static> Pool<T> {
    /// A pool growing to `max_threads`, running `work` on each job from
    /// `jobs`. It starts one worker at once, so that jobs are watched for.
    ///
    /// # Errors
    ///
    /// If the first worker thread cannot be started.
    pub fn new(
        max_threads: usize,
        stack_bytes: usize,
        jobs: Arc<dyn Jobs<T>>,
        work: impl Fn(T) + Send + Sync + 'static,
    ) -> std::io::Result<Pool<T>> {
        let pool = Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    threads: 0,
                    idle: 0,
                    handles: Vec::new(),
                }),
                jobs,
                work: Box::new(work),
                max_threads: max_threads.max(1),
                stack_bytes,
            }),
        };
        spawn_worker(&pool.shared, &mut pool.shared.lock())?;
        Ok(pool)
    }

    /// Current counters.
    pub fn stats(&self) -> PoolStats {
        let state = self.shared.lock();
        PoolStats {
            threads: state.threads,
            idle: state.idle,
        }
    }

    /// Whether every worker the cap allows exists and is busy: a new job
    /// would have to wait.
    pub fn is_saturated(&self) -> bool {
        let state = self.shared.lock();
        state.threads >= self.shared.max_threads && state.idle == 0
    }
}

fn spawn_worker<T: Send + 'static>(
    shared: &Arc<Shared<T>>,
    state: &mut State,
) -> std::io::Result<()> {
    // Forget handles of workers that already retired.
    state.handles.retain(|h| !h.is_finished());
    let for_worker = Arc::clone(shared);
    let handle = thread::Builder::new()
        .name("http-worker".into())
        .stack_size(shared.stack_bytes)
        .spawn(move || worker_loop(&for_worker))?;
    state.threads += 1;
    // Counted idle from the start, so that two jobs taken at once do not
    // both start a thread for the same gap.
    state.idle += 1;
    state.handles.push(handle);
    Ok(())
}

fn worker_loop<T: Send + 'static>(shared: &Arc<Shared<T>>) {
    loop {
        let job = shared.jobs.next(IDLE_RETIRE);
        let mut state = shared.lock();
        let Some(job) = job else {
            // Nothing came: retire, but never leave the pool without a
            // worker watching for jobs.
            if shared.jobs.is_closed() || state.threads > 1 {
                state.idle -= 1;
                state.threads -= 1;
                return;
            }
            continue;
        };
        state.idle -= 1;
        if state.idle == 0 && state.threads < shared.max_threads {
            // If this fails, the workers there are will have to do.
            let _ = spawn_worker(shared, &mut state);
        }
        // Never hold the lock while a job runs: other workers need it.
        drop(state);
        // The job is the server's connection work, which already turns a
        // handler panic into a 500; this catch keeps the worker alive if
        // anything else in it panics.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| (shared.work)(job)));
        shared.jobs.finished();
        shared.lock().idle += 1;
    }
}

impl<T: Send + 'static> Drop for Pool<T> {
    /// Closes the job source and joins every worker.
    fn drop(&mut self) {
        self.shared.jobs.close();
        let handles = std::mem::take(&mut self.shared.lock().handles);
        for handle in handles {
            // A worker's own panics are caught inside it; a join error here
            // would mean the catch itself failed, and there is nothing to do.
            let _ = handle.join();
        }
        // Workers started while joining (a last job was taken) are joined
        // too; once closed, the source starts no more jobs.
        let late = std::mem::take(&mut self.shared.lock().handles);
        for handle in late {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::mpsc;
    use std::sync::Condvar;

    type Task = Box<dyn FnOnce() + Send>;

    /// A plain queue as the job source.
    #[derive(Default)]
    struct Queue {
        tasks: Mutex<(VecDeque<Task>, bool)>,
        ready: Condvar,
    }

    impl Queue {
        fn push(&self, task: Task) {
            self.tasks.lock().unwrap().0.push_back(task);
            self.ready.notify_one();
        }
    }

    impl Jobs<Task> for Queue {
        fn next(&self, timeout: Duration) -> Option<Task> {
            let mut tasks = self.tasks.lock().unwrap();
            loop {
                if let Some(task) = tasks.0.pop_front() {
                    return Some(task);
                }
                if tasks.1 {
                    return None;
                }
                let (next, waited) = self.ready.wait_timeout(tasks, timeout).unwrap();
                tasks = next;
                if waited.timed_out() {
                    return tasks.0.pop_front();
                }
            }
        }

        fn is_closed(&self) -> bool {
            self.tasks.lock().unwrap().1
        }

        fn close(&self) {
            self.tasks.lock().unwrap().1 = true;
            self.ready.notify_all();
        }
    }

    fn run_task(task: Task) {
        task()
    }

    #[test]
    fn grows_to_run_blocking_jobs_side_by_side_up_to_the_cap() {
        let queue = Arc::new(Queue::default());
        let pool: Pool<Task> = Pool::new(8, 64 * 1024, queue.clone(), run_task).unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        for _ in 0..12 {
            let started_tx = started_tx.clone();
            let release_rx = Arc::clone(&release_rx);
            queue.push(Box::new(move || {
                started_tx.send(()).unwrap();
                let _ = release_rx.lock().unwrap().recv();
            }));
        }
        // Eight block at once, which a pool of fewer threads could not do;
        // the cap keeps the other four waiting.
        for _ in 0..8 {
            started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        }
        assert_eq!(pool.stats().threads, 8);
        assert!(pool.is_saturated());
        for _ in 0..12 {
            release_tx.send(()).unwrap();
        }
        for _ in 0..4 {
            started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
        }
    }

    #[test]
    fn a_panicking_job_costs_only_itself() {
        let queue = Arc::new(Queue::default());
        let _pool: Pool<Task> = Pool::new(1, 64 * 1024, queue.clone(), run_task).unwrap();
        queue.push(Box::new(|| panic!("job panics")));
        let (done_tx, done_rx) = mpsc::channel();
        queue.push(Box::new(move || done_tx.send(()).unwrap()));
        // The next job still runs on the only worker, whose job panicked.
        done_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    }
}
