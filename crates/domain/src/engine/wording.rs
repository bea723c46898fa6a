//! The engine's words: what a rule asks for (`describe_kind`), why a record did not count, and the one-sentence
//! summary of each status. `engine/wording_tests.rs` checks them against the dates the engine stores.

use super::status::{Explanation, NotCountedReason, Status};
use crate::Date;
use crate::dates::sub_days;
use crate::model::*;

pub fn describe_kind(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Completion { refresher_months } => {
            format!(
                "one in-date completion, renewed every {}",
                months_text(*refresher_months)
            )
        }
        RuleKind::Hours {
            hours,
            window_months,
            ..
        } => {
            let mut s = format!(
                "{} hours of learning within the last {}",
                trim_hours(*hours),
                months_text(*window_months)
            );
            if let Some(p) = kind.participatory_hours() {
                s.push_str(&format!(
                    ", at least {} of them participatory",
                    trim_hours(p)
                ));
            }
            s
        }
    }
}

pub(super) fn months_text(m: u32) -> String {
    match m {
        12 => "year".to_owned(),
        m if m % 12 == 0 => format!("{} years", m / 12),
        1 => "month".to_owned(),
        m => format!("{m} months"),
    }
}

pub(super) fn trim_hours(h: f64) -> String {
    let s = format!("{h:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

pub(super) fn not_counted_detail(
    fact: &RecordFact,
    reason: NotCountedReason,
    rule: &Rule,
) -> String {
    let r = &fact.record;
    let what = format!(
        "{} (level {}) completed {}",
        r.provider, r.level, r.completed_on
    );
    match reason {
        NotCountedReason::LowerLevel => format!(
            "{what}: level {} is below the level {} required",
            r.level, rule.level
        ),
        NotCountedReason::ProviderNotAccepted => {
            format!(
                "{what}: training from a {} is not accepted by this organisation",
                r.provider_type.label()
            )
        }
        NotCountedReason::Superseded => {
            let why = fact
                .superseded
                .as_ref()
                .map(|s| s.reason.as_str())
                .unwrap_or("superseded");
            format!("{what}: superseded ({why})")
        }
        other => format!("{what}: {}", other.describe()),
    }
}

pub(super) fn summarise(
    status: Status,
    e: &Explanation,
    deadline: Option<Date>,
    d: Date,
) -> String {
    let rule = format!("{} level {}", e.rule.title, e.rule.level);
    match status {
        Status::Exempt => {
            let ex = e.exemption.as_ref();
            let reason = ex.map(|x| x.reason.as_str()).unwrap_or("exempt");
            let approved = ex
                .and_then(|x| x.approved_by.as_deref())
                .map(|a| format!(" Approved by {a}."))
                .unwrap_or_default();
            match ex.and_then(|x| x.until) {
                Some(u) => format!("Exempt from {rule} until {u}: {reason}.{approved}"),
                None => format!("Exempt from {rule}: {reason}.{approved}"),
            }
        }
        Status::Compliant | Status::Expiring => match &e.hours {
            Some(h) => {
                let mut s = format!(
                    "{} of {} hours completed since {}",
                    trim_hours(h.counted),
                    trim_hours(h.required),
                    h.window_starts
                );
                if let Some(p) = h.participatory_required {
                    s.push_str(&format!(
                        ", {} of them participatory ({} needed)",
                        trim_hours(h.participatory_counted),
                        trim_hours(p)
                    ));
                }
                s.push('.');
                if status == Status::Expiring {
                    let days = (e.due_on.unwrap_or(d) - d).num_days().max(0);
                    match h.participatory_required {
                        // Enough hours stay, but not enough of them participatory: say which runs short.
                        Some(p)
                            if h.counted_at_warning_end >= h.required
                                && h.participatory_counted_at_warning_end < p =>
                        {
                            s.push_str(&format!(
                                " Older participatory hours leave the window soon: only {} participatory will still count in {days} days.",
                                trim_hours(h.participatory_counted_at_warning_end),
                            ))
                        }
                        _ => s.push_str(&format!(
                            " Older hours leave the window soon: only {} will still count in {days} days.",
                            trim_hours(h.counted_at_warning_end),
                        )),
                    }
                }
                s
            }
            None => {
                let used = e.used.first();
                let done = used
                    .map(|u| u.record.completed_on.to_string())
                    .unwrap_or_default();
                // `due_on` is the expiry: the first day the record no longer counts. "Valid until" names the last
                // day it does, so the words and the stored date agree.
                let expiry = e.due_on.map(|x| x.to_string()).unwrap_or_default();
                let last_day = e
                    .due_on
                    .map(|x| sub_days(x, 1).to_string())
                    .unwrap_or_default();
                if status == Status::Expiring {
                    let days = e.due_on.map(|x| (x - d).num_days()).unwrap_or(0);
                    format!(
                        "Completed {done}; valid until {last_day} (expires on {expiry}, in {days} days). Book a refresher now."
                    )
                } else {
                    format!("Completed {done}; valid until {last_day}.")
                }
            }
        },
        Status::Pending => match &e.transition {
            Some(t) if t.new_requirement => format!(
                "Due by {} (new requirement): {rule} is required from {} by {} {}, with a transition until {}.",
                t.until, t.effective_from, t.framework, t.framework_version, t.until
            ),
            Some(t) => format!(
                "Due by {} (changed requirement): {rule} changed on {} ({} {}), with a transition until {}.",
                t.until, t.effective_from, t.framework, t.framework_version, t.until
            ),
            None => format!(
                "New starter: {rule} is due by {}.",
                deadline.map(|x| x.to_string()).unwrap_or_default()
            ),
        },
        Status::Expired => match &e.hours {
            Some(h) if h.counted >= h.required => format!(
                "{} of {} hours completed since {}, but only {} of them participatory: at least {} must be.",
                trim_hours(h.counted),
                trim_hours(h.required),
                h.window_starts,
                trim_hours(h.participatory_counted),
                trim_hours(h.participatory_required.unwrap_or(0.0))
            ),
            Some(h) => format!(
                "Only {} of {} hours completed since {}: {} more needed.",
                trim_hours(h.counted),
                trim_hours(h.required),
                h.window_starts,
                trim_hours((h.required - h.counted).max(0.0))
            ),
            None => match e.used.first() {
                Some(u) => format!(
                    "{rule} expired on {}: last completed {}.",
                    u.expires_on.map(|x| x.to_string()).unwrap_or_default(),
                    u.record.completed_on
                ),
                None => format!("{rule} has expired."),
            },
        },
        Status::Missing => {
            if let Some(h) = e.hours.as_ref().filter(|h| h.records_without_hours > 0) {
                // A record exists but says nothing about hours: say so, rather than "No record".
                let records = if h.records_without_hours == 1 {
                    format!("A record of {rule} was found, with no hours")
                } else {
                    format!(
                        "{} records of {rule} were found, with no hours",
                        h.records_without_hours
                    )
                };
                format!(
                    "{records}; {} hours are needed since {}.",
                    trim_hours(h.required),
                    h.window_starts
                )
            } else if e.not_counted.is_empty() {
                format!("No record of {rule}.")
            } else {
                format!(
                    "No record that counts for {rule}; {} record(s) did not count.",
                    e.not_counted.len()
                )
            }
        }
    }
}
