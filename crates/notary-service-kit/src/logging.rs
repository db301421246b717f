//! Log lines in Go notary's shape (notary-server and notary-signer alike, server-behaviour.md
//! §12): one flat JSON object per line with `level` (logrus names: `error`, `warning`, `info`,
//! `debug`), `msg`, `time` (RFC 3339) and the event's fields at the top level, e.g.
//! `{"level":"info","msg":"response completed","time":"…","http.response.status":200,…}`.
//!
//! [`GoJson`] is a `tracing_subscriber` event formatter; installing the subscriber (writer, level
//! filter, reloading) is left to each service.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter.
#[derive(Debug, Default, Clone, Copy)]
pub struct GoJson;

impl<S, N> FormatEvent<S, N> for GoJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut fields = FieldMap(Map::new());
        event.record(&mut fields);
        let mut line = Map::new();
        line.insert("level".into(), Value::from(level_name(*event.metadata().level())));
        line.insert(
            "msg".into(),
            fields.0.remove("message").unwrap_or_else(|| Value::from("")),
        );
        let time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        line.insert("time".into(), Value::from(time));
        for (name, value) in fields.0 {
            line.entry(name).or_insert(value);
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// logrus's level names.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct FieldMap(Map<String, Value>);

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), Value::from(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_flat_json_object_per_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(GoJson)
            .with_max_level(Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                http.response.status = 200_u64,
                ok = true,
                delta = -1_i64,
                "response completed"
            );
            tracing::info!(name = "x", level = "shadowed");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["level"], "warning");
        assert_eq!(lines[0]["msg"], "response completed");
        assert_eq!(lines[0]["http.response.status"], 200);
        assert_eq!(
            (&lines[0]["ok"], &lines[0]["delta"]),
            (&Value::from(true), &Value::from(-1))
        );
        assert!(
            time::OffsetDateTime::parse(
                lines[0]["time"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339
            )
            .is_ok()
        );
        // No message: an empty `msg`; a field never overwrites `level`, `msg` or `time`.
        assert_eq!(
            (&lines[1]["level"], &lines[1]["msg"]),
            (&Value::from("info"), &Value::from(""))
        );
        assert_eq!(lines[1]["name"], "x");
    }
}
