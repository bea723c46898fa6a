//! A regulatory change before it is applied: what a new framework version (or one new rule version) would change in
//! an organisation's rules, whom it would affect, and the transition it should carry.
//!
//! - [`diff_framework`] and [`diff_version`]: rules added, removed (retired), changed (field by field, before and
//!   after) and unchanged, against the organisation's latest version of each requirement.
//! - [`impact`] (`impact.rs`): people newly in scope by unit and staff group, records that stop counting, and the
//!   organisation's compliance on the effective date as it is, and with the change without and with a transition.
//!   The engine is run over the candidate rules in memory; nothing is stored.
//! - [`transition`] (`transition.rs`): the default transition per kind of change, as data with its reasons.
//!
//! docs/regulatory-change.md says what each part means.

mod impact;
pub mod transition;

pub use impact::{
    AffectedPerson, Impact, ImpactPerson, NewRequirement, ScopeGroup, StoppedRecord, impact,
};
pub use transition::{ChangeKind, TRANSITION_DEFAULTS, Transition, TransitionDefault};

use crate::engine::describe_kind;
use crate::framework::FrameworkFile;
use crate::model::{Rule, RuleKind, RulePurpose, Subject};
use crate::{Date, OrgId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One figure of a rule before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// "period", "hours", "window", "participatory share", "applies to", "new starter days", "warning days",
    /// "renewal base", "purpose".
    pub field: String,
    pub before: String,
    pub after: String,
}

/// One requirement (a subject at a level) in the diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleChange {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    /// The kind of change that decides its default transition; None when unchanged.
    pub kind: Option<ChangeKind>,
    /// What it asks for now ("one in-date completion every 24 months"), None when added.
    pub before: Option<String>,
    /// What it would ask for, None when removed.
    pub after: Option<String>,
    /// Who it applies to before and after (the same when the scope does not change).
    pub applies_to_before: Option<String>,
    pub applies_to_after: Option<String>,
    /// Field by field, for a changed rule.
    pub fields: Vec<FieldChange>,
}

/// What a change does to an organisation's rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleDiff {
    pub added: Vec<RuleChange>,
    pub removed: Vec<RuleChange>,
    pub changed: Vec<RuleChange>,
    pub unchanged: Vec<RuleChange>,
}

impl RuleDiff {
    /// Whether applying would change anything an assessment reads.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The kinds of change present, each once.
    pub fn kinds(&self) -> Vec<ChangeKind> {
        let mut kinds: Vec<ChangeKind> = self
            .added
            .iter()
            .chain(&self.removed)
            .chain(&self.changed)
            .filter_map(|c| c.kind)
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }
}

/// A candidate change: the diff and the new rule versions it would write (ids are the store's to give).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub diff: RuleDiff,
    /// New versions for the organisation, effective from `effective_from`.
    pub versions: Vec<Rule>,
    pub effective_from: Date,
}

impl Candidate {
    /// The organisation's rules with the candidate's versions added, as the engine would read them once applied.
    /// Candidate versions get ids no stored rule has (negative), so nothing can confuse them with stored ones.
    pub fn rules_with(&self, current: &[Rule]) -> Vec<Rule> {
        let mut all = current.to_vec();
        for (i, v) in self.versions.iter().enumerate() {
            let mut v = v.clone();
            v.id = crate::RuleId(-1 - i as i64);
            all.push(v);
        }
        all
    }
}

/// The latest version of each requirement, by (subject, level).
fn latest(rules: &[Rule]) -> BTreeMap<(Subject, u8), &Rule> {
    let mut out: BTreeMap<(Subject, u8), &Rule> = BTreeMap::new();
    for r in rules {
        let key = (r.subject.clone(), r.level);
        match out.get(&key) {
            Some(old)
                if (old.effective_from, old.created_at) >= (r.effective_from, r.created_at) => {}
            _ => {
                out.insert(key, r);
            }
        }
    }
    out
}

fn fmt_share(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Hours {
            participatory_share: Some(s),
            ..
        } => format!("{}%", (s * 100.0).round()),
        RuleKind::Hours { .. } => "none".into(),
        RuleKind::Completion { .. } => "n/a".into(),
    }
}

/// The field changes from `before` to `after` and the kind of change that decides the transition: the most
/// demanding of them (the one whose default transition is longest).
pub fn compare(before: &Rule, after: &Rule) -> (Vec<FieldChange>, Option<ChangeKind>) {
    let mut fields = Vec::new();
    let mut kinds = Vec::new();
    let mut push = |field: &str, b: String, a: String, kind: ChangeKind| {
        fields.push(FieldChange {
            field: field.into(),
            before: b,
            after: a,
        });
        kinds.push(kind);
    };
    match (&before.kind, &after.kind) {
        (
            RuleKind::Completion {
                refresher_months: b,
            },
            RuleKind::Completion {
                refresher_months: a,
            },
        ) => {
            if a != b {
                let kind = if a < b {
                    ChangeKind::ShorterPeriod
                } else {
                    ChangeKind::Relaxed
                };
                push("period", format!("{b} months"), format!("{a} months"), kind);
            }
        }
        (
            RuleKind::Hours {
                hours: bh,
                window_months: bw,
                participatory_share: bs,
            },
            RuleKind::Hours {
                hours: ah,
                window_months: aw,
                participatory_share: as_,
            },
        ) => {
            if ah != bh {
                let kind = if ah > bh {
                    ChangeKind::MoreDemanding
                } else {
                    ChangeKind::Relaxed
                };
                push("hours", bh.to_string(), ah.to_string(), kind);
            }
            if aw != bw {
                let kind = if aw < bw {
                    ChangeKind::MoreDemanding
                } else {
                    ChangeKind::Relaxed
                };
                push(
                    "window",
                    format!("{bw} months"),
                    format!("{aw} months"),
                    kind,
                );
            }
            if as_ != bs {
                let kind = if as_.unwrap_or(0.0) > bs.unwrap_or(0.0) {
                    ChangeKind::MoreDemanding
                } else {
                    ChangeKind::Relaxed
                };
                push(
                    "participatory share",
                    fmt_share(&before.kind),
                    fmt_share(&after.kind),
                    kind,
                );
            }
        }
        (b, a) => push(
            "kind",
            describe_kind(b),
            describe_kind(a),
            ChangeKind::MoreDemanding,
        ),
    }
    if before.applies_to != after.applies_to {
        // Whether a new predicate is wider cannot be told from the clauses alone (the impact counts who is newly
        // in scope); treated as wider, the cautious reading for the transition.
        push(
            "applies to",
            before.applies_to.describe(),
            after.applies_to.describe(),
            ChangeKind::WiderScope,
        );
    }
    if before.purpose != after.purpose {
        let kind = if after.purpose == RulePurpose::Requirement {
            ChangeKind::NewRequirement
        } else {
            ChangeKind::Relaxed
        };
        push(
            "purpose",
            before.purpose.label().into(),
            after.purpose.label().into(),
            kind,
        );
    }
    if before.new_starter_days != after.new_starter_days {
        push(
            "new starter days",
            before.new_starter_days.to_string(),
            after.new_starter_days.to_string(),
            ChangeKind::Relaxed,
        );
    }
    if before.warning_days != after.warning_days {
        push(
            "warning days",
            before.warning_days.to_string(),
            after.warning_days.to_string(),
            ChangeKind::Relaxed,
        );
    }
    if before.renewal_base != after.renewal_base {
        push(
            "renewal base",
            format!("{:?}", before.renewal_base),
            format!("{:?}", after.renewal_base),
            ChangeKind::Relaxed,
        );
    }
    let kind = kinds
        .into_iter()
        .max_by_key(|k| (transition::default_days(*k), *k));
    (fields, kind)
}

fn entry(before: Option<&Rule>, after: Option<&Rule>) -> RuleChange {
    let any = after.or(before).expect("one side is present");
    RuleChange {
        subject: any.subject.clone(),
        level: any.level,
        title: any.title.clone(),
        kind: None,
        before: before.map(|r| describe_kind(&r.kind)),
        after: after.map(|r| describe_kind(&r.kind)),
        applies_to_before: before.map(|r| r.applies_to.describe()),
        applies_to_after: after.map(|r| r.applies_to.describe()),
        fields: Vec::new(),
    }
}

/// Diffs one new version against the organisation's latest of its requirement.
fn diff_into(diff: &mut RuleDiff, current: Option<&Rule>, new: &Rule) {
    let mut e = entry(current, Some(new));
    match current {
        // A development competency that counts nowhere: being required now is a new requirement.
        None => {
            e.kind = Some(if new.is_requirement() {
                ChangeKind::NewRequirement
            } else {
                ChangeKind::Relaxed
            });
            diff.added.push(e);
        }
        Some(cur) => {
            let (fields, kind) = compare(cur, new);
            e.fields = fields;
            e.kind = kind;
            if e.fields.is_empty() {
                diff.unchanged.push(e);
            } else {
                diff.changed.push(e);
            }
        }
    }
}

/// What loading `file` would do to an organisation whose rule versions are `rules`: its rules become new versions
/// from the file's effective date; requirements of the same framework the file no longer has are retired.
pub fn diff_framework(
    rules: &[Rule],
    file: &FrameworkFile,
    org: OrgId,
    now: Timestamp,
) -> Candidate {
    let rules: Vec<Rule> = rules.iter().filter(|r| r.org_id == org).cloned().collect();
    let current = latest(&rules);
    let mut diff = RuleDiff::default();
    let mut versions = file.instantiate(org, now);
    for v in &versions {
        diff_into(
            &mut diff,
            current.get(&(v.subject.clone(), v.level)).copied(),
            v,
        );
    }
    for ((subject, level), r) in &current {
        let in_file = versions
            .iter()
            .any(|v| &v.subject == subject && v.level == *level);
        if r.framework == file.framework.code && !in_file && !is_retired(r) {
            let mut e = entry(Some(r), None);
            e.kind = Some(ChangeKind::Retired);
            diff.removed.push(e);
            versions.push(retired(r, &file.framework, now));
        }
    }
    Candidate {
        diff,
        versions,
        effective_from: file.framework.effective_from,
    }
}

/// What one new rule version would change.
pub fn diff_version(rules: &[Rule], new: &Rule) -> Candidate {
    let rules: Vec<Rule> = rules
        .iter()
        .filter(|r| r.org_id == new.org_id)
        .cloned()
        .collect();
    let current = latest(&rules);
    let mut diff = RuleDiff::default();
    diff_into(
        &mut diff,
        current.get(&(new.subject.clone(), new.level)).copied(),
        new,
    );
    Candidate {
        diff,
        versions: vec![new.clone()],
        effective_from: new.effective_from,
    }
}

/// Whether a version ends its requirement.
fn is_retired(rule: &Rule) -> bool {
    rule.retired
}

/// The version that ends `rule`'s requirement from `from`.
fn retired(rule: &Rule, by: &crate::framework::FrameworkMeta, now: Timestamp) -> Rule {
    let mut r = rule.clone();
    r.retired = true;
    r.transition_ends = None;
    r.local_reason = None;
    r.framework_version = by.version.clone();
    r.source = format!("Retired by {} {}", by.name, by.version);
    r.effective_from = by.effective_from;
    r.effective_to = None;
    r.created_at = now;
    r
}

#[cfg(test)]
mod tests;
