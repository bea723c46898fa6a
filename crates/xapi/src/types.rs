//! xAPI's special data types (1.0.3 Data 4.0): IRIs, language tags and maps, UUIDs, extensions, timestamps and
//! durations. Each check names the path of the value and says what is wrong.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use oxiri::Iri;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Result, XapiError};
use crate::json::{Path, as_object, describe, type_error};
use crate::version::Version;

/// An absolute IRI per RFC 3987 (1.0.3 Data 2.2.s4.b1.b4/b8: no empty strings, a scheme is required).
pub(crate) fn check_iri(s: &str, path: &Path<'_>) -> Result<()> {
    if s.is_empty() {
        return Err(XapiError::new(
            path,
            "must be an absolute IRI, got an empty string",
        ));
    }
    Iri::parse(s).map(|_| ()).map_err(|e| {
        XapiError::new(
            path,
            format!("must be an absolute IRI (RFC 3987) with a scheme, got {s:?} ({e})"),
        )
    })
}

pub(crate) fn iri_value<'a>(v: &'a Value, path: &Path<'_>) -> Result<&'a str> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(path, "an IRI string", v))?;
    check_iri(s, path)?;
    Ok(s)
}

/// An IRL is an IRI meant to be dereferenced; xAPI allows best-effort validation (1.0.3 Data 2.2.s4.b6), so it gets
/// the IRI check.
pub(crate) fn irl_value<'a>(v: &'a Value, path: &Path<'_>) -> Result<&'a str> {
    iri_value(v, path)
}

/// An RFC 5646 language tag (1.0.3 Data 2.2.s4.b2).
pub(crate) fn check_language_tag(s: &str, path: &Path<'_>) -> Result<()> {
    oxilangtag::LanguageTag::parse(s).map(|_| ()).map_err(|e| {
        XapiError::new(
            path,
            format!("must be an RFC 5646 language tag, got {s:?} ({e})"),
        )
    })
}

/// A language map: keys are RFC 5646 tags, values strings (1.0.3 Data 4.2).
pub(crate) fn check_language_map(v: &Value, path: &Path<'_>) -> Result<()> {
    let m = as_object(
        v,
        path,
        "a language map (an object of language tag to string)",
    )?;
    for (tag, text) in m {
        let at = path.key(tag);
        check_language_tag(tag, &at)?;
        if !text.is_string() {
            return Err(type_error(&at, "a string", text));
        }
    }
    Ok(())
}

/// Extensions: an object whose keys are IRIs; values may be anything, null included (1.0.3 Data 4.1.s3.b1/b2).
pub(crate) fn check_extensions(v: &Value, path: &Path<'_>) -> Result<()> {
    let m = as_object(v, path, "an extensions object (IRI keys)")?;
    for key in m.keys() {
        check_iri(key, &path.key(key)).map_err(|e| {
            XapiError::new(e.path, format!("extension keys must be IRIs, got {key:?}"))
        })?;
    }
    Ok(())
}

/// A UUID in standard string form: 8-4-4-4-12 hex digits with hyphens, either case (1.0.3 Data 2.4.1, 4.4).
pub(crate) fn parse_uuid(s: &str, path: &Path<'_>) -> Result<Uuid> {
    let standard = s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if !standard {
        return Err(XapiError::new(
            path,
            format!(
                "must be a UUID in standard form (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got {s:?}"
            ),
        ));
    }
    Uuid::try_parse(s).map_err(|e| XapiError::new(path, format!("must be a UUID, got {s:?} ({e})")))
}

pub(crate) fn uuid_value(v: &Value, path: &Path<'_>) -> Result<Uuid> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(path, "a UUID string", v))?;
    parse_uuid(s, path)
}

/// A timestamp, as the request's version requires.
///
/// 1.0.3 Data 4.5.s1.b1: ISO 8601 combined date and time, extended or basic format, time zone optional (a missing one
/// is taken as UTC). 2.0: RFC 3339 (date `T`/space time, seconds required, time zone required). Both reject the
/// "unknown offset" forms `-00`, `-0000` and `-00:00` (the conformance suites check all three).
pub fn parse_timestamp(s: &str, version: Version) -> Option<DateTime<Utc>> {
    let strict = version == Version::V2_0_0;
    let b = s.as_bytes();
    let mut p = Cursor { b, i: 0 };

    let year = p.digits(4)?;
    let extended = p.eat(b'-');
    let month = p.digits(2)?;
    if extended && !p.eat(b'-') {
        return None;
    }
    let day = p.digits(2)?;
    if strict && !extended {
        return None;
    }
    match p.next()? {
        b'T' | b't' | b' ' => {}
        _ => return None,
    }
    let hour = p.digits(2)?;
    if extended && !p.eat(b':') {
        return None;
    }
    let minute = p.digits(2)?;
    // Seconds are optional in ISO 8601 (reduced precision), required in RFC 3339.
    let second = if (extended && p.eat(b':'))
        || (!extended && p.peek().is_some_and(|c| c.is_ascii_digit()))
    {
        p.digits(2)?
    } else if strict {
        return None;
    } else {
        0
    };
    let mut nanos: u32 = 0;
    if p.peek() == Some(b'.') || (!strict && p.peek() == Some(b',')) {
        p.i += 1;
        let start = p.i;
        while p.peek().is_some_and(|c| c.is_ascii_digit()) {
            p.i += 1;
        }
        let frac = &s[start..p.i];
        if frac.is_empty() {
            return None;
        }
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        nanos = digits.parse().ok()?;
    }

    let offset_seconds: i32 = match p.next() {
        None if !strict => 0,
        None => return None,
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hh = p.digits(2)?;
            let mm = if p.eat(b':') {
                p.digits(2)?
            } else if strict {
                return None;
            } else if p.peek().is_some() {
                p.digits(2)?
            } else {
                0
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            // "-00:00" means "offset unknown" in RFC 3339 and is not a valid ISO 8601 offset.
            if sign == b'-' && hh == 0 && mm == 0 {
                return None;
            }
            let secs = i32::try_from(hh * 3600 + mm * 60).ok()?;
            if sign == b'-' { -secs } else { secs }
        }
        Some(_) => return None,
    };
    if p.i != b.len() {
        return None;
    }

    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    // A leap second (:60) is carried by chrono as 59 s plus a second's worth of nanoseconds.
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)?
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?
    };
    let offset = FixedOffset::east_opt(offset_seconds)?;
    let local = offset.from_local_datetime(&date.and_time(time)).single()?;
    Some(local.with_timezone(&Utc))
}

pub(crate) fn timestamp_value(
    v: &Value,
    path: &Path<'_>,
    version: Version,
) -> Result<DateTime<Utc>> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(path, "a timestamp string", v))?;
    parse_timestamp(s, version).ok_or_else(|| {
        let form = match version {
            Version::V1_0_3 => "an ISO 8601 date and time, e.g. \"2015-11-18T12:17:00.000Z\"",
            Version::V2_0_0 => {
                "an RFC 3339 timestamp with a time zone, e.g. \"2015-11-18T12:17:00.000Z\""
            }
        };
        XapiError::new(path, format!("must be {form}, got {}", describe(v)))
    })
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn digits(&mut self, n: usize) -> Option<u32> {
        let end = self.i.checked_add(n)?;
        let chunk = self.b.get(self.i..end)?;
        if !chunk.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i = end;
        chunk.iter().try_fold(0u32, |acc, d| {
            acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
    }
}

/// An ISO 8601 duration in the format of ISO 8601:2004 4.4.3.2 (1.0.3 Data 4.6.s1.b1): `PnYnMnDTnHnMnS` or `PnW`.
/// The alternative format (`P0003-01-29T04:35:59`) is not allowed; weeks do not combine with other units; only the
/// last (smallest) component may have a fraction; `T` must be followed by a time component.
pub(crate) fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return false;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut parts: Vec<(char, bool)> = Vec::new();
    if !components(date, &['Y', 'M', 'W', 'D'], &mut parts) {
        return false;
    }
    if let Some(t) = time
        && !components(t, &['H', 'M', 'S'], &mut parts)
    {
        return false;
    }
    if parts.is_empty() {
        return false;
    }
    // Weeks stand alone ("P4W1D" is invalid, 1.0.3 Data 4.6.s2 table).
    if parts.iter().any(|(unit, _)| *unit == 'W') && parts.len() > 1 {
        return false;
    }
    // A decimal fraction is allowed on the lowest-order component only.
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .all(|(i, (_, has_fraction))| !has_fraction || i == last)
}

/// Parses `nU nU ...` with units in the given order; records (unit, has-fraction).
fn components(s: &str, units: &[char], out: &mut Vec<(char, bool)>) -> bool {
    let mut rest = s;
    let mut allowed = units;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        let Some(unit) = rest[number_end..].chars().next() else {
            return false;
        };
        let Some(pos) = allowed.iter().position(|u| *u == unit) else {
            return false;
        };
        if !is_decimal(number) {
            return false;
        }
        out.push((unit, number.contains(['.', ','])));
        allowed = &allowed[pos + 1..];
        rest = &rest[number_end + unit.len_utf8()..];
    }
    true
}

fn is_decimal(n: &str) -> bool {
    let (whole, frac) = match n.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (n, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn check_duration(v: &Value, path: &Path<'_>) -> Result<()> {
    let s = v
        .as_str()
        .ok_or_else(|| type_error(path, "an ISO 8601 duration string", v))?;
    if is_duration(s) {
        Ok(())
    } else {
        Err(XapiError::new(
            path,
            format!("must be an ISO 8601 duration such as \"PT1H30M\" or \"P4W\", got {s:?}"),
        ))
    }
}

/// Formats a time the way this LRS writes `stored` (and `timestamp` when it fills it): RFC 3339, UTC, milliseconds.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
