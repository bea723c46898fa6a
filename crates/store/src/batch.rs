//! Batches: everything a write carries, keyed by natural keys (ODS codes, unit codes, employee and assignment
//! numbers), so imports, the demo generator and tests all write through one all-or-nothing path.

use lantern_domain::*;
use serde::Serialize;

#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    pub orgs: Vec<OrgRow>,
    pub sites: Vec<SiteRow>,
    pub units: Vec<UnitRow>,
    pub people: Vec<PersonRow>,
    pub posts: Vec<PostRow>,
    pub records: Vec<RecordRow>,
    pub supersessions: Vec<SupersessionRow>,
    pub exemptions: Vec<ExemptionRow>,
    pub policies: Vec<PolicyRow>,
    /// New rule versions. The store closes the previous version of the same (subject, level) on the new version's
    /// effective date; history is never edited.
    pub rules: Vec<RuleRow>,
    /// When Lantern learnt all this (`recorded_at` of new rows). Defaults to now.
    pub recorded_at: Option<Timestamp>,
    /// Confines the batch to one organisation (by ODS code): an organisation admin's upload. Rows naming another
    /// organisation, and records of people with no post in it, are refused.
    pub only_org: Option<String>,
}

impl WriteBatch {
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
            && self.sites.is_empty()
            && self.units.is_empty()
            && self.people.is_empty()
            && self.posts.is_empty()
            && self.records.is_empty()
            && self.supersessions.is_empty()
            && self.exemptions.is_empty()
            && self.policies.is_empty()
            && self.rules.is_empty()
    }
}

/// Where a row came from, for error reports: the CSV line (or the position in the batch).
pub type Line = usize;

#[derive(Clone, Debug)]
pub struct OrgRow {
    pub ods_code: String,
    pub name: String,
    pub org_type: OrgType,
    pub target_percent: f64,
}

#[derive(Clone, Debug)]
pub struct SiteRow {
    pub org: String,
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct UnitRow {
    pub line: Line,
    pub org: String,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent: Option<String>,
    pub site: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PersonRow {
    pub line: Line,
    pub employee_number: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub registrations: Vec<Registration>,
}

#[derive(Clone, Debug)]
pub struct PostRow {
    pub line: Line,
    pub employee_number: String,
    pub org: String,
    pub unit: String,
    pub assignment_number: String,
    pub staff_group: StaffGroup,
    pub job_role: String,
    pub band: Option<String>,
    pub specialty: Option<String>,
    pub patient_facing: bool,
    pub start: Date,
    pub end: Option<Date>,
}

#[derive(Clone, Debug)]
pub struct RecordRow {
    pub line: Line,
    pub employee_number: String,
    pub subject: Subject,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
    pub provider: String,
    pub provider_type: ProviderType,
    /// ODS code of the providing organisation, when it is one Lantern knows.
    pub provider_org: Option<String>,
    pub source: RecordSource,
    pub evidence_ref: Option<String>,
    /// Overrides the batch's `recorded_at` (the demo uses it to give history a realistic timeline).
    pub recorded_at: Option<Timestamp>,
}

impl RecordRow {
    /// A digest of what the record says, so that the same record imported twice is stored once.
    pub fn content_key(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [
            self.employee_number.as_str(),
            &self.subject,
            &self.level.to_string(),
            &self.completed_on.to_string(),
            &self.hours.map(|h| format!("{h:.2}")).unwrap_or_default(),
            &self.provider,
            self.provider_type.code(),
            self.provider_org.as_deref().unwrap_or(""),
            self.source.code(),
            self.evidence_ref.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

#[derive(Clone, Debug)]
pub struct SupersessionRow {
    pub record_id: RecordId,
    pub replaced_by: Option<RecordId>,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct ExemptionRow {
    pub line: Line,
    pub employee_number: String,
    pub org: String,
    pub subject: Subject,
    pub reason: String,
    pub from: Date,
    pub until: Option<Date>,
}

#[derive(Clone, Debug)]
pub struct PolicyRow {
    pub org: String,
    pub accepted: Vec<ProviderType>,
    pub effective_from: Date,
}

#[derive(Clone, Debug)]
pub struct RuleRow {
    pub org: String,
    /// `id`, `org_id` and `created_at` are set by the store.
    pub rule: Rule,
}

/// One reason a batch was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchProblem {
    /// CSV line or position of the row.
    pub line: Line,
    /// The field (CSV column) at fault.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for BatchProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.field, self.message
        )
    }
}

/// What a batch changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub orgs_created: u64,
    pub units_written: u64,
    pub people_created: u64,
    pub people_updated: u64,
    pub posts_created: u64,
    pub posts_updated: u64,
    pub records_created: u64,
    pub records_already_present: u64,
    pub rules_created: u64,
    pub other_rows: u64,
}

impl BatchOutcome {
    pub fn changed_anything(&self) -> bool {
        *self
            != BatchOutcome {
                records_already_present: self.records_already_present,
                ..Default::default()
            }
    }
}
