//! Learning delivery's storage: courses and question banks as numbered versions, attempts, module states,
//! assessment papers and submissions, and completions, which become training records in the same transaction
//! through the one batch path. The rules (what a course is, what a draw and a mark are) are `lantern_learning`'s;
//! this module keeps what they decide. Everything is append-only (triggers on both backends, migrations 0019 and
//! 0022). `assignments.rs` keeps courses assigned to a person or a unit and their cancellations, and
//! `test_out.rs` each organisation's test-out settings per requirement and the test-out attempts.
//! `authoring.rs` keeps what authors make around that: drafts, lesson images, sharing with other organisations, and
//! the responses behind item statistics (migration 0021).

mod assignments;
mod attempts;
pub mod authoring;
pub mod cmi5;
mod courses;
pub mod packages;
mod test_out;

pub(crate) use assignments::impl_assignments;
pub(crate) use attempts::impl_attempts;
pub use authoring::AuthoringStore;
pub(crate) use authoring::impl_authoring;
pub use cmi5::Cmi5Store;
pub(crate) use cmi5::impl_cmi5;
pub(crate) use courses::impl_courses;
pub use packages::PackageStore;
pub(crate) use packages::impl_packages;
pub(crate) use test_out::impl_test_out;

use crate::Result;
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::{AccountId, Date, OrgId, PersonId, Subject, Timestamp, UnitId};
use lantern_learning::assessment::{Answers, Drawn, Marked, Question};
use lantern_learning::course::{CourseVersion, Mode, ModuleState};

/// When something happens: the instant, and the organisation's date then (the completion date of any record it
/// makes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    pub now: Timestamp,
    pub today: Date,
}

/// A course as the catalogue lists it: its latest version.
#[derive(Clone, Debug, PartialEq)]
pub struct CourseEntry {
    pub id: i64,
    /// The organisation that authored it (for a shared course, not the learner's).
    pub org: OrgId,
    /// The authoring organisation's ODS code.
    pub owner_ods: String,
    pub version_id: i64,
    pub course: CourseVersion,
    pub published_at: Timestamp,
}

impl CourseEntry {
    /// How a learner in `viewer` names the course in a URL: its code for their own organisation's course, `code@ODS`
    /// for one another organisation shares with them (see `LearningStore::course`).
    pub fn address(&self, viewer: OrgId) -> String {
        if self.org == viewer {
            self.course.code.clone()
        } else {
            format!("{}@{}", self.course.code, self.owner_ods)
        }
    }
}

impl CourseEntry {
    /// [`CourseEntry::address`] for a viewer known by ODS code.
    pub fn address_in(&self, viewer_ods: &str) -> String {
        if self.owner_ods == viewer_ods {
            self.course.code.clone()
        } else {
            format!("{}@{}", self.course.code, self.owner_ods)
        }
    }
}

/// An attempt and where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub org: OrgId,
    pub person: PersonId,
    pub course: CourseVersion,
    pub course_version_id: i64,
    /// The organisation that authored the course (not the learner's, for a shared course).
    pub course_org: OrgId,
    pub started_at: Timestamp,
    /// Each module's state, in module order.
    pub states: Vec<ModuleState>,
    /// The course, or a test-out (live, or failed and so going on as the course).
    pub mode: Mode,
    /// When the course was completed (and the records were made).
    pub completed_at: Option<Timestamp>,
    /// An assessment was failed with every try used: the attempt can go no further, and starting the course
    /// again starts a new one.
    pub spent: bool,
}

impl Attempt {
    /// Neither complete nor spent: the attempt a learner resumes.
    pub fn under_way(&self) -> bool {
        self.completed_at.is_none() && !self.spent
    }

    /// The evidence reference of the records a completion makes (and of its certificate).
    pub fn reference(&self) -> String {
        let how = if self.mode == Mode::TestOut {
            " (tested out by assessment)"
        } else {
            ""
        };
        format!(
            "Lantern course {} version {}, attempt {}{how}",
            self.course.code, self.course.version, self.id
        )
    }
}

/// One version of an organisation's test-out setting for a requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutSetting {
    pub subject: Subject,
    pub level: u8,
    pub enabled: bool,
    pub recorded_at: Timestamp,
}

/// Whether test-out is on for a requirement, as recorded at `known_at` (None: now). Off until turned on.
pub fn test_out_on(
    settings: &[TestOutSetting],
    subject: &str,
    level: u8,
    known_at: Option<Timestamp>,
) -> bool {
    let versions: Vec<(bool, Timestamp)> = settings
        .iter()
        .filter(|s| s.subject == subject && s.level == level)
        .map(|s| (s.enabled, s.recorded_at))
        .collect();
    lantern_domain::history::setting(&versions, known_at).unwrap_or(false)
}

/// Whom an assignment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignTo {
    Person(PersonId),
    /// Everyone in post in the unit or below it, whenever they join.
    Unit(UnitId),
}

/// A course assigned, not cancelled.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub id: i64,
    pub org: OrgId,
    pub course_code: String,
    pub course_title: String,
    pub to: AssignTo,
    /// The person's or the unit's name.
    pub to_name: String,
    pub due_on: Date,
    pub assigned_at: Timestamp,
    /// Who assigned it (their display name).
    pub assigned_by: String,
}

/// An assignment as it stands for one person it reaches.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonAssignment {
    pub person: PersonId,
    pub assignment: Assignment,
    /// The attempt that completed the course since it was assigned, and when.
    pub done: Option<(i64, Timestamp)>,
}

impl PersonAssignment {
    /// Not done, and past its due date (due on the day itself is not yet late).
    pub fn overdue(&self, today: Date) -> bool {
        self.done.is_none() && self.assignment.due_on < today
    }
}

/// A paper as the learner sees it: questions and options in the order drawn, without the answer key.
#[derive(Clone, Debug, PartialEq)]
pub struct Paper {
    pub id: i64,
    pub module_key: String,
    pub questions: Vec<PaperQuestion>,
    pub deadline: Option<Timestamp>,
    /// Which try this is, and how many are allowed.
    pub attempt_number: u32,
    pub attempt_limit: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PaperQuestion {
    pub id: String,
    pub stem: String,
    pub multiple: bool,
    /// (option id, text), in the order shown.
    pub options: Vec<(String, String)>,
}

/// A submitted paper: the mark, and the questions with their keys and explanations for the feedback page.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub paper_id: i64,
    pub marked: Marked,
    pub late: bool,
    pub questions: Vec<Question>,
    pub answers: Answers,
    /// The attempt after the submission (the course may now be complete).
    pub attempt: Attempt,
}

#[async_trait]
pub trait LearningStore: Send + Sync {
    /// Publishes a course's next version (the first creates the course), after checking it: the draft's problems,
    /// banks that exist in the organisation, prerequisites that exist and make no cycle. Rejected naming each field.
    async fn publish_course(
        &self,
        org: OrgId,
        by: Option<AccountId>,
        now: Timestamp,
        draft: &CourseVersion,
    ) -> Result<CourseEntry>;

    /// Publishes a bank's next version; every question must check. Returns the version number.
    async fn publish_bank(
        &self,
        org: OrgId,
        by: Option<AccountId>,
        now: Timestamp,
        code: &str,
        questions: &[Question],
    ) -> Result<u32>;

    /// The latest version of each of the organisation's courses, by title.
    async fn courses(&self, org: OrgId) -> Result<Vec<CourseEntry>>;

    /// The latest version of one course, by its address: its code for the organisation's own courses, `code@ODS` for
    /// a course the organisation with that ODS code shares with this one (NotFound when it does not).
    async fn course(&self, org: OrgId, code: &str) -> Result<CourseEntry>;

    /// The courses whose latest version satisfies a requirement (at its level or above: a record at a higher level
    /// counts for a lower one): the organisation's own, then those other organisations share with it.
    async fn courses_for(&self, org: OrgId, subject: &str, level: u8) -> Result<Vec<CourseEntry>>;

    /// The person's open attempt at a course, or a new one on its latest version. NotFound when the person is
    /// outside the caller's scope or has no post in the organisation.
    async fn start_attempt(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        code: &str,
        now: Timestamp,
    ) -> Result<Attempt>;

    /// Starts a test-out of a course (its assessment first), or resumes one. Refused when the course has nothing
    /// to test out with, when the organisation has not turned test-out on for a requirement the course satisfies,
    /// and when an attempt at the course is already under way as the course. Whether the person's requirement is
    /// due for renewal is the caller's to check (it needs the compliance engine).
    async fn start_test_out(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
        code: &str,
        now: Timestamp,
    ) -> Result<Attempt>;

    /// Every version of the organisation's test-out settings, oldest first ([`test_out_on`] reads them).
    async fn test_out_settings(&self, org: OrgId) -> Result<Vec<TestOutSetting>>;

    /// A new version of a requirement's test-out setting.
    async fn set_test_out(
        &self,
        org: OrgId,
        subject: &Subject,
        level: u8,
        enabled: bool,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// Assigns a course to a person or a unit within the caller's scope (NotFound outside it), due by a date.
    #[allow(clippy::too_many_arguments)]
    async fn assign_course(
        &self,
        scope: &Scope,
        org: OrgId,
        code: &str,
        to: AssignTo,
        due_on: Date,
        by: AccountId,
        now: Timestamp,
    ) -> Result<Assignment>;

    /// Assigns a course to each of these people, due by a date: all or none (NotFound, and nothing written, when
    /// anyone is outside the caller's scope), in one transaction. The team view's "Assign a course to those ticked".
    #[allow(clippy::too_many_arguments)]
    async fn assign_course_to_people(
        &self,
        scope: &Scope,
        org: OrgId,
        code: &str,
        people: &[PersonId],
        due_on: Date,
        by: AccountId,
        now: Timestamp,
    ) -> Result<Vec<Assignment>>;

    /// Cancels an assignment within the caller's scope (a cancellation row; the assignment stays as it was).
    async fn cancel_assignment(
        &self,
        scope: &Scope,
        org: OrgId,
        id: i64,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;

    /// The organisation's assignments not cancelled, within the caller's scope, newest first.
    async fn assignments(&self, scope: &Scope, org: OrgId) -> Result<Vec<Assignment>>;

    /// The assignments reaching each of these people (directly, or through a unit they are in post in on `today`
    /// or one above it), with whether each is done. People outside the caller's scope are left out.
    async fn assignments_of(
        &self,
        scope: &Scope,
        org: OrgId,
        people: &[PersonId],
        today: Date,
    ) -> Result<Vec<PersonAssignment>>;

    /// An attempt, within the caller's scope.
    async fn attempt(&self, scope: &Scope, org: OrgId, id: i64) -> Result<Attempt>;

    /// The person's attempts, newest first.
    async fn attempts_of(
        &self,
        scope: &Scope,
        org: OrgId,
        person: PersonId,
    ) -> Result<Vec<Attempt>>;

    /// Records a lesson or package module's new state. Refused for a module that is not open, for an assessment
    /// (its state comes from its papers), and after the course is complete. When it completes the course, the
    /// training records are written in the same transaction, completed on `at.today`.
    async fn record_module(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        module_key: &str,
        state: ModuleState,
        at: At,
    ) -> Result<Attempt>;

    /// The open (unsubmitted) paper for an assessment module, or a new one drawn with `seed`. Refused when the
    /// module is not open or its attempt limit is used up.
    async fn paper(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        module_key: &str,
        seed: u64,
        now: Timestamp,
    ) -> Result<Paper>;

    /// Marks a paper once. A second submission of the same paper is a Conflict (the first counts); a submission
    /// after the deadline counts as a fail. A pass completes the module, and perhaps the course (records written in
    /// the same transaction, completed on `at.today`).
    async fn submit_paper(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        paper: i64,
        answers: &Answers,
        at: At,
    ) -> Result<Submission>;
}

/// The JSON of what a paper holds: the draw, in order.
pub(crate) type StoredPaper = Vec<Drawn>;
