//! The workforce model: organisations and their units, people and their posts, competencies, requirement rules,
//! training records (owned by the person, not the employer), exemptions and acceptance policies.
//!
//! Sources: Skills for Health's Core Skills Training Framework (subjects, levels, audiences), the NHS Streamlining
//! Programme (training that moves with staff between employers) and the NHS Organisation Data Service (ODS codes);
//! see docs/compliance.md.

use crate::{
    Date, ExemptionId, OrgId, PersonId, PostId, RecordId, RuleId, SiteId, Timestamp, UnitId,
};
use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary stored and exchanged as snake_case codes, with a human label for pages.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal / $label:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable code used in the database, CSV files and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            /// The label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            /// Parses a code or a label, ignoring case and surrounding spaces.
            pub fn parse(text: &str) -> Option<Self> {
                let t = text.trim();
                Self::ALL.iter().copied().find(|v| v.code().eq_ignore_ascii_case(t) || v.label().eq_ignore_ascii_case(t))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// The kind of organisation.
    OrgType {
        NhsTrust = "nhs_trust" / "NHS trust",
        PrivateHospital = "private_hospital" / "Private hospital",
        MedicalSchool = "medical_school" / "Medical school",
        ResearchInstitute = "research_institute" / "Research institute",
        GpPractice = "gp_practice" / "GP practice",
        Icb = "icb" / "Integrated care board",
        Other = "other" / "Other",
    }
);

vocabulary!(
    /// A level of the unit hierarchy: directorate > department > ward or team.
    UnitKind {
        Directorate = "directorate" / "Directorate",
        Department = "department" / "Department",
        Ward = "ward" / "Ward",
        Team = "team" / "Team",
    }
);

vocabulary!(
    /// ESR staff groups, the NHS's standard workforce classification.
    StaffGroup {
        AddProfScientificTechnical = "add_prof_scientific_technical" / "Add Prof Scientific and Technic",
        AdditionalClinicalServices = "additional_clinical_services" / "Additional Clinical Services",
        AdministrativeClerical = "administrative_clerical" / "Administrative and Clerical",
        AlliedHealthProfessionals = "allied_health_professionals" / "Allied Health Professionals",
        EstatesAncillary = "estates_ancillary" / "Estates and Ancillary",
        HealthcareScientists = "healthcare_scientists" / "Healthcare Scientists",
        MedicalDental = "medical_dental" / "Medical and Dental",
        NursingMidwiferyRegistered = "nursing_midwifery_registered" / "Nursing and Midwifery Registered",
        Students = "students" / "Students",
    }
);

vocabulary!(
    /// Professional regulators.
    RegulatoryBody {
        Gmc = "gmc" / "GMC",
        Nmc = "nmc" / "NMC",
        Hcpc = "hcpc" / "HCPC",
        Gphc = "gphc" / "GPhC",
        Gdc = "gdc" / "GDC",
    }
);

vocabulary!(
    /// Who delivered training. Acceptance policies are written over these (docs/regulators.md, "Accepted providers").
    ProviderType {
        NhsTrust = "nhs_trust" / "NHS trust",
        Icb = "icb" / "Integrated care board",
        CommissioningSupportUnit = "commissioning_support_unit" / "Commissioning support unit",
        CommunityInterestCompany = "community_interest_company" / "Community interest company",
        NationalElearning = "national_elearning" / "National e-learning (NHS England e-LfH)",
        ResuscitationCouncil = "resuscitation_council" / "Resuscitation Council (UK or European)",
        GpPractice = "gp_practice" / "GP practice",
        LocalAuthority = "local_authority" / "Local authority",
        University = "university" / "University",
        PrivateHospital = "private_hospital" / "Private hospital",
        Commercial = "commercial" / "Commercial provider",
    }
);

vocabulary!(
    /// How a record reached Lantern.
    RecordSource {
        Elearning = "elearning" / "E-learning",
        Classroom = "classroom" / "Classroom",
        Assessment = "assessment" / "Assessment",
        Import = "import" / "Import",
        Transfer = "transfer" / "Transfer from another employer",
        Xapi = "xapi" / "xAPI statement from e-learning or a simulator",
        Simulation = "simulation" / "Simulation passed in Lantern",
    }
);

/// Provider types accepted when an organisation has not set its own policy: NHS trusts, integrated care boards,
/// community interest companies, commissioning support units, the national e-learning service and the UK and
/// European resuscitation councils. This is one London trust's published rule for training done elsewhere; it
/// refuses GP practices, local authorities and commercial companies (docs/regulators.md, "Accepted providers").
pub const DEFAULT_ACCEPTED_PROVIDERS: &[ProviderType] = &[
    ProviderType::NhsTrust,
    ProviderType::Icb,
    ProviderType::CommunityInterestCompany,
    ProviderType::CommissioningSupportUnit,
    ProviderType::NationalElearning,
    ProviderType::ResuscitationCouncil,
];

impl RecordSource {
    /// Learning done with other people (a classroom session, an assessment), as against learning alone (e-learning)
    /// or a record whose form Lantern cannot know (an import, a transfer, an xAPI statement). Safeguarding's
    /// participatory share and the NMC's 20 participatory CPD hours both count these.
    pub fn is_participatory(self) -> bool {
        matches!(self, RecordSource::Classroom | RecordSource::Assessment)
    }
}

/// An organisation's code: its NHS Organisation Data Service (ODS) code, for example `RJ1` for Guy's and St Thomas'
/// or `RYJ` for Imperial; organisations without one (a private hospital, a medical school) get a local code of the
/// same form. Upper-case letters and digits, 3 to 10 of them; lower case is read as upper case. Codes appear in
/// URLs (`/orgs/RJ1/...`) and in imports, so only a valid one can exist.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OdsCode(String);

impl OdsCode {
    pub fn parse(text: &str) -> Result<OdsCode, String> {
        let code = text.trim().to_ascii_uppercase();
        if (3..=10).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(OdsCode(code))
        } else {
            Err(format!(
                "{text:?} is not an organisation code: 3 to 10 letters and digits, like RJ1"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for OdsCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        OdsCode::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A competency subject's code: the stable name of a subject that requirements, records, exemptions, courses and
/// xAPI mappings refer to, for example `cstf.fire_safety` or `omt.learning_disability_autism` (a framework's prefix,
/// a dot, then the subject). 1 to 64 characters: lower-case letters, digits, `_`, `.` and `-`, beginning with a
/// letter or a digit; surrounding spaces are ignored. Never a colon: a requirement's text form is `subject:level`.
/// Subjects appear in query strings, imports and framework files, so only a valid one can exist.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Subject(String);

/// Debug-printed as the quoted string, so messages that quote a subject with `{:?}` read `"cstf.fire_safety"`.
impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

/// Written as its string (serde's `transparent` cannot be combined with the `try_from` that checks what is read).
impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Subject {
    /// The most characters a subject has.
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Subject, String> {
        let code = text.trim();
        if Subject::is_valid(code) {
            Ok(Subject(code.to_owned()))
        } else {
            Err(Subject::refusal(text))
        }
    }

    /// A subject written in the code, such as a test's or the demo's: panics if `code` is not a valid subject.
    pub fn from_static(code: &'static str) -> Subject {
        Subject::parse(code).unwrap_or_else(|e| panic!("{e}"))
    }

    fn is_valid(code: &str) -> bool {
        let bytes = code.as_bytes();
        (1..=Subject::MAX_LEN).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes.iter().all(|&b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
            })
    }

    fn refusal(text: &str) -> String {
        format!(
            "{text:?} is not a competency subject: 1 to {} lower-case letters, digits, '_', '.' and '-', \
             beginning with a letter or digit, like cstf.fire_safety",
            Subject::MAX_LEN
        )
    }
}

impl TryFrom<String> for Subject {
    type Error = String;

    /// As [`Subject::parse`], keeping the string when it needs no trimming.
    fn try_from(text: String) -> Result<Subject, String> {
        if Subject::is_valid(&text) {
            Ok(Subject(text))
        } else {
            Subject::parse(&text)
        }
    }
}

impl std::str::FromStr for Subject {
    type Err = String;

    fn from_str(text: &str) -> Result<Subject, String> {
        Subject::parse(text)
    }
}

/// What a code held as a checked string offers: reading it as a `&str` (so maps keyed by it are looked up by `&str`),
/// printing it, comparing it with strings, and giving the string back.
macro_rules! text_code {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }
    };
}

text_code!(OdsCode);
text_code!(Subject);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub ods_code: OdsCode,
    pub name: String,
    pub org_type: OrgType,
    /// Compliance target in percent; each organisation sets its own, typically between 85 and 95.
    pub target_percent: f64,
    /// Where it works: what "today" and "the end of a day" mean for its answers.
    #[serde(default)]
    pub time_zone: crate::local_time::TimeZone,
}

impl Organisation {
    /// The organisation's date at an instant: its "today" when `now` is the present.
    pub fn today(&self, now: crate::Timestamp) -> crate::Date {
        self.time_zone.date_at(now)
    }
}

pub const DEFAULT_TARGET_PERCENT: f64 = 90.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub org_id: OrgId,
    pub parent_id: Option<UnitId>,
    pub site_id: Option<SiteId>,
    /// Stable code within the organisation, used by imports.
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// When this version of the unit (its name, kind, site and parent) was recorded: units are kept as versions.
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub body: RegulatoryBody,
    pub number: String,
    pub renewal_date: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    /// ESR-style employee number; the key imports upsert by.
    pub employee_number: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub registrations: Vec<Registration>,
}

impl Person {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// A person's assignment to a unit, with the attributes requirement rules select on. Posts are kept as versions:
/// each change (a new unit, an end date) is a new `Post` with the same `id` and a later `recorded_at`, and
/// `history::posts` picks the version known at a moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    /// ESR assignment number, unique within the organisation.
    pub assignment_number: String,
    pub staff_group: StaffGroup,
    pub job_role: String,
    pub band: Option<String>,
    pub specialty: Option<String>,
    pub patient_facing: bool,
    pub start: Date,
    /// Last day in post, inclusive. None while the post is held.
    pub end: Option<Date>,
    pub recorded_at: Timestamp,
}

impl Post {
    pub fn active_on(&self, d: Date) -> bool {
        self.start <= d && self.end.is_none_or(|e| d <= e)
    }
}

/// A competency subject with numbered levels; a higher level satisfies the lower ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Competency {
    /// Stable code, for example `cstf.fire_safety`.
    pub code: Subject,
    pub name: String,
    pub framework: String,
    /// Names of levels 1..=n.
    pub levels: Vec<String>,
}

/// A requirement as people see it: a subject at a level ("Resuscitation, level 2").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequirementKey {
    pub subject: Subject,
    pub level: u8,
}

/// The one text form of a requirement, `subject:level` (for example `resuscitation:2`), used in query strings,
/// form values and column keys. A subject never contains a colon, so the level is after the only one.
impl std::fmt::Display for RequirementKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.subject, self.level)
    }
}

impl std::str::FromStr for RequirementKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (subject, level) = text
            .rsplit_once(':')
            .filter(|(s, _)| !s.is_empty())
            .ok_or_else(|| format!("a requirement is subject:level, not {text:?}"))?;
        let level = level
            .parse()
            .map_err(|_| format!("a requirement's level is a number, not {level:?}"))?;
        Ok(RequirementKey {
            subject: Subject::parse(subject)?,
            level,
        })
    }
}

impl RequirementKey {
    pub fn new(subject: Subject, level: u8) -> Self {
        RequirementKey { subject, level }
    }

    /// True when this is the requirement `subject` at `level`.
    pub fn is(&self, subject: &str, level: u8) -> bool {
        self.subject == subject && self.level == level
    }
}

/// What a rule asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// One in-date completion, renewed every `refresher_months`.
    Completion { refresher_months: u32 },
    /// At least `hours` of learning completed within a rolling window of `window_months` (the safeguarding model of the
    /// Intercollegiate Documents), of which at least `participatory_share` (0 to 1) participatory when it is set.
    Hours {
        hours: f64,
        window_months: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        participatory_share: Option<f64>,
    },
}

impl RuleKind {
    /// Participatory hours an hours rule asks for (its share of the hours), if it asks for any.
    pub fn participatory_hours(&self) -> Option<f64> {
        match *self {
            RuleKind::Hours {
                hours,
                participatory_share: Some(share),
                ..
            } if share > 0.0 => Some(hours * share),
            _ => None,
        }
    }
}

vocabulary!(
    /// Whether a rule counts in compliance. A development competency is offered (a person's page shows their
    /// progress) but counts nowhere until an organisation makes it a requirement with a new rule version.
    RulePurpose {
        Requirement = "requirement" / "Requirement",
        Development = "development" / "Development competency",
    }
);

/// Where a rule's figures come from: the edition of the source document, and whose reading of it. National bodies'
/// documents are read differently in places (one London ICB reads the level 3 children's safeguarding hours as 8
/// where the national document says 12 to 16); an organisation's choice of reading is a rule version like any other.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleBasis {
    /// For example "Intercollegiate Document, children, 4th edition (January 2019)".
    pub edition: Option<String>,
    /// For example "National figures" or "London ICB reading".
    pub reading: Option<String>,
    /// True where the figures are a local choice rather than the source's: the source sets none (the AI and
    /// digital framework sets no periods), or the organisation chose its own or a local reading.
    pub local_choice: bool,
}

/// Where a renewal's validity runs from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalBase {
    /// Validity runs from the completion date.
    #[default]
    Completion,
    /// A renewal completed inside the warning window of a still-valid record runs from that record's expiry, so
    /// renewing early costs nothing.
    PreviousExpiry,
}

/// One conjunctive condition over post attributes; an empty list means "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Clause {
    pub staff_groups: Vec<StaffGroup>,
    pub patient_facing: Option<bool>,
    pub specialties: Vec<String>,
    pub job_roles: Vec<String>,
    pub bands: Vec<String>,
    /// Units a post must be in (an organisation's local requirement; frameworks never name units), with the names
    /// they had when chosen, for explanations. A unit chosen with the units within it lists them all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitRef>,
}

/// A unit as a local requirement names it: its id, and its name when the requirement was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
}

impl Clause {
    pub fn matches(&self, post: &Post) -> bool {
        fn any_or_contains(list: &[String], value: Option<&str>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
        }
        (self.staff_groups.is_empty() || self.staff_groups.contains(&post.staff_group))
            && self
                .patient_facing
                .is_none_or(|pf| pf == post.patient_facing)
            && any_or_contains(&self.specialties, post.specialty.as_deref())
            && any_or_contains(&self.job_roles, Some(&post.job_role))
            && any_or_contains(&self.bands, post.band.as_deref())
            && (self.units.is_empty() || self.units.iter().any(|u| u.id == post.unit_id))
    }

    /// A short description for explanations, for example "patient-facing Nursing and Midwifery Registered staff".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(pf) = self.patient_facing {
            parts.push(if pf {
                "patient-facing".to_owned()
            } else {
                "non-patient-facing".to_owned()
            });
        }
        if self.staff_groups.is_empty() {
            parts.push("staff".to_owned());
        } else {
            let groups: Vec<_> = self.staff_groups.iter().map(|g| g.label()).collect();
            parts.push(format!("{} staff", groups.join(" or ")));
        }
        if !self.specialties.is_empty() {
            parts.push(format!("in {}", self.specialties.join(", ")));
        }
        if !self.job_roles.is_empty() {
            parts.push(format!("as {}", self.job_roles.join(", ")));
        }
        if !self.bands.is_empty() {
            parts.push(format!("at band {}", self.bands.join(", ")));
        }
        if let Some(first) = self.units.first() {
            // A unit chosen with those within it lists it first.
            parts.push(match self.units.len() {
                1 => format!("in {}", first.name),
                n => format!("in {} and the {} units within it", first.name, n - 1),
            });
        }
        if parts.len() == 1 && parts[0] == "staff" {
            return "all staff".to_owned();
        }
        parts.join(" ")
    }
}

/// Which posts a rule applies to: any one of the clauses (an OR of ANDs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Applicability(pub Vec<Clause>);

impl Applicability {
    pub fn everyone() -> Self {
        Applicability(vec![Clause::default()])
    }

    pub fn matches(&self, post: &Post) -> bool {
        self.0.iter().any(|c| c.matches(post))
    }

    pub fn describe(&self) -> String {
        let parts: Vec<_> = self.0.iter().map(Clause::describe).collect();
        parts.join("; or ")
    }
}

/// One version of a requirement rule. A regulatory change is a new version with its own effective dates, never an
/// edit of an old one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub org_id: OrgId,
    pub framework: String,
    pub framework_version: String,
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    pub kind: RuleKind,
    /// A requirement, or a development competency that counts nowhere.
    pub purpose: RulePurpose,
    pub applies_to: Applicability,
    pub renewal_base: RenewalBase,
    pub warning_days: u32,
    pub new_starter_days: u32,
    pub effective_from: Date,
    /// First day the rule is no longer in force (exclusive). None while current. Never stored: derived from the next
    /// version known at the time by `history::rule_versions`, which every reader uses.
    pub effective_to: Option<Date>,
    /// The first day after this version's transition (exclusive, like every stored end; pages show the day before as
    /// "due by"). Until then, a person whom this version made overdue (out of scope, or in date under the version
    /// before, on the day before it took effect) is Pending with this date as their deadline rather than Missing or
    /// Expired; see `engine::transition`. None: no transition, the version bites on its first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_ends: Option<Date>,
    /// A retired version ends the requirement from `effective_from`: it is the successor that closes the version
    /// before it (as any version does, `history::rule_versions`) and applies to no one. A framework dropping a
    /// subject, or an organisation withdrawing a local requirement, is a retired version, never a deletion.
    #[serde(default)]
    pub retired: bool,
    /// True where the source marks the period as uncertain: the organisation may adjust it after local risk assessment.
    pub adjustable: bool,
    /// Citation for the period or hours.
    pub source: String,
    /// The edition and reading the figures follow, and whether they are a local choice.
    pub basis: RuleBasis,
    /// Why the organisation set its own refresher period: the reference of its local risk assessment (the CSTF lets
    /// an organisation set a local period after one). Required on a version whose period differs from the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_reason: Option<String>,
    pub created_at: Timestamp,
}

impl Rule {
    /// True when the rule counts in compliance (development competencies and retired versions do not).
    pub fn is_requirement(&self) -> bool {
        self.purpose == RulePurpose::Requirement && !self.retired
    }

    /// True for a development competency still offered (not retired): a person's page shows their progress.
    pub fn is_development(&self) -> bool {
        self.purpose == RulePurpose::Development && !self.retired
    }

    /// Whether `d` falls in this version's transition: from its first day until `transition_ends` (exclusive).
    pub fn in_transition_on(&self, d: Date) -> bool {
        self.effective_from <= d && self.transition_ends.is_some_and(|t| d < t)
    }

    pub fn requirement(&self) -> RequirementKey {
        RequirementKey {
            subject: self.subject.clone(),
            level: self.level,
        }
    }

    pub fn in_force_on(&self, d: Date) -> bool {
        self.effective_from <= d && self.effective_to.is_none_or(|t| d < t)
    }
}

pub const DEFAULT_WARNING_DAYS: u32 = 60;
pub const DEFAULT_NEW_STARTER_DAYS: u32 = 28;

/// A break in service of at least this many days (from the day after one post's last day to the next post's first
/// day in the organisation) makes a returning person a new starter again: their new-starter deadlines count from the
/// start of their latest continuous service. 365 days follows the NHS Terms and Conditions of Service (Agenda for
/// Change) handbook's reading of continuous service, which disregards breaks of up to 12 months (docs/compliance.md,
/// "Re-hired staff"). Each organisation may set its own (`organisation_rehire_breaks`).
pub const DEFAULT_REHIRE_BREAK_DAYS: u32 = 365;
/// The re-hire break an organisation may set, in days.
pub const REHIRE_BREAK_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

/// A completed piece of training or assessment. It belongs to the person and follows them between employers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub id: RecordId,
    pub person_id: PersonId,
    pub subject: Subject,
    pub level: u8,
    pub completed_on: Date,
    pub hours: Option<f64>,
    pub provider: String,
    pub provider_type: ProviderType,
    /// Set when the provider is an organisation known to Lantern: an organisation always accepts its own training.
    pub provider_org_id: Option<OrgId>,
    pub source: RecordSource,
    pub evidence_ref: Option<String>,
    pub recorded_at: Timestamp,
}

/// The most hours of learning one training record may carry, wherever records come from (a staff file, an xAPI
/// mapping): a week of full-time study is about 40, a long course 100 or so; more in one record is a typing mistake.
pub const MAX_RECORD_HOURS: f64 = 200.0;

/// A record that no longer counts: corrected by a newer record, or withdrawn. Records themselves are never edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Supersession {
    pub record_id: RecordId,
    pub replaced_by: Option<RecordId>,
    pub reason: String,
    pub recorded_at: Timestamp,
}

/// A record as the engine sees it: with the moment it was superseded, if it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordFact {
    pub record: TrainingRecord,
    pub superseded: Option<Supersession>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exemption {
    pub id: ExemptionId,
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub subject: Subject,
    pub reason: String,
    pub from: Date,
    /// Last day covered, inclusive. None: open-ended.
    pub until: Option<Date>,
    pub recorded_at: Timestamp,
    /// Who approved it (a name and role), when it was granted in Lantern rather than imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// An end recorded later, bringing its last day forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<ExemptionEnd>,
}

/// An exemption ended before its last day: from `recorded_at` on, `last_day` is its last day (the day before it
/// starts, when it was granted by mistake and never applied).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExemptionEnd {
    pub last_day: Date,
    pub reason: String,
    pub recorded_at: Timestamp,
}

impl Exemption {
    pub fn covers(&self, d: Date) -> bool {
        self.from <= d && self.until.is_none_or(|u| d <= u)
    }

    /// The exemption as Lantern knew it when `known` says what it knew: an end not yet recorded then does not
    /// shorten it.
    pub fn as_known(&self, known: impl Fn(Timestamp) -> bool) -> Exemption {
        let mut e = self.clone();
        if let Some(end) = self.ended.as_ref().filter(|x| known(x.recorded_at)) {
            e.until = Some(e.until.map_or(end.last_day, |u| u.min(end.last_day)));
        }
        e
    }
}

/// Which provider types an organisation accepts, from a date. The latest version in force wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AcceptancePolicy {
    pub org_id: OrgId,
    pub accepted: Vec<ProviderType>,
    pub effective_from: Date,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests;
