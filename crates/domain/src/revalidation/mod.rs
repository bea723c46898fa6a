//! Revalidation: each regulator's cycle and requirements, checked against a registrant's training records and the
//! evidence they (or their manager) record. One module per regulator; each says what it checks and its sources.
//!
//! - NMC (`nmc.rs`): every 3 years; practice hours, CPD with a participatory part, feedback, reflections, a
//!   reflective discussion, declarations and confirmation, with the application date and its reminder.
//! - GMC (`gmc.rs`): every 5 years on a responsible officer's recommendation, after an appraisal every year and the
//!   six types of supporting information. The GMC sets no CPD hours.
//! - HCPC (`hcpc.rs`): renewal every 2 years against five CPD standards; a sample of each profession is audited.
//!
//! A summary says "On track" only when every requirement Lantern checks is met; where Lantern does not check a
//! regulator's requirements (GPhC, GDC) it says so instead of passing them.

pub mod evidence;
mod gmc;
mod hcpc;
mod nmc;

pub use evidence::{Evidence, EvidenceKind};

use crate::Date;
use crate::dates::{add_days, add_months};
use crate::model::{RecordFact, Registration, RegulatoryBody};
use serde::Serialize;

/// Whether a registrant is on course to revalidate, as far as Lantern can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Readiness {
    /// Every requirement Lantern checks is met.
    OnTrack,
    /// At least one is not met yet.
    NotYet,
    /// Lantern does not check this regulator's requirements.
    NotAssessed,
}

impl Readiness {
    pub fn label(self) -> &'static str {
        match self {
            Readiness::OnTrack => "On track",
            Readiness::NotYet => "Not yet",
            Readiness::NotAssessed => "Not checked by Lantern",
        }
    }
}

/// One requirement of a regulator, with what is needed and what the person has.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    pub item: String,
    pub needed: String,
    pub have: String,
    pub met: bool,
    /// The kind of evidence that records it, when it is recorded as evidence.
    pub evidence: Option<EvidenceKind>,
    /// More about it: what counts, or what to do next.
    pub detail: Option<String>,
}

/// CPD counted over a period, against a target the regulator (or, for doctors, the royal colleges) sets.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CpdTally {
    pub from: Date,
    pub to: Date,
    pub hours: f64,
    pub participatory_hours: f64,
    /// Training records and CPD activities in the period.
    pub activities: usize,
    /// Activities with no hours recorded.
    pub activities_without_hours: usize,
    /// The hours asked for, if any.
    pub target_hours: Option<f64>,
    pub target_participatory: Option<f64>,
    /// Who sets the target and whether it binds: "required by the NMC", "recommended by the royal colleges (not a
    /// GMC requirement)".
    pub target_by: Option<String>,
}

impl CpdTally {
    /// The first day of the period counted (`from` itself is not in it).
    pub fn first_day(&self) -> Date {
        add_days(self.from, 1)
    }
}

/// A registration's revalidation, as far as Lantern can tell on a date.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revalidation {
    pub body: String,
    pub body_code: String,
    pub number: String,
    /// NMC renewal date, GMC revalidation date, HCPC renewal date: as on the staff record.
    pub renewal_date: Option<Date>,
    /// The cycle counted: evidence and CPD dated after `from`, up to `to`.
    pub from: Date,
    pub to: Date,
    /// NMC: the day the application is due (the first of the renewal month).
    pub application_date: Option<Date>,
    /// NMC: the day the application opens and the NMC sends its reminder (60 days before the application date).
    pub application_opens: Option<Date>,
    /// A reminder, when one is due: the window is open, the date has passed, or the date on record is stale.
    pub reminder: Option<String>,
    pub cpd: CpdTally,
    pub checks: Vec<Check>,
    /// Gaps of three months or more between CPD activities in the cycle (HCPC asks for them to be explained).
    pub gaps: Vec<(Date, Date)>,
    /// What the regulator asks for, in a sentence.
    pub standard: String,
    /// What Lantern cannot check and why, and how the regulator samples or decides.
    pub notes: Vec<String>,
    pub readiness: Readiness,
    /// Evidence one records for this regulator.
    pub evidence_kinds: Vec<EvidenceKind>,
}

impl Revalidation {
    pub fn on_track(&self) -> bool {
        self.readiness == Readiness::OnTrack
    }

    /// The first day of the cycle counted (`from` itself is not in it).
    pub fn first_day(&self) -> Date {
        add_days(self.from, 1)
    }

    pub fn met(&self) -> usize {
        self.checks.iter().filter(|c| c.met).count()
    }
}

/// The summary for one registration on `today`, from the person's records and evidence (of every regulator: only
/// this one's count).
pub fn summarise(
    reg: &Registration,
    records: &[RecordFact],
    evidence: &[Evidence],
    today: Date,
) -> Revalidation {
    match reg.body {
        RegulatoryBody::Nmc => nmc::summarise(reg, records, evidence, today),
        RegulatoryBody::Gmc => gmc::summarise(reg, records, evidence, today),
        RegulatoryBody::Hcpc => hcpc::summarise(reg, records, evidence, today),
        RegulatoryBody::Gphc | RegulatoryBody::Gdc => not_checked(reg, records, evidence, today),
    }
}

/// What Lantern shows for a regulator whose requirements it does not check: the last year's activities.
fn not_checked(
    reg: &Registration,
    records: &[RecordFact],
    evidence: &[Evidence],
    today: Date,
) -> Revalidation {
    let from = months_before(today, 12);
    let items = Items::new(reg, records, evidence, from, today, today);
    let mut out = items.summary(reg, from, today, Vec::new());
    out.standard = format!(
        "{}: your regulator's CPD requirements apply; Lantern lists your activities of the last year",
        reg.body.label()
    );
    out.notes.push(format!(
        "Lantern does not check {}'s revalidation requirements, so it does not say whether you are on track.",
        reg.body.label()
    ));
    out.readiness = Readiness::NotAssessed;
    out
}

/// `d` minus `months` calendar months (clamped to the month's end).
pub(crate) fn months_before(d: Date, months: u32) -> Date {
    d.checked_sub_months(chrono::Months::new(months))
        .unwrap_or(Date::MIN)
}

/// The end of the cycle: the renewal date while it is ahead, else today (a rolling period).
pub(crate) fn cycle_end(reg: &Registration, today: Date) -> Date {
    match reg.renewal_date {
        Some(r) if r >= today => r,
        _ => today,
    }
}

/// A registration's activities and evidence within a period, counted once for every regulator's rules.
pub(crate) struct Items<'a> {
    /// Unsuperseded training records, and this regulator's CPD activities, completed in the period (oldest first).
    activities: Vec<Activity>,
    /// This regulator's other evidence in the period (not withdrawn).
    evidence: Vec<&'a Evidence>,
    /// The last day counted: the end of the period, or today when that is sooner.
    end: Date,
}

struct Activity {
    on: Date,
    hours: Option<f64>,
    participatory: bool,
}

impl<'a> Items<'a> {
    /// Items dated after `from` and on or before `to`, and never after `today`.
    pub(crate) fn new(
        reg: &Registration,
        records: &[RecordFact],
        evidence: &'a [Evidence],
        from: Date,
        to: Date,
        today: Date,
    ) -> Self {
        let end = to.min(today);
        let within = |d: Date| d > from && d <= end;
        let ours: Vec<&Evidence> = evidence
            .iter()
            .filter(|e| e.body == reg.body && e.withdrawn_at.is_none() && within(e.on))
            .collect();
        let mut activities: Vec<Activity> = records
            .iter()
            .filter(|r| r.superseded.is_none() && within(r.record.completed_on))
            .map(|r| Activity {
                on: r.record.completed_on,
                hours: r.record.hours,
                participatory: r.record.source.is_participatory(),
            })
            .chain(
                ours.iter()
                    .filter(|e| e.kind == EvidenceKind::CpdActivity)
                    .map(|e| Activity {
                        on: e.on,
                        hours: e.hours,
                        participatory: e.participatory,
                    }),
            )
            .collect();
        activities.sort_by_key(|a| a.on);
        Items {
            end,
            activities,
            evidence: ours
                .into_iter()
                .filter(|e| e.kind != EvidenceKind::CpdActivity)
                .collect(),
        }
    }

    /// How many items of a kind (CPD activities are counted by `activities`).
    pub(crate) fn count(&self, kind: EvidenceKind) -> usize {
        self.of(kind).count()
    }

    pub(crate) fn of(&self, kind: EvidenceKind) -> impl Iterator<Item = &&'a Evidence> {
        self.evidence.iter().filter(move |e| e.kind == kind)
    }

    /// The hours recorded on items of a kind.
    pub(crate) fn hours_of(&self, kind: EvidenceKind) -> f64 {
        self.of(kind)
            .filter_map(|e| e.hours)
            .fold(0.0, |a, h| a + h)
    }

    pub(crate) fn activities(&self) -> usize {
        self.activities.len()
    }

    /// Gaps of three months or more between activities, from `from` up to today (or the end of the period, if
    /// sooner): a gap cannot run into the future.
    fn gaps(&self, from: Date) -> Vec<(Date, Date)> {
        let end = self.end;
        let mut gaps = Vec::new();
        let mut previous = from;
        for a in &self.activities {
            if add_months(previous, 3) <= a.on {
                gaps.push((previous, a.on));
            }
            previous = a.on;
        }
        if add_months(previous, 3) <= end {
            gaps.push((previous, end));
        }
        gaps
    }

    pub(crate) fn tally(&self, from: Date, to: Date) -> CpdTally {
        // fold from +0.0: an empty f64 sum is -0.0, which would print as "-0 hours".
        let hours = self
            .activities
            .iter()
            .filter_map(|a| a.hours)
            .fold(0.0, |a, h| a + h);
        let participatory_hours = self
            .activities
            .iter()
            .filter(|a| a.participatory)
            .filter_map(|a| a.hours)
            .fold(0.0, |a, h| a + h);
        CpdTally {
            from,
            to,
            hours,
            participatory_hours,
            activities: self.activities.len(),
            activities_without_hours: self.activities.iter().filter(|a| a.hours.is_none()).count(),
            target_hours: None,
            target_participatory: None,
            target_by: None,
        }
    }

    /// A summary over the period with these checks; on track when every check is met.
    pub(crate) fn summary(
        &self,
        reg: &Registration,
        from: Date,
        to: Date,
        checks: Vec<Check>,
    ) -> Revalidation {
        let readiness = if checks.iter().all(|c| c.met) {
            Readiness::OnTrack
        } else {
            Readiness::NotYet
        };
        Revalidation {
            body: reg.body.label().to_owned(),
            body_code: reg.body.code().to_owned(),
            number: reg.number.clone(),
            renewal_date: reg.renewal_date,
            from,
            to,
            application_date: None,
            application_opens: None,
            reminder: None,
            cpd: self.tally(from, to),
            gaps: self.gaps(from),
            checks,
            standard: String::new(),
            notes: Vec::new(),
            readiness,
            evidence_kinds: EvidenceKind::for_body(reg.body).to_vec(),
        }
    }
}

/// A check that counts items of one kind against a number needed.
pub(crate) fn count_check(
    items: &Items<'_>,
    kind: EvidenceKind,
    needed: usize,
    what: &str,
) -> Check {
    let have = items.count(kind);
    Check {
        item: kind.label().to_owned(),
        needed: what.to_owned(),
        have: match have {
            0 => "none recorded".to_owned(),
            1 => "1 recorded".to_owned(),
            n => format!("{n} recorded"),
        },
        met: have >= needed,
        evidence: Some(kind),
        detail: None,
    }
}

/// The renewal date check: the cycle and its dates hang on it.
pub(crate) fn renewal_check(reg: &Registration, today: Date, what: &str) -> Check {
    let (have, met) = match reg.renewal_date {
        Some(r) if r >= today => (r.to_string(), true),
        Some(r) => (format!("{r}, which has passed"), false),
        None => ("not recorded".to_owned(), false),
    };
    Check {
        item: what.to_owned(),
        needed: "on the staff record, so the cycle and its dates are known".to_owned(),
        have,
        met,
        evidence: None,
        detail: (!met).then(|| {
            "Ask your employer's workforce team to update your registration on your staff record.".to_owned()
        }),
    }
}

pub(crate) fn hours_text(h: f64) -> String {
    let s = format!("{h:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
pub(crate) mod tests;
