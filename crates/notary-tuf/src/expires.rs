//! Expiry times in exactly the shape Go writes them (`shared/spec/metadata.md` §3.3), and the
//! `Mon Jan 2 15:04:05 MST 2006` rendering Go uses in error messages.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// The `expires` instant of a role, keeping the UTC offset it was written with so that Go-made
/// files re-serialise byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expires(OffsetDateTime);

impl Expires {
    /// `now + duration`, written in UTC (the recommended form).
    pub fn after(now: OffsetDateTime, duration: Duration) -> Self {
        Expires((now + duration).to_offset(UtcOffset::UTC))
    }

    /// Wraps an instant.
    pub fn at(instant: OffsetDateTime) -> Self {
        Expires(instant)
    }

    /// Parses any RFC 3339 date-time (`Z` or numeric offset, fraction of any length).
    pub fn parse(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(Expires)
    }

    /// The instant.
    pub fn instant(self) -> OffsetDateTime {
        self.0
    }

    /// Expired when `expires` is strictly before `now` (metadata.md §3.3).
    pub fn is_expired(self, now: OffsetDateTime) -> bool {
        self.0 < now
    }

    /// Go's RFC 3339 with nanoseconds: fraction without trailing zeros (none when zero), `Z` for UTC.
    pub fn to_go_string(self) -> String {
        let t = self.0;
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let nanos = t.nanosecond();
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        push_offset(&mut s, t.offset(), ":", "Z");
        s
    }

    /// The `Mon Jan 2 15:04:05 MST 2006` form Go prints in `<role> expired at …` messages.
    pub fn to_go_date(self) -> String {
        let t = self.0;
        let mut s = format!(
            "{} {} {} {:02}:{:02}:{:02} ",
            &t.weekday().to_string()[..3],
            &t.month().to_string()[..3],
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        push_offset(&mut s, t.offset(), "", "UTC");
        s.push_str(&format!(" {}", t.year()));
        s
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_go_string())
    }
}

impl Serialize for Expires {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_go_string())
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Expires::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid RFC 3339 time {s:?}")))
    }
}

fn push_offset(s: &mut String, offset: UtcOffset, sep: &str, utc: &str) {
    if offset.is_utc() {
        s.push_str(utc);
        return;
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    s.push_str(&format!("{sign}{:02}{sep}{:02}", h.unsigned_abs(), m.unsigned_abs()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_shapes_round_trip() {
        for s in [
            "2029-11-21T03:42:17.440781003Z",
            "2029-11-21T03:41:57.84437761Z",
            "2036-11-18T19:41:34.971490476-08:00",
            "2030-01-01T00:00:00Z",
            "2030-01-01T05:30:00+05:30",
        ] {
            assert_eq!(Expires::parse(s).unwrap().to_go_string(), s);
        }
    }

    #[test]
    fn other_rfc3339_forms_are_read_as_instants() {
        let a = Expires::parse("2030-01-01T00:00:00.000Z").unwrap();
        let b = Expires::parse("2029-12-31T16:00:00-08:00").unwrap();
        assert_eq!(a.instant(), b.instant());
        assert_eq!(a.to_go_string(), "2030-01-01T00:00:00Z");
        assert!(Expires::parse("2030-01-01").is_none());
        assert!(Expires::parse("yesterday").is_none());
    }

    #[test]
    fn go_date_for_messages() {
        assert_eq!(
            Expires::parse("2020-01-01T00:00:00Z").unwrap().to_go_date(),
            "Wed Jan 1 00:00:00 UTC 2020"
        );
        assert_eq!(
            Expires::parse("2036-11-18T19:41:34.9-08:00").unwrap().to_go_date(),
            "Tue Nov 18 19:41:34 -0800 2036"
        );
    }

    #[test]
    fn expiry_is_strict() {
        let e = Expires::parse("2030-01-01T00:00:00Z").unwrap();
        assert!(!e.is_expired(e.instant()));
        assert!(e.is_expired(e.instant() + Duration::nanoseconds(1)));
    }
}
