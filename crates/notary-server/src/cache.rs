//! The in-memory cache of each GUN's current metadata, and the bookkeeping that keeps it coherent
//! with a database other servers also write (see [`crate::service`] for the protocol).
//!
//! - An entry is served only while the cache is *coherent* and the entry was installed in the
//!   current *epoch*. Losing or regaining coherence (the change listener dropping or connecting)
//!   starts a new epoch, so everything cached before is no longer served as current; it stays
//!   available as the *last known* state for reads while the database is unreachable.
//! - A load from the database takes a [`Ticket`] before it queries and installs its result only if
//!   no eviction of the GUN's stripe and no epoch change happened in between: a load that started
//!   before a change notification is never installed after it.

use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::{Arc, PoisonError, RwLock};

/// Number of generation stripes: GUNs that hash alike share a generation counter, which only
/// costs an occasional refused install.
const STRIPES: usize = 64;

/// Current metadata by GUN.
pub struct MetadataCache<V> {
    inner: RwLock<Inner<V>>,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    epoch: u64,
    coherent: bool,
    /// Bumped by every eviction or replacement of a GUN in the stripe.
    generations: [u64; STRIPES],
}

struct Entry<V> {
    value: Arc<V>,
    epoch: u64,
}

/// What a load saw of the cache before it queried the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    stripe: usize,
    generation: u64,
    epoch: u64,
}

impl<V> MetadataCache<V> {
    /// An empty cache; `coherent` is whether it may serve reads from the start.
    pub fn new(coherent: bool) -> Self {
        MetadataCache {
            inner: RwLock::new(Inner {
                entries: HashMap::new(),
                epoch: 0,
                coherent,
                generations: [0; STRIPES],
            }),
        }
    }

    /// The current state of `gun`, if cached and the cache is coherent.
    pub fn get(&self, gun: &str) -> Option<Arc<V>> {
        let inner = self.read();
        if !inner.coherent {
            return None;
        }
        inner
            .entries
            .get(gun)
            .filter(|entry| entry.epoch == inner.epoch)
            .map(|entry| entry.value.clone())
    }

    /// The last state of `gun` this cache held, current or not: only for reads while the
    /// database cannot be reached.
    pub fn last_known(&self, gun: &str) -> Option<Arc<V>> {
        self.read().entries.get(gun).map(|entry| entry.value.clone())
    }

    /// Take before querying the database for `gun`; hand to [`MetadataCache::install`].
    pub fn ticket(&self, gun: &str) -> Ticket {
        let inner = self.read();
        let stripe = stripe(gun);
        Ticket {
            stripe,
            generation: inner.generations[stripe],
            epoch: inner.epoch,
        }
    }

    /// Caches `value` as `gun`'s current state unless the cache is incoherent or the GUN's stripe
    /// or the epoch changed since `ticket` was taken. Returns whether it was cached.
    pub fn install(&self, gun: &str, value: Arc<V>, ticket: Ticket) -> bool {
        let mut inner = self.write();
        if !inner.coherent || inner.epoch != ticket.epoch || inner.generations[ticket.stripe] != ticket.generation {
            return false;
        }
        let epoch = inner.epoch;
        inner.entries.insert(gun.to_owned(), Entry { value, epoch });
        true
    }

    /// Sets (or removes) `gun`'s state after this process changed it, when it is the database's
    /// only writer: no notification is needed, the change is known here.
    pub fn replace(&self, gun: &str, value: Option<Arc<V>>) {
        let mut inner = self.write();
        inner.generations[stripe(gun)] += 1;
        match value {
            Some(value) => {
                let epoch = inner.epoch;
                inner.entries.insert(gun.to_owned(), Entry { value, epoch });
            }
            None => {
                inner.entries.remove(gun);
            }
        }
    }

    /// Forgets `gun`'s state: it changed in the database.
    pub fn evict(&self, gun: &str) {
        let mut inner = self.write();
        inner.generations[stripe(gun)] += 1;
        inner.entries.remove(gun);
    }

    /// Starts a new epoch in which the cache serves reads (`true`) or not (`false`). Either way
    /// nothing cached before is served as current again.
    pub fn set_coherent(&self, coherent: bool) {
        let mut inner = self.write();
        inner.epoch += 1;
        inner.coherent = coherent;
    }

    /// Whether the cache serves reads.
    pub fn is_coherent(&self) -> bool {
        self.read().coherent
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<V>> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner<V>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The stripe of `gun` (also used for the service's write locks).
pub fn stripe(gun: &str) -> usize {
    let mut hasher = FixedHasher::default();
    hasher.write(gun.as_bytes());
    (hasher.finish() % STRIPES as u64) as usize
}

/// FNV-1a: a hasher with no per-process seed, for picking stripes.
#[derive(Default)]
struct FixedHasher(u64);

impl Hasher for FixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_that_started_before_an_eviction_is_not_installed() {
        let cache = MetadataCache::new(true);
        let ticket = cache.ticket("a/b");
        cache.evict("a/b");
        assert!(!cache.install("a/b", Arc::new(1), ticket));
        assert_eq!(cache.get("a/b"), None);
        let ticket = cache.ticket("a/b");
        assert!(cache.install("a/b", Arc::new(2), ticket));
        assert_eq!(cache.get("a/b").as_deref(), Some(&2));
        cache.evict("a/b");
        assert_eq!(cache.get("a/b"), None);
        assert_eq!(cache.last_known("a/b"), None);
    }

    #[test]
    fn other_stripes_do_not_refuse_installs() {
        let cache = MetadataCache::new(true);
        let other = (0..)
            .map(|i| format!("g{i}"))
            .find(|g| stripe(g) != stripe("a/b"))
            .unwrap();
        let ticket = cache.ticket("a/b");
        cache.evict(&other);
        assert!(cache.install("a/b", Arc::new(1), ticket));
    }

    #[test]
    fn incoherent_cache_serves_nothing_but_keeps_the_last_known_state() {
        let cache = MetadataCache::new(false);
        let ticket = cache.ticket("a/b");
        assert!(!cache.install("a/b", Arc::new(1), ticket), "not coherent yet");
        cache.set_coherent(true);
        assert!(
            !cache.install("a/b", Arc::new(1), ticket),
            "ticket of the previous epoch"
        );
        let ticket = cache.ticket("a/b");
        assert!(cache.install("a/b", Arc::new(1), ticket));
        assert_eq!(cache.get("a/b").as_deref(), Some(&1));

        // The listener dropped: nothing is served, the last known state stays for outages.
        let during = cache.ticket("a/b");
        cache.set_coherent(false);
        assert_eq!(cache.get("a/b"), None);
        assert_eq!(cache.last_known("a/b").as_deref(), Some(&1));
        assert!(!cache.install("a/b", Arc::new(2), during));

        // Reconnected: notifications may have been missed, so the old entry is not served.
        cache.set_coherent(true);
        assert_eq!(cache.get("a/b"), None);
        assert_eq!(cache.last_known("a/b").as_deref(), Some(&1));
    }

    #[test]
    fn replace_by_the_sole_writer() {
        let cache = MetadataCache::new(true);
        let ticket = cache.ticket("a/b");
        cache.replace("a/b", Some(Arc::new(3)));
        assert!(
            !cache.install("a/b", Arc::new(2), ticket),
            "a load older than the write"
        );
        assert_eq!(cache.get("a/b").as_deref(), Some(&3));
        cache.replace("a/b", None);
        assert_eq!(cache.get("a/b"), None);
    }
}
