//! The Prometheus registry behind `GET /metrics` (`shared/spec/server-api.md` §7.11), rendered in
//! the text exposition format 0.0.4, with the per-route `operation` label values of §3.
//!
//! Recording sits on the request hot path, so it takes no lock for the usual cases: every
//! (operation × GET/POST/DELETE × common status) counter, each operation's latency histogram and
//! byte counters are plain relaxed atomics in fixed arrays. Only an unusual method or status code
//! (or an unexpected role name) goes through a `RwLock`-protected map, and then only a read lock
//! once its series exists. [`Metrics::render`] is the slow side: it reads everything and sorts.
//!
//! Go's names are kept for `notary_server_http_requests_total{code,method,operation}` (`method`
//! lower-case, `code` the status, `0` when the handler wrote nothing). Go's three summaries are
//! replaced by a latency histogram and two byte counters, which the spec leaves optional:
//! summaries cannot be aggregated across instances, histograms can.
//!
//! Beyond Go's: the database's side — a latency histogram per [`StoreOperation`], the connection
//! pool's use (PostgreSQL), and how reads of current metadata were answered by the in-memory
//! cache ([`CacheResult`]) and whether that cache is currently coherent with the database.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// The `Content-Type` of a `/metrics` response: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// An instrumented API operation: the `operation` label of `server-api.md` §3's route table.
///
/// The order is the route table's, which is also the order series are rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// `POST /v2/{gun}/_trust/tuf/` (route 2).
    UpdateTuf,
    /// `GET /v2/{gun}/_trust/tuf/{role}.{checksum}.json` (route 3).
    GetRoleByHash,
    /// `GET /v2/{gun}/_trust/tuf/{version}.{role}.json` (route 4).
    GetRoleByVersion,
    /// `GET /v2/{gun}/_trust/tuf/{role}.json` (route 5).
    GetRole,
    /// `GET /v2/{gun}/_trust/tuf/{snapshot|timestamp}.key` (route 6).
    GetKey,
    /// `POST /v2/{gun}/_trust/tuf/{snapshot|timestamp}.key` (route 7).
    RotateKey,
    /// `DELETE /v2/{gun}/_trust/tuf/` (route 8).
    DeleteTuf,
    /// `GET /v2/{gun}/_trust/changefeed` and `GET /v2/_trust/changefeed` (routes 9 and 10).
    Changefeed,
}

impl Operation {
    /// Every operation, in route-table order.
    pub const ALL: [Self; 8] = [
        Self::UpdateTuf,
        Self::GetRoleByHash,
        Self::GetRoleByVersion,
        Self::GetRole,
        Self::GetKey,
        Self::RotateKey,
        Self::DeleteTuf,
        Self::Changefeed,
    ];

    /// Go notary-server's name for the operation, as it appears in the `operation` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpdateTuf => "UpdateTUF",
            Self::GetRoleByHash => "GetRoleByHash",
            Self::GetRoleByVersion => "GetRoleByVersion",
            Self::GetRole => "GetRole",
            Self::GetKey => "GetKey",
            Self::RotateKey => "RotateKey",
            Self::DeleteTuf => "DeleteTUF",
            Self::Changefeed => "Changefeed",
        }
    }

    /// The position in [`Operation::ALL`], used to index the fixed arrays.
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metadata-store operation: the `operation` label of the store latency histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreOperation {
    /// The current files of a GUN (a cache miss, a publish, a re-sign).
    Current,
    /// One file by checksum.
    ByChecksum,
    /// One file by version.
    ByVersion,
    /// Storing a publish or a re-sign.
    UpdateMany,
    /// Deleting a GUN.
    Delete,
    /// A changefeed page.
    Changes,
    /// The `DB operational` health check.
    CheckHealth,
}

impl StoreOperation {
    /// Every store operation, in rendering order.
    pub const ALL: [Self; 7] = [
        Self::Current,
        Self::ByChecksum,
        Self::ByVersion,
        Self::UpdateMany,
        Self::Delete,
        Self::Changes,
        Self::CheckHealth,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::ByChecksum => "by_checksum",
            Self::ByVersion => "by_version",
            Self::UpdateMany => "update_many",
            Self::Delete => "delete",
            Self::Changes => "changes",
            Self::CheckHealth => "check_health",
        }
    }
}

/// How a read of current metadata was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheResult {
    /// From the cache, no database query.
    Hit,
    /// From the database.
    Miss,
    /// From the last known (unexpired) state while the database was unreachable.
    LastKnown,
}

impl CacheResult {
    const ALL: [Self; 3] = [Self::Hit, Self::Miss, Self::LastKnown];

    fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::LastKnown => "last_known",
        }
    }
}

/// The server's metrics: cheap to record from many threads at once, rendered on demand.
///
/// Share one instance (in an `Arc`) between all connections.
pub struct Metrics {
    /// `notary_server_http_requests_total` for the common methods and codes, indexed by
    /// [`request_slot`].
    requests: [AtomicU64; OPERATIONS * COMMON_METHODS.len() * COMMON_CODES.len()],
    /// `notary_server_http_requests_total` for any other method or code; rarely written.
    unusual_requests: RwLock<HashMap<RequestSeries, AtomicU64>>,
    /// Latency histogram and byte counters, one per operation.
    per_operation: [OperationStats; OPERATIONS],
    /// `notary_server_publishes_total`: `[ok, error]`.
    publishes: [AtomicU64; 2],
    /// `notary_server_signatures_total`.
    signatures: RoleCounters,
    /// `notary_server_resigns_total`.
    resigns: RoleCounters,
    /// `notary_server_store_duration_seconds`, by [`StoreOperation`].
    store: [Histogram; StoreOperation::ALL.len()],
    /// `notary_server_metadata_cache_reads_total`, by [`CacheResult`].
    cache_reads: [AtomicU64; CacheResult::ALL.len()],
    /// `notary_server_metadata_cache_coherent`: 1 while the cache may serve reads.
    cache_coherent: AtomicU64,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            requests: [const { AtomicU64::new(0) }; OPERATIONS * COMMON_METHODS.len() * COMMON_CODES.len()],
            unusual_requests: RwLock::new(HashMap::new()),
            per_operation: [const { OperationStats::new() }; OPERATIONS],
            publishes: [const { AtomicU64::new(0) }; 2],
            signatures: RoleCounters::new(),
            resigns: RoleCounters::new(),
            store: [const { Histogram::new() }; StoreOperation::ALL.len()],
            cache_reads: [const { AtomicU64::new(0) }; CacheResult::ALL.len()],
            cache_coherent: AtomicU64::new(0),
        }
    }

    /// Records how long one store operation took (failed ones included).
    pub fn record_store(&self, operation: StoreOperation, duration: Duration) {
        self.store[operation as usize].observe(duration);
    }

    /// Records how one read of current metadata was answered.
    pub fn record_cache(&self, result: CacheResult) {
        self.cache_reads[result as usize].fetch_add(1, Relaxed);
    }

    /// Sets whether the metadata cache currently serves reads.
    pub fn set_cache_coherent(&self, coherent: bool) {
        self.cache_coherent.store(u64::from(coherent), Relaxed);
    }

    /// As [`Metrics::render`], followed by the connection pool's use when there is a pool.
    pub fn render_with_pool(&self, pool: Option<notary_storage::PoolStats>) -> String {
        let mut out = self.render();
        if let Some(pool) = pool {
            let _ = render_pool(&mut out, pool);
        }
        out
    }

    /// Records one finished request of `operation`.
    ///
    /// `status` is the status written, or `0` when the handler wrote nothing (Go's convention for
    /// a successful upload or delete); `duration` runs from routing to the last byte written.
    pub fn record_request(
        &self,
        operation: Operation,
        method: &http::Method,
        status: u16,
        duration: Duration,
        request_bytes: u64,
        response_bytes: u64,
    ) {
        match request_slot(operation, method, status) {
            Some(slot) => {
                self.requests[slot].fetch_add(1, Relaxed);
            }
            None => self.record_unusual_request(operation, method, status),
        }
        let stats = &self.per_operation[operation.index()];
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        stats.buckets[BUCKETS.partition_point(|&(bound, _)| bound < nanos)].fetch_add(1, Relaxed);
        stats.sum_nanos.fetch_add(nanos, Relaxed);
        stats.request_bytes.fetch_add(request_bytes, Relaxed);
        stats.response_bytes.fetch_add(response_bytes, Relaxed);
    }

    /// Records the outcome of one publish (`POST /v2/{gun}/_trust/tuf/`).
    pub fn record_publish(&self, ok: bool) {
        self.publishes[usize::from(!ok)].fetch_add(1, Relaxed);
    }

    /// Records one signature made by the server's signing service over `role`'s metadata.
    pub fn record_signature(&self, role: &str) {
        self.signatures.increment(role);
    }

    /// Records one lazy re-signing of `role`'s metadata on read (`server-behaviour.md` §5.1).
    pub fn record_resign(&self, role: &str) {
        self.resigns.increment(role);
    }

    /// The whole registry in Prometheus text format 0.0.4 (serve it with [`CONTENT_TYPE`]).
    ///
    /// Every family is listed with `# HELP` and `# TYPE` even before its first sample. Per-request
    /// series appear once recorded; the publish and snapshot/timestamp signing counters are
    /// always present, starting at zero.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // `fmt::Write` for `String` never fails.
        let _ = self.render_into(&mut out);
        out
    }

    fn record_unusual_request(&self, operation: Operation, method: &http::Method, status: u16) {
        let key = (operation, method.as_str().to_ascii_lowercase().into_boxed_str(), status);
        let series = self.unusual_requests.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = series.get(&key) {
            counter.fetch_add(1, Relaxed);
            return;
        }
        drop(series);
        let mut series = self.unusual_requests.write().unwrap_or_else(PoisonError::into_inner);
        series
            .entry(key)
            .or_insert_with(|| AtomicU64::new(0))
            .fetch_add(1, Relaxed);
    }

    fn render_into(&self, out: &mut String) -> fmt::Result {
        self.render_requests(out)?;
        self.render_durations(out)?;
        self.render_bytes(
            out,
            REQUEST_BYTES,
            "Bytes of request bodies received, by API operation.",
            |stats| &stats.request_bytes,
        )?;
        self.render_bytes(
            out,
            RESPONSE_BYTES,
            "Bytes of response bodies sent, by API operation.",
            |stats| &stats.response_bytes,
        )?;

        family_header(out, PUBLISHES, "Publishes (POST of TUF metadata) by result.", "counter")?;
        for (result, counter) in ["ok", "error"].into_iter().zip(&self.publishes) {
            writeln!(out, "{PUBLISHES}{{result=\"{result}\"}} {}", counter.load(Relaxed))?;
        }
        self.signatures.render(
            out,
            SIGNATURES,
            "Signatures made by the server's signing service, by role.",
        )?;
        self.resigns.render(
            out,
            RESIGNS,
            "Metadata lazily re-signed on read because it was (nearly) expired, by role.",
        )?;

        family_header(
            out,
            STORE_DURATION,
            "Time of metadata store operations (failed ones included), by operation.",
            "histogram",
        )?;
        for operation in StoreOperation::ALL {
            self.store[operation as usize].render(out, STORE_DURATION, operation.as_str())?;
        }
        family_header(
            out,
            CACHE_READS,
            "Reads of current metadata by how they were answered: hit (memory), miss (database), last_known (memory while the database is unreachable).",
            "counter",
        )?;
        for result in CacheResult::ALL {
            writeln!(
                out,
                "{CACHE_READS}{{result=\"{}\"}} {}",
                result.as_str(),
                self.cache_reads[result as usize].load(Relaxed)
            )?;
        }
        family_header(
            out,
            CACHE_COHERENT,
            "1 while the metadata cache is known to be coherent with the database and serves reads.",
            "gauge",
        )?;
        writeln!(out, "{CACHE_COHERENT} {}", self.cache_coherent.load(Relaxed))
    }

    fn render_requests(&self, out: &mut String) -> fmt::Result {
        family_header(
            out,
            REQUESTS,
            "Requests by status code, method and API operation.",
            "counter",
        )?;
        // Sorted like client_golang: by label values in label-name order (code, method, operation).
        let mut series: Vec<(String, String, Operation, u64)> = Vec::new();
        for operation in Operation::ALL {
            for method in COMMON_METHODS {
                for code in COMMON_CODES {
                    let Some(slot) = request_slot(operation, &method, code) else {
                        continue;
                    };
                    let count = self.requests[slot].load(Relaxed);
                    if count > 0 {
                        series.push((code.to_string(), method.as_str().to_ascii_lowercase(), operation, count));
                    }
                }
            }
        }
        let unusual = self.unusual_requests.read().unwrap_or_else(PoisonError::into_inner);
        for ((operation, method, code), counter) in unusual.iter() {
            series.push((code.to_string(), method.to_string(), *operation, counter.load(Relaxed)));
        }
        drop(unusual);
        series.sort_by(|a, b| (&a.0, &a.1, a.2.as_str()).cmp(&(&b.0, &b.1, b.2.as_str())));
        for (code, method, operation, count) in series {
            write!(out, "{REQUESTS}{{code=\"{code}\",method=\"")?;
            write_label_value(out, &method)?;
            writeln!(out, "\",operation=\"{operation}\"}} {count}")?;
        }
        Ok(())
    }

    fn render_durations(&self, out: &mut String) -> fmt::Result {
        family_header(
            out,
            DURATION,
            "Time to handle a request, by API operation.",
            "histogram",
        )?;
        for operation in Operation::ALL {
            let stats = &self.per_operation[operation.index()];
            // `_count` is the sum of the buckets read here, so it always equals the `+Inf` bucket.
            let mut cumulative = 0u64;
            let mut lines = String::new();
            for (bucket, counter) in stats.buckets.iter().enumerate() {
                cumulative += counter.load(Relaxed);
                let le = BUCKETS.get(bucket).map_or("+Inf", |&(_, le)| le);
                writeln!(
                    lines,
                    "{DURATION}_bucket{{operation=\"{operation}\",le=\"{le}\"}} {cumulative}"
                )?;
            }
            if cumulative == 0 {
                continue;
            }
            out.push_str(&lines);
            let sum = Duration::from_nanos(stats.sum_nanos.load(Relaxed)).as_secs_f64();
            writeln!(out, "{DURATION}_sum{{operation=\"{operation}\"}} {sum}")?;
            writeln!(out, "{DURATION}_count{{operation=\"{operation}\"}} {cumulative}")?;
        }
        Ok(())
    }

    fn render_bytes(
        &self,
        out: &mut String,
        name: &str,
        help: &str,
        read: fn(&OperationStats) -> &AtomicU64,
    ) -> fmt::Result {
        family_header(out, name, help, "counter")?;
        for operation in Operation::ALL {
            let stats = &self.per_operation[operation.index()];
            if stats.is_empty() {
                continue;
            }
            writeln!(out, "{name}{{operation=\"{operation}\"}} {}", read(stats).load(Relaxed))?;
        }
        Ok(())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The labels of one `notary_server_http_requests_total` series: operation, lower-case method,
/// status code.
type RequestSeries = (Operation, Box<str>, u16);

/// The latency histogram and byte counters of one operation.
struct OperationStats {
    /// Non-cumulative counts: `buckets[i]` counts observations in `(BUCKETS[i-1], BUCKETS[i]]`;
    /// the last one counts those above every bound (`+Inf`).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    request_bytes: AtomicU64,
    response_bytes: AtomicU64,
}

impl OperationStats {
    const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
            request_bytes: AtomicU64::new(0),
            response_bytes: AtomicU64::new(0),
        }
    }

    /// Whether no request of this operation was recorded yet.
    fn is_empty(&self) -> bool {
        self.buckets.iter().all(|bucket| bucket.load(Relaxed) == 0)
    }
}

/// A latency histogram with the [`BUCKETS`] bounds.
struct Histogram {
    /// Non-cumulative counts, as in [`OperationStats::buckets`].
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[BUCKETS.partition_point(|&(bound, _)| bound < nanos)].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// The series of `name{operation="<operation>"}`; nothing before the first observation.
    fn render(&self, out: &mut String, name: &str, operation: &str) -> fmt::Result {
        let mut cumulative = 0u64;
        let mut lines = String::new();
        for (bucket, counter) in self.buckets.iter().enumerate() {
            cumulative += counter.load(Relaxed);
            let le = BUCKETS.get(bucket).map_or("+Inf", |&(_, le)| le);
            writeln!(
                lines,
                "{name}_bucket{{operation=\"{operation}\",le=\"{le}\"}} {cumulative}"
            )?;
        }
        if cumulative == 0 {
            return Ok(());
        }
        out.push_str(&lines);
        let sum = Duration::from_nanos(self.sum_nanos.load(Relaxed)).as_secs_f64();
        writeln!(out, "{name}_sum{{operation=\"{operation}\"}} {sum}")?;
        writeln!(out, "{name}_count{{operation=\"{operation}\"}} {cumulative}")
    }
}

/// The pool gauges: connections in use and idle, and the most the pool opens.
fn render_pool(out: &mut String, pool: notary_storage::PoolStats) -> fmt::Result {
    family_header(
        out,
        POOL_CONNECTIONS,
        "Open database connections of the pool, by state.",
        "gauge",
    )?;
    writeln!(out, "{POOL_CONNECTIONS}{{state=\"idle\"}} {}", pool.idle)?;
    writeln!(out, "{POOL_CONNECTIONS}{{state=\"in_use\"}} {}", pool.in_use)?;
    family_header(out, POOL_MAX, "The most database connections the pool opens.", "gauge")?;
    writeln!(out, "{POOL_MAX} {}", pool.max)
}

/// Counters by role name: the two roles the server signs have fixed slots, anything else goes to
/// a locked map.
struct RoleCounters {
    snapshot: AtomicU64,
    timestamp: AtomicU64,
    other: RwLock<BTreeMap<Box<str>, AtomicU64>>,
}

impl RoleCounters {
    fn new() -> Self {
        Self {
            snapshot: AtomicU64::new(0),
            timestamp: AtomicU64::new(0),
            other: RwLock::new(BTreeMap::new()),
        }
    }

    fn increment(&self, role: &str) {
        match role {
            "snapshot" => self.snapshot.fetch_add(1, Relaxed),
            "timestamp" => self.timestamp.fetch_add(1, Relaxed),
            _ => {
                let other = self.other.read().unwrap_or_else(PoisonError::into_inner);
                if let Some(counter) = other.get(role) {
                    counter.fetch_add(1, Relaxed);
                    return;
                }
                drop(other);
                let mut other = self.other.write().unwrap_or_else(PoisonError::into_inner);
                other
                    .entry(role.into())
                    .or_insert_with(|| AtomicU64::new(0))
                    .fetch_add(1, Relaxed)
            }
        };
    }

    fn render(&self, out: &mut String, name: &str, help: &str) -> fmt::Result {
        family_header(out, name, help, "counter")?;
        let other = self.other.read().unwrap_or_else(PoisonError::into_inner);
        let mut series: Vec<(&str, u64)> = vec![
            ("snapshot", self.snapshot.load(Relaxed)),
            ("timestamp", self.timestamp.load(Relaxed)),
        ];
        series.extend(other.iter().map(|(role, counter)| (&**role, counter.load(Relaxed))));
        series.sort_unstable();
        for (role, count) in series {
            write!(out, "{name}{{role=\"")?;
            write_label_value(out, role)?;
            writeln!(out, "\"}} {count}")?;
        }
        Ok(())
    }
}

/// The index in `Metrics::requests` of a common (operation, method, code), or `None` for an
/// unusual method or code.
fn request_slot(operation: Operation, method: &http::Method, code: u16) -> Option<usize> {
    let method = COMMON_METHODS.iter().position(|common| common == method)?;
    let code = COMMON_CODES.iter().position(|&common| common == code)?;
    Some((operation.index() * COMMON_METHODS.len() + method) * COMMON_CODES.len() + code)
}

fn family_header(out: &mut String, name: &str, help: &str, kind: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} {kind}")
}

/// Writes a label value escaped as the text format requires (`\\`, `\"`, `\n`).
fn write_label_value(out: &mut String, value: &str) -> fmt::Result {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    Ok(())
}

const OPERATIONS: usize = Operation::ALL.len();

/// Methods with fixed counter slots: the only ones the instrumented routes accept.
const COMMON_METHODS: [http::Method; 3] = [http::Method::GET, http::Method::POST, http::Method::DELETE];

/// Status codes with fixed counter slots: those the instrumented routes produce (`server-api.md`
/// §5.1), plus `0` for "the handler wrote nothing".
const COMMON_CODES: [u16; 9] = [0, 200, 400, 401, 403, 404, 413, 500, 503];

/// Upper bounds of the latency histogram's buckets, in nanoseconds, with their `le` label:
/// from half a millisecond (a cached read) to ten seconds (a slow remote signer).
const BUCKETS: [(u64, &str); 14] = [
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
];

const REQUESTS: &str = "notary_server_http_requests_total";
const DURATION: &str = "notary_server_http_request_duration_seconds";
const REQUEST_BYTES: &str = "notary_server_http_request_bytes_total";
const RESPONSE_BYTES: &str = "notary_server_http_response_bytes_total";
const PUBLISHES: &str = "notary_server_publishes_total";
const SIGNATURES: &str = "notary_server_signatures_total";
const RESIGNS: &str = "notary_server_resigns_total";
const STORE_DURATION: &str = "notary_server_store_duration_seconds";
const CACHE_READS: &str = "notary_server_metadata_cache_reads_total";
const CACHE_COHERENT: &str = "notary_server_metadata_cache_coherent";
const POOL_CONNECTIONS: &str = "notary_server_db_pool_connections";
const POOL_MAX: &str = "notary_server_db_pool_max_connections";

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use http::Method;

    use super::*;

    /// Checks `text` line by line against the 0.0.4 grammar we emit: every family has `# HELP`
    /// then `# TYPE` before its samples, every sample belongs to the declared family, and every
    /// value parses. Returns the family names in order.
    fn assert_valid_exposition(text: &str) -> Vec<String> {
        assert!(text.ends_with('\n'), "exposition must end with a newline");
        let mut families = Vec::new();
        let mut current: Option<(String, String)> = None;
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap();
                assert!(!help.is_empty());
                let kind_line = lines.next().unwrap();
                let kind = kind_line.strip_prefix(&format!("# TYPE {name} ")).unwrap();
                assert!(["counter", "histogram", "gauge"].contains(&kind), "{kind_line}");
                assert!(!families.contains(&name.to_string()), "family {name} declared twice");
                families.push(name.to_string());
                current = Some((name.to_string(), kind.to_string()));
                continue;
            }
            let (family, kind) = current.as_ref().unwrap_or_else(|| panic!("sample before HELP: {line}"));
            let (series, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap_or_else(|_| panic!("bad value in {line}"));
            let name = series.split('{').next().unwrap();
            let allowed: Vec<String> = match kind.as_str() {
                "histogram" => ["_bucket", "_sum", "_count"]
                    .iter()
                    .map(|s| format!("{family}{s}"))
                    .collect(),
                _ => vec![family.clone()],
            };
            assert!(allowed.contains(&name.to_string()), "{name} outside family {family}");
            let labels = &series[name.len()..];
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        families
    }

    #[test]
    fn api_64_metrics_families() {
        let metrics = Metrics::default();
        let text = metrics.render();
        let families = assert_valid_exposition(&text);
        assert_eq!(
            families,
            [
                REQUESTS,
                DURATION,
                REQUEST_BYTES,
                RESPONSE_BYTES,
                PUBLISHES,
                SIGNATURES,
                RESIGNS,
                STORE_DURATION,
                CACHE_READS,
                CACHE_COHERENT
            ]
        );
        assert!(text.contains("# TYPE notary_server_http_requests_total counter\n"));
        assert!(text.contains("# TYPE notary_server_http_request_duration_seconds histogram\n"));
        assert!(text.contains("notary_server_publishes_total{result=\"ok\"} 0\n"));
        assert!(text.contains("notary_server_publishes_total{result=\"error\"} 0\n"));
        assert!(CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
    }

    #[test]
    fn api_65_request_counter_after_get() {
        let metrics = Metrics::default();
        metrics.record_request(Operation::GetRole, &Method::GET, 200, Duration::from_millis(3), 0, 1234);
        let text = metrics.render();
        assert_valid_exposition(&text);
        let samples: Vec<&str> = text.lines().filter(|l| l.starts_with(REQUESTS)).collect();
        assert_eq!(
            samples,
            ["notary_server_http_requests_total{code=\"200\",method=\"get\",operation=\"GetRole\"} 1"]
        );
        assert!(text.contains("notary_server_http_response_bytes_total{operation=\"GetRole\"} 1234\n"));
        assert!(text.contains("notary_server_http_request_bytes_total{operation=\"GetRole\"} 0\n"));
        assert!(
            !text.contains("operation=\"GetKey\""),
            "unrecorded operations have no series"
        );
    }

    #[test]
    fn store_latency_cache_and_pool() {
        let metrics = Metrics::default();
        metrics.record_store(StoreOperation::Current, Duration::from_millis(3));
        metrics.record_cache(CacheResult::Hit);
        metrics.record_cache(CacheResult::Hit);
        metrics.set_cache_coherent(true);
        let pool = notary_storage::PoolStats {
            in_use: 2,
            idle: 3,
            max: 16,
        };
        let text = metrics.render_with_pool(Some(pool));
        let families = assert_valid_exposition(&text);
        assert!(families.ends_with(&[POOL_CONNECTIONS.to_owned(), POOL_MAX.to_owned()]));
        assert!(text.contains("notary_server_store_duration_seconds_bucket{operation=\"current\",le=\"0.005\"} 1\n"));
        assert!(text.contains("notary_server_store_duration_seconds_count{operation=\"current\"} 1\n"));
        assert!(!text.contains("operation=\"delete\""));
        assert!(text.contains("notary_server_metadata_cache_reads_total{result=\"hit\"} 2\n"));
        assert!(text.contains("notary_server_metadata_cache_reads_total{result=\"last_known\"} 0\n"));
        assert!(text.contains("notary_server_metadata_cache_coherent 1\n"));
        assert!(text.contains("notary_server_db_pool_connections{state=\"in_use\"} 2\n"));
        assert!(text.contains("notary_server_db_pool_max_connections 16\n"));
        assert!(!metrics.render_with_pool(None).contains(POOL_MAX));
    }

    #[test]
    fn operation_names_are_gos() {
        let names: Vec<&str> = Operation::ALL.iter().map(|op| op.as_str()).collect();
        assert_eq!(
            names,
            [
                "UpdateTUF",
                "GetRoleByHash",
                "GetRoleByVersion",
                "GetRole",
                "GetKey",
                "RotateKey",
                "DeleteTUF",
                "Changefeed"
            ]
        );
        assert!(Operation::ALL.iter().enumerate().all(|(i, op)| op.index() == i));
    }

    #[test]
    fn histogram_is_cumulative_with_count_and_sum() {
        let metrics = Metrics::default();
        for (millis, status) in [(0.2, 200), (0.5, 200), (3.0, 404), (3.0, 200), (20_000.0, 500)] {
            let duration = Duration::from_secs_f64(millis / 1000.0);
            metrics.record_request(Operation::GetKey, &Method::GET, status, duration, 0, 0);
        }
        let text = metrics.render();
        assert_valid_exposition(&text);
        let bucket = |le: &str| -> u64 {
            let prefix = format!("{DURATION}_bucket{{operation=\"GetKey\",le=\"{le}\"}} ");
            let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap();
            line[prefix.len()..].parse().unwrap()
        };
        // 0.5 ms lands in le="0.0005" (upper bounds are inclusive).
        assert_eq!(bucket("0.0005"), 2);
        assert_eq!(bucket("0.001"), 2);
        assert_eq!(bucket("0.0025"), 2);
        assert_eq!(bucket("0.005"), 4);
        assert_eq!(bucket("10"), 4);
        assert_eq!(bucket("+Inf"), 5);
        let buckets: Vec<u64> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{DURATION}_bucket{{operation=\"GetKey\"")))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
            .collect();
        assert_eq!(buckets.len(), BUCKETS.len() + 1);
        assert!(
            buckets.windows(2).all(|w| w[0] <= w[1]),
            "buckets must be cumulative: {buckets:?}"
        );
        assert!(text.contains("notary_server_http_request_duration_seconds_count{operation=\"GetKey\"} 5\n"));
        let sum_line = text
            .lines()
            .find(|l| l.starts_with(&format!("{DURATION}_sum{{operation=\"GetKey\"}}")))
            .unwrap();
        let sum: f64 = sum_line.rsplit_once(' ').unwrap().1.parse().unwrap();
        assert!((sum - 20.0067).abs() < 1e-6, "{sum}");
        let requests: Vec<&str> = text.lines().filter(|l| l.starts_with(REQUESTS)).collect();
        assert_eq!(
            requests,
            [
                "notary_server_http_requests_total{code=\"200\",method=\"get\",operation=\"GetKey\"} 3",
                "notary_server_http_requests_total{code=\"404\",method=\"get\",operation=\"GetKey\"} 1",
                "notary_server_http_requests_total{code=\"500\",method=\"get\",operation=\"GetKey\"} 1",
            ]
        );
    }

    #[test]
    fn unusual_methods_and_codes_are_counted() {
        let metrics = Metrics::default();
        let patch = Method::from_bytes(b"PATCH").unwrap();
        metrics.record_request(Operation::UpdateTuf, &Method::POST, 0, Duration::ZERO, 10, 0);
        metrics.record_request(Operation::UpdateTuf, &Method::POST, 418, Duration::ZERO, 10, 0);
        metrics.record_request(Operation::UpdateTuf, &Method::POST, 418, Duration::ZERO, 10, 0);
        metrics.record_request(Operation::DeleteTuf, &patch, 200, Duration::ZERO, 0, 0);
        let text = metrics.render();
        assert_valid_exposition(&text);
        let requests: Vec<&str> = text.lines().filter(|l| l.starts_with(REQUESTS)).collect();
        assert_eq!(
            requests,
            [
                "notary_server_http_requests_total{code=\"0\",method=\"post\",operation=\"UpdateTUF\"} 1",
                "notary_server_http_requests_total{code=\"200\",method=\"patch\",operation=\"DeleteTUF\"} 1",
                "notary_server_http_requests_total{code=\"418\",method=\"post\",operation=\"UpdateTUF\"} 2",
            ]
        );
        assert!(text.contains("notary_server_http_request_bytes_total{operation=\"UpdateTUF\"} 30\n"));
    }

    #[test]
    fn publishes_signatures_and_resigns() {
        let metrics = Metrics::default();
        metrics.record_publish(true);
        metrics.record_publish(true);
        metrics.record_publish(false);
        metrics.record_signature("timestamp");
        metrics.record_signature("snapshot");
        metrics.record_signature("timestamp");
        metrics.record_signature("targets/a\"b");
        metrics.record_resign("timestamp");
        let text = metrics.render();
        assert_valid_exposition(&text);
        for expected in [
            "notary_server_publishes_total{result=\"ok\"} 2\n",
            "notary_server_publishes_total{result=\"error\"} 1\n",
            "notary_server_signatures_total{role=\"snapshot\"} 1\n",
            "notary_server_signatures_total{role=\"targets/a\\\"b\"} 1\n",
            "notary_server_signatures_total{role=\"timestamp\"} 2\n",
            "notary_server_resigns_total{role=\"snapshot\"} 0\n",
            "notary_server_resigns_total{role=\"timestamp\"} 1\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn concurrent_recording_loses_nothing() {
        const THREADS: u64 = 8;
        const PER_THREAD: u64 = 10_000;
        let metrics = Arc::new(Metrics::default());
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let metrics = Arc::clone(&metrics);
                std::thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        metrics.record_request(Operation::GetRole, &Method::GET, 200, Duration::from_micros(i), 1, 2);
                        // Alternate a common and an unusual code to exercise the locked map too.
                        let status = if (i + t) % 2 == 0 { 404 } else { 999 };
                        metrics.record_request(Operation::Changefeed, &Method::GET, status, Duration::ZERO, 0, 0);
                        metrics.record_resign(if i % 2 == 0 { "timestamp" } else { "targets" });
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let text = metrics.render();
        assert_valid_exposition(&text);
        let total = THREADS * PER_THREAD;
        for expected in [
            format!("{REQUESTS}{{code=\"200\",method=\"get\",operation=\"GetRole\"}} {total}\n"),
            format!(
                "{REQUESTS}{{code=\"404\",method=\"get\",operation=\"Changefeed\"}} {}\n",
                total / 2
            ),
            format!(
                "{REQUESTS}{{code=\"999\",method=\"get\",operation=\"Changefeed\"}} {}\n",
                total / 2
            ),
            format!("{DURATION}_count{{operation=\"GetRole\"}} {total}\n"),
            format!("{DURATION}_bucket{{operation=\"GetRole\",le=\"+Inf\"}} {total}\n"),
            format!("{REQUEST_BYTES}{{operation=\"GetRole\"}} {total}\n"),
            format!("{RESPONSE_BYTES}{{operation=\"GetRole\"}} {}\n", 2 * total),
            format!("{RESIGNS}{{role=\"targets\"}} {}\n", total / 2),
            format!("{RESIGNS}{{role=\"timestamp\"}} {}\n", total / 2),
        ] {
            assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
        }
    }
}
