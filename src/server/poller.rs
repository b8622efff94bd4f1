//! Where waiting connections park, and where idle workers wait for the
//! next one that is ready.
//!
//! A worker that would wait (for a next request, for the rest of a head that is
//! trickling in, for room to write the rest of a response, for a lingering
//! close to end) parks its connection here with a deadline and goes back to the
//! pool. Idle workers ask [`Poller::next`] for something to do: a parked item
//! whose socket became ready, or one whose deadline passed. One of them at a
//! time, the leader, waits on the system (`epoll` on Linux, `poll(2)` on any
//! Unix, both in `sys`) for everyone; what it finds goes on a short list, it
//! keeps the first event for itself, and the others are taken by the next idle
//! workers (or by itself and its peers once they finish) without another system
//! call. This is the leader/follower pattern: no hand-off thread between the
//! system and the worker that serves.
//!
//! Ownership is the rule everything rests on: a parked item is in exactly
//! one slot, and whoever takes it out of the slot (under the lock) owns it.
//! A slot's token carries a generation, so an event for a slot that has
//! since been reused is recognised and dropped. With `epoll` a
//! connection's socket is registered once, at its first park, edge
//! triggered, and stays registered while it is open: an event takes the
//! item out of its slot if it is parked, or, if it is out being served,
//! is noted so that its next park hands it straight back. So no two
//! workers ever get the same connection, and no event is lost while it is
//! out. Only the wake-up socket is one-shot, armed again each time it is
//! drained.
//!
//! The poller owns parked items, their deadlines and the list of events
//! found; it knows nothing of HTTP. What a ready or expired item means is
//! the server's business (`server/mod.rs`).

use crate::config::PollerKind;
use crate::log::Logger;
use crate::sys::{self, Interest, Readiness, Token};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{self, Read, Write};
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The token of the wake-up socket.
const WAKE: Token = u64::MAX;

/// How long found events may wait with no worker taking any before the
/// leader takes one itself (and the lead passes to another thread).
pub const HANDOFF: Duration = Duration::from_millis(1);

enum Backend {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll(sys::epoll::Epoll),
    /// `poll(2)` has no registrations: each wait lists the parked sockets.
    Poll,
}

/// One parked item and what it waits for.
struct Parked<T> {
    item: T,
    fd: RawFd,
    interest: Interest,
    deadline: Instant,
}

/// One connection's place, from [`Poller::reserve`] to [`Poller::release`].
struct Slot<T> {
    generation: u32,
    /// Whether a connection holds this slot.
    taken: bool,
    /// The connection, while it is parked.
    parked: Option<Parked<T>>,
    /// An event came while its connection was out being served: it may
    /// have missed bytes or room, so its next park returns it at once.
    missed: bool,
    /// One of those said the peer closed its side.
    missed_hangup: bool,
    /// What the system watches its socket for (`epoll`); `None` until its
    /// first park.
    watched: Option<Interest>,
}

/// What [`Poller::park`] did with an item.
pub enum Park<T> {
    /// It waits in its slot.
    Parked,
    /// Its socket became ready while it was out: it is handed back, to go
    /// on at once.
    Ready {
        /// The item, still the caller's.
        item: T,
        /// Whether the peer closed its side meanwhile.
        hangup: bool,
    },
    /// The system would not watch its socket: it is handed back to close.
    Refused(T),
}

struct State<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    parked: usize,
    /// Deadlines, earliest first. An entry whose slot has moved on (another
    /// generation, or another deadline) is skipped when it comes up.
    timers: BinaryHeap<Reverse<(Instant, Token)>>,
    /// When the leader will wake by itself, if one is waiting: a park with
    /// an earlier deadline must wake it sooner.
    sleeping_until: Option<Instant>,
}

/// Parked items of type `T` (in the server, connections), and the events
/// found on them that no worker has taken yet.
pub struct Poller<T> {
    backend: Backend,
    state: Mutex<State<T>>,
    /// Found by a leader, not yet taken by a worker.
    events: Mutex<Events<T>>,
    /// Held by the one thread waiting on the system (the leader), or by the
    /// one watching busy workers for a stall; the others wait to take it.
    leader: Mutex<Lead>,
    /// Where idle workers wait while every core has a busy worker.
    room: Condvar,
    /// Buffers for looking without waiting (`epoll` only).
    peek: Mutex<Found>,
    /// Whether busy workers look for events themselves between jobs: with
    /// `epoll`, a look costs one system call for many events. A `poll(2)`
    /// look walks every parked socket, so there a leader always waits.
    peeks: bool,
    /// Workers that took an event and are not done with it.
    busy: AtomicUsize,
    /// How many threads can run at once here.
    cores: usize,
    closed: AtomicBool,
    /// Where an unexpected error from the system is reported.
    errors: Logger,
    wake_rx: UnixStream,
    wake_tx: UnixStream,
}

/// Something for a worker to do.
#[derive(Debug)]
pub enum Event<T> {
    /// The item's socket is ready (to read, or to write, as it asked).
    Ready {
        /// The item, now owned by whoever took the event.
        item: T,
        /// When the readiness was found: a worker that takes it much later
        /// can tell how long it waited.
        since: Instant,
        /// Whether the peer has closed its side: what is still to read is
        /// all there will be.
        hangup: bool,
    },
    /// The item's deadline passed before its socket was ready.
    Expired(T),
}

/// Events found and not yet taken.
struct Events<T> {
    list: VecDeque<Event<T>>,
    /// When a worker last took one: while they keep taking, the workers
    /// that are busy are making progress.
    last_taken: Instant,
}

/// What the lead mutex guards.
#[derive(Default)]
struct Lead {
    found: Found,
    /// Whether a thread is already watching the busy workers for a stall
    /// (the others then wait without a timeout).
    watching: bool,
}

/// A waiter's reusable buffers, so that waiting allocates nothing.
#[derive(Default)]
struct Found {
    /// What the last wait found.
    ready: Vec<Readiness>,
    /// For `poll(2)`: the list waited on, and the token of each entry.
    poll_fds: Vec<sys::poll::PollFd>,
    poll_tokens: Vec<Token>,
}

fn token(index: u32, generation: u32) -> Token {
    (u64::from(generation) << 32) | u64::from(index)
}

fn index_of(token: Token) -> (usize, u32) {
    ((token & 0xffff_ffff) as usize, (token >> 32) as u32)
}

impl<T> State<T> {
    /// The slot `token` names, if it is still the same connection's.
    fn slot(&mut self, token: Token) -> Option<&mut Slot<T>> {
        let (index, generation) = index_of(token);
        let slot = self.slots.get_mut(index)?;
        (slot.taken && slot.generation == generation).then_some(slot)
    }

    /// Takes the item out of the slot `token` names, if it is parked there.
    fn take(&mut self, token: Token) -> Option<Parked<T>> {
        let parked = self.slot(token)?.parked.take()?;
        self.parked -= 1;
        Some(parked)
    }

    /// An event for `token`: its item if parked; else, if its connection
    /// is out being served, a note that it may have missed something.
    fn ready(&mut self, token: Token, hangup: bool) -> Option<Parked<T>> {
        let slot = self.slot(token)?;
        if slot.parked.is_none() {
            slot.missed = true;
            slot.missed_hangup |= hangup;
            return None;
        }
        self.take(token)
    }

    /// Takes out every item whose deadline has come by `now`, as an
    /// [`Event::Expired`]. Timer entries left behind by an item that was
    /// woken or re-parked since (lazy deletion) are dropped on the way.
    fn expire_due(&mut self, now: Instant, list: &mut VecDeque<Event<T>>) {
        while let Some(&Reverse((at, token))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let (index, generation) = index_of(token);
            let current = self.slots.get(index).is_some_and(|slot| {
                slot.generation == generation
                    && slot.parked.as_ref().is_some_and(|p| p.deadline == at)
            });
            if current {
                if let Some(parked) = self.take(token) {
                    list.push_back(Event::Expired(parked.item));
                }
            }
        }
    }

    /// Drops timer entries that no longer lead anywhere, once they
    /// outnumber the live ones: a busy connection parks once per request,
    /// and each park leaves an entry behind.
    fn compact_timers(&mut self) {
        if self.timers.len() <= 2 * self.parked + 1024 {
            return;
        }
        let live = self.slots.iter().enumerate().filter_map(|(index, slot)| {
            let parked = slot.parked.as_ref()?;
            Some(Reverse((
                parked.deadline,
                token(index as u32, slot.generation),
            )))
        });
        let live: Vec<_> = live.collect();
        self.timers = BinaryHeap::from(live);
    }
}

impl<T> std::fmt::Debug for Poller<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.backend {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(_) => "epoll",
            Backend::Poll => "poll",
        };
        f.debug_struct("Poller")
            .field("backend", &backend)
            .finish_non_exhaustive()
    }
}

impl<T> Poller<T> {
    /// A poller using `kind`'s system interface.
    ///
    /// # Errors
    ///
    /// If the system refuses an epoll instance or a socket pair.
    pub fn new(kind: PollerKind) -> io::Result<Poller<T>> {
        let backend = match kind {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            PollerKind::Best => Backend::Epoll(sys::epoll::Epoll::new()?),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            PollerKind::Best => Backend::Poll,
            PollerKind::Poll => Backend::Poll,
        };
        let (wake_rx, wake_tx) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let peeks = !matches!(backend, Backend::Poll);
        let poller = Poller {
            backend,
            state: Mutex::new(State {
                slots: Vec::new(),
                free: Vec::new(),
                parked: 0,
                timers: BinaryHeap::new(),
                sleeping_until: None,
            }),
            events: Mutex::new(Events {
                list: VecDeque::new(),
                last_taken: Instant::now(),
            }),
            leader: Mutex::new(Lead::default()),
            room: Condvar::new(),
            peek: Mutex::new(Found::default()),
            peeks,
            busy: AtomicUsize::new(0),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            closed: AtomicBool::new(false),
            errors: Logger::new(false),
            wake_rx,
            wake_tx,
        };
        poller.arm(poller.wake_rx.as_raw_fd(), WAKE, Interest::Read)?;
        Ok(poller)
    }

    /// A poisoned lock means a thread panicked while holding it; the slots
    /// are still consistent (every change is a single assignment), so the
    /// server carries on.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn arm(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        match &self.backend {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.arm(fd, token, interest),
            Backend::Poll => Ok(()),
        }
    }

    /// Gives a connection a slot for as long as it is open. Its socket is
    /// registered at its first park, once, edge triggered (with `epoll`):
    /// parking then costs no system call. Every event for it either finds it
    /// parked or is noted as missed, so an edge is never lost.
    pub fn reserve(&self) -> Token {
        let mut state = self.lock();
        let index = match state.free.pop() {
            Some(index) => index,
            None => {
                state.slots.push(Slot {
                    generation: 0,
                    taken: false,
                    parked: None,
                    missed: false,
                    missed_hangup: false,
                    watched: None,
                });
                (state.slots.len() - 1) as u32
            }
        };
        let slot = &mut state.slots[index as usize];
        slot.taken = true;
        slot.missed = false;
        slot.missed_hangup = false;
        slot.watched = None;
        token(index, slot.generation)
    }

    /// Frees a slot whose connection is closing (before its socket is
    /// closed; an event that still comes for it finds another generation).
    pub fn release(&self, token: Token) {
        let mut state = self.lock();
        let Some(slot) = state.slot(token) else {
            return;
        };
        let was_parked = slot.parked.take().is_some();
        slot.taken = false;
        slot.generation = slot.generation.wrapping_add(1);
        if was_parked {
            state.parked -= 1;
        }
        state.free.push(index_of(token).0 as u32);
    }

    fn watch_socket(
        &self,
        fd: RawFd,
        token: Token,
        interest: Interest,
        first: bool,
    ) -> io::Result<()> {
        match &self.backend {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.watch(fd, token, interest, first),
            Backend::Poll => Ok(()),
        }
    }

    /// Parks `item` (whose socket `fd` has the slot `token`) until the
    /// socket is ready for `interest` or `deadline` passes.
    pub fn park(
        &self,
        item: T,
        token: Token,
        fd: RawFd,
        interest: Interest,
        deadline: Instant,
    ) -> Park<T> {
        let mut state = self.lock();
        let Some(slot) = state.slot(token) else {
            return Park::Refused(item);
        };
        if std::mem::take(&mut slot.missed) {
            let hangup = std::mem::take(&mut slot.missed_hangup);
            return Park::Ready { item, hangup };
        }
        if slot.watched != Some(interest) {
            // Registering, or changing what is watched, reports the socket
            // at once if it is ready now, so nothing is missed in the
            // switch: the event waits for this lock, and then finds the
            // item in its slot.
            let first = slot.watched.is_none();
            if self.watch_socket(fd, token, interest, first).is_err() {
                return Park::Refused(item);
            }
            slot.watched = Some(interest);
        }
        slot.parked = Some(Parked {
            item,
            fd,
            interest,
            deadline,
        });
        state.parked += 1;
        state.timers.push(Reverse((deadline, token)));
        state.compact_timers();
        let wake = match &self.backend {
            Backend::Poll => true,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(_) => state.sleeping_until.is_some_and(|at| deadline < at),
        };
        drop(state);
        if wake {
            self.wake();
        }
        Park::Parked
    }

    /// Makes the leader's wait on the system return at once; if no thread
    /// is waiting now, the next wait or look finds the wake-up instead.
    pub fn wake(&self) {
        // A full socket buffer means a wake-up is already pending.
        let _ = (&self.wake_tx).write(&[1]);
    }

    /// Number of parked items.
    pub fn len(&self) -> usize {
        self.lock().parked
    }

    /// Whether nothing is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next event for an idle worker, waiting at most `timeout`. `None`
    /// if nothing came in time, or the poller is closed.
    ///
    /// The aim is as few runnable threads as there are cores, and as few
    /// wake-ups as possible. A worker that has just finished a job takes
    /// the oldest event already found, or looks for ready sockets without
    /// waiting (one system call finds many): under load, busy workers go
    /// from one event to the next without sleeping, as an event loop does.
    /// A worker with nothing to do joins the lead section. There, while
    /// every core has a busy worker that keeps taking events, one thread
    /// watches (it checks every [`HANDOFF`] that they still take events) and
    /// the others sleep: waiting on the system then would only wake a
    /// thread for each event, to find the cores taken. If the busy workers
    /// stall (handlers blocked on slow clients or disks) or a core is free,
    /// a thread leads: it waits on the system and takes what it finds.
    pub fn next(&self, timeout: Duration) -> Option<Event<T>> {
        if let Some(event) = self.pop_event() {
            return Some(self.taken(event));
        }
        if self.peeks && self.look_now() {
            if let Some(event) = self.pop_event() {
                return Some(self.taken(event));
            }
        }
        let give_up = Instant::now() + timeout;
        let mut lead = self.leader.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.is_closed() {
                return None;
            }
            let now = Instant::now();
            if self.may_take(now) {
                if let Some(event) = self.pop_event() {
                    // Leaving the section: someone else should take it on.
                    self.room.notify_one();
                    return Some(self.taken(event));
                }
            }
            if now >= give_up {
                return None;
            }
            if self.peeks && !self.may_take(now) {
                lead = self.watch(lead, give_up - now);
                continue;
            }
            if let Err(e) = self.look(&mut lead.found, give_up, true) {
                // Not expected (the descriptors are ours); do not spin on it.
                self.errors.error(&format!("poller: {e}"));
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Sleeps in the lead section while the cores are busy: for [`HANDOFF`]
    /// if this thread is the one watching, else until woken.
    fn watch<'g>(&self, mut lead: MutexGuard<'g, Lead>, left: Duration) -> MutexGuard<'g, Lead> {
        if lead.watching {
            let (lead, _) = self
                .room
                .wait_timeout(lead, left)
                .unwrap_or_else(PoisonError::into_inner);
            return lead;
        }
        lead.watching = true;
        let (mut lead, _) = self
            .room
            .wait_timeout(lead, HANDOFF.min(left))
            .unwrap_or_else(PoisonError::into_inner);
        lead.watching = false;
        lead
    }

    /// Whether a thread in the lead section may take an event: a core has
    /// no busy worker, or the busy ones have stopped taking events for
    /// [`HANDOFF`].
    fn may_take(&self, now: Instant) -> bool {
        if self.busy.load(Ordering::Relaxed) < self.cores {
            return true;
        }
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        now >= events.last_taken + HANDOFF
    }

    /// A worker is done with the event it took.
    pub fn finished(&self) {
        self.busy.fetch_sub(1, Ordering::Relaxed);
    }

    fn taken(&self, event: Event<T>) -> Event<T> {
        self.busy.fetch_add(1, Ordering::Relaxed);
        event
    }

    /// Looks for ready sockets and passed deadlines without waiting, if no
    /// other thread is looking this instant. Returns whether it found any.
    fn look_now(&self) -> bool {
        let Ok(mut found) = self.peek.try_lock() else {
            return false;
        };
        if self.look(&mut found, Instant::now(), false).is_err() {
            return false;
        }
        self.waiting_events() > 0
    }

    /// Looks for ready and expired items without waiting, if no thread is
    /// leading now (every worker is busy): so that deadlines and the queue
    /// wait are kept while the pool is saturated. Returns whether it looked.
    pub fn look_without_waiting(&self) -> bool {
        let Ok(mut lead) = self.leader.try_lock() else {
            return false;
        };
        if let Err(e) = self.look(&mut lead.found, Instant::now(), false) {
            self.errors.error(&format!("poller: {e}"));
        }
        true
    }

    /// Puts a ready item on the event list for a worker to take (from a
    /// thread that must not serve it itself).
    pub fn hand_over(&self, item: T) {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.list.push_back(Event::Ready {
            item,
            since: now,
            hangup: false,
        });
        drop(events);
        // The leader may be waiting on the system: it should look.
        self.wake();
    }

    /// Takes out of the list of found events every one `pick` chooses.
    pub fn take_events_where(&self, mut pick: impl FnMut(&Event<T>) -> bool) -> Vec<Event<T>> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        // Usually nothing is picked: look before rebuilding the list.
        if !events.list.iter().any(&mut pick) {
            return Vec::new();
        }
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(events.list.len());
        for event in events.list.drain(..) {
            if pick(&event) {
                taken.push(event);
            } else {
                kept.push_back(event);
            }
        }
        events.list = kept;
        taken
    }

    /// Number of events found and not yet taken.
    pub fn waiting_events(&self) -> usize {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.list.len()
    }

    /// Whether [`Poller::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Makes every [`Poller::next`], now and later, return `None`.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        // The leader returns from the system; then, holding the lead (so
        // that no thread is between its check and its sleep), wake every
        // thread sleeping in the lead section.
        self.wake();
        let _lead = self.leader.lock().unwrap_or_else(PoisonError::into_inner);
        self.room.notify_all();
    }

    fn pop_event(&self) -> Option<Event<T>> {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let event = events.list.pop_front()?;
        events.last_taken = Instant::now();
        Some(event)
    }

    /// Waits on the system until `until` at most (or the nearest deadline,
    /// or a wake-up), then moves what it found onto the event list. Only
    /// the leader (`leading`) waits for long, and says until when, so that
    /// a park with an earlier deadline can wake it.
    fn look(&self, found: &mut Found, until: Instant, leading: bool) -> io::Result<()> {
        found.ready.clear();
        let now = Instant::now();
        let wake_at = {
            let mut state = self.lock();
            let next = state.timers.peek().map(|Reverse((at, _))| *at);
            let wake_at = next.map_or(until, |at| at.min(until));
            if leading {
                state.sleeping_until = Some(wake_at);
            }
            if matches!(self.backend, Backend::Poll) {
                list_poll_fds(&state, found, self.wake_rx.as_raw_fd());
            }
            wake_at
        };
        let timeout = wake_at.saturating_duration_since(now);
        let waited = match &self.backend {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll(epoll) => epoll.wait(&mut found.ready, Some(timeout)),
            Backend::Poll => wait_poll(found, timeout),
        };
        let mut state = self.lock();
        if leading {
            state.sleeping_until = None;
        }
        waited?;
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        for &Readiness { token, hangup } in &found.ready {
            if token == WAKE {
                self.drain_wake_ups()?;
                if !leading && state.sleeping_until.is_some() {
                    // A look without waiting caught a wake-up meant for the
                    // leader (a park with an earlier deadline): pass it on.
                    self.wake();
                }
                continue;
            }
            if let Some(parked) = state.ready(token, hangup) {
                events.list.push_back(Event::Ready {
                    item: parked.item,
                    since: now,
                    hangup,
                });
            }
        }
        state.expire_due(now, &mut events.list);
        Ok(())
    }

    fn drain_wake_ups(&self) -> io::Result<()> {
        let mut sink = [0u8; 64];
        while matches!((&self.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
        self.arm(self.wake_rx.as_raw_fd(), WAKE, Interest::Read)
    }

    /// Brings every parked item's deadline forward to `latest` at most
    /// (when `shorten` says so for that item): the server is stopping.
    pub fn shorten_deadlines(&self, latest: Instant, shorten: impl Fn(&T) -> bool) {
        let mut state = self.lock();
        let mut moved = Vec::new();
        for (index, slot) in state.slots.iter_mut().enumerate() {
            let generation = slot.generation;
            if let Some(parked) = slot.parked.as_mut() {
                if parked.deadline > latest && shorten(&parked.item) {
                    parked.deadline = latest;
                    moved.push(Reverse((latest, token(index as u32, generation))));
                }
            }
        }
        state.timers.extend(moved);
        drop(state);
        self.wake();
    }

    /// Takes out every parked item for which `pick` says so.
    pub fn take_where(&self, pick: impl Fn(&T) -> bool) -> Vec<T> {
        let mut state = self.lock();
        let mut taken = Vec::new();
        for index in 0..state.slots.len() {
            let slot = &state.slots[index];
            let chosen = slot.parked.as_ref().is_some_and(|p| pick(&p.item));
            if chosen {
                let token = token(index as u32, slot.generation);
                if let Some(parked) = state.take(token) {
                    taken.push(parked.item);
                }
            }
        }
        taken
    }
}

/// The `poll(2)` list: the wake-up socket, then every parked socket, each
/// with its token.
fn list_poll_fds<T>(state: &State<T>, found: &mut Found, wake_fd: RawFd) {
    found.poll_fds.clear();
    found.poll_tokens.clear();
    found
        .poll_fds
        .push(sys::poll::PollFd::new(wake_fd, Interest::Read));
    found.poll_tokens.push(WAKE);
    for (index, slot) in state.slots.iter().enumerate() {
        if let Some(parked) = &slot.parked {
            found
                .poll_fds
                .push(sys::poll::PollFd::new(parked.fd, parked.interest));
            found.poll_tokens.push(token(index as u32, slot.generation));
        }
    }
}

/// Waits on the `poll(2)` list. A slot emptied and refilled since the list
/// was made has a new generation, so its old token is dropped by `take`; the
/// new item's park woke us, and the next list will have it.
fn wait_poll(found: &mut Found, timeout: Duration) -> io::Result<()> {
    sys::poll::wait(&mut found.poll_fds, Some(timeout))?;
    for (entry, &token) in found.poll_fds.iter().zip(&found.poll_tokens) {
        if entry.is_ready() {
            // Level triggered: a pending close is still readable next time.
            found.ready.push(Readiness {
                token,
                hangup: false,
            });
        }
    }
    Ok(())
}

impl<T: Send> crate::server::pool::Jobs<Event<T>> for Poller<T> {
    fn next(&self, timeout: Duration) -> Option<Event<T>> {
        Poller::next(self, timeout)
    }

    fn is_closed(&self) -> bool {
        Poller::is_closed(self)
    }

    fn close(&self) {
        Poller::close(self);
    }

    fn finished(&self) {
        Poller::finished(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    fn ready_and_expiry(kind: PollerKind) {
        let poller: Poller<(&str, TcpStream)> = Poller::new(kind).unwrap();
        let (mut quiet_client, quiet) = pair();
        let (mut talker_client, talker) = pair();
        let far = Instant::now() + Duration::from_secs(60);
        let soon = Instant::now() + Duration::from_millis(50);
        let quiet_fd = quiet.as_raw_fd();
        let talker_fd = talker.as_raw_fd();
        let quiet_slot = poller.reserve();
        let talker_slot = poller.reserve();
        let parked = |p: Park<_>| matches!(p, Park::Parked);
        assert!(parked(poller.park(
            ("quiet", quiet),
            quiet_slot,
            quiet_fd,
            Interest::Read,
            soon
        )));
        assert!(parked(poller.park(
            ("talker", talker),
            talker_slot,
            talker_fd,
            Interest::Read,
            far
        )));
        talker_client.write_all(b"x").unwrap();
        let mut ready = Vec::new();
        let mut expired = Vec::new();
        let give_up = Instant::now() + Duration::from_secs(30);
        while (ready.is_empty() || expired.is_empty()) && Instant::now() < give_up {
            match poller.next(Duration::from_secs(1)) {
                Some(Event::Ready { item, .. }) => ready.push(item.0),
                Some(Event::Expired(item)) => expired.push(item.0),
                None => {}
            }
        }
        assert_eq!(ready, ["talker"]);
        assert_eq!(expired, ["quiet"]);
        assert!(poller.is_empty());
        poller.release(quiet_slot);
        poller.release(talker_slot);
        quiet_client.write_all(b"late").unwrap();
        poller.close();
        assert!(poller.next(Duration::from_secs(30)).is_none());
    }

    #[test]
    fn epoll_or_best_reports_ready_and_expired_items_once() {
        ready_and_expiry(PollerKind::Best);
    }

    #[test]
    fn poll_reports_ready_and_expired_items_once() {
        ready_and_expiry(PollerKind::Poll);
    }

    /// Bytes that arrive while an item is out being served are not lost:
    /// its next park hands it back at once.
    #[test]
    fn an_event_while_out_makes_the_next_park_return_at_once() {
        let poller: Poller<TcpStream> = Poller::new(PollerKind::Best).unwrap();
        let (mut client, server) = pair();
        let fd = server.as_raw_fd();
        let slot = poller.reserve();
        let far = Instant::now() + Duration::from_secs(60);
        assert!(matches!(
            poller.park(server, slot, fd, Interest::Read, far),
            Park::Parked
        ));
        client.write_all(b"first").unwrap();
        let Some(Event::Ready { item: server, .. }) = poller.next(Duration::from_secs(30)) else {
            panic!("the first bytes are an event");
        };
        poller.finished();
        // While the item is out, more bytes come; some thread looks.
        client.write_all(b"second").unwrap();
        let looked = std::thread::scope(|scope| {
            scope
                .spawn(|| poller.next(Duration::from_millis(300)))
                .join()
                .unwrap()
        });
        assert!(looked.is_none(), "nothing parked to hand out");
        assert!(matches!(
            poller.park(server, slot, fd, Interest::Read, far),
            Park::Ready { hangup: false, .. }
        ));
        poller.release(slot);
    }
}
