//! Lantern's storage layer: one [`Store`] trait with SQLite (default, embedded) and PostgreSQL (scale)
//! implementations, picked from the database URL, and the compliance read model that serves dashboards.
//!
//! Architecture invariant: every query that returns people's data takes the caller's [`Scope`]; a store method never
//! returns rows of an organisation or unit outside it.
//! Architecture invariant: training records and their supersessions are append-only, enforced by database triggers
//! on both backends as well as by the absence of any update path here.

mod accounts;
mod batch;
mod batch_write;
pub mod calendar;
pub mod completion_links;
pub mod csv_import;
mod invitations;
pub mod learning;
pub mod lrs;
mod migrations;
pub mod notices;
mod outbox;
mod postgres;
pub mod read_model;
pub mod record_keeping;
pub mod regulatory_changes;
pub mod reminders;
pub mod revalidation;
pub mod saved_views;
mod scope;
pub mod sims;
mod sql;
mod sqlite;
mod sso;
mod throttle;
pub mod time_zones;
mod touched;
mod versions;
pub mod virtual_patients;

pub use accounts::*;
pub use batch::*;
pub use calendar::CalendarStore;
pub use completion_links::CompletionLinkStore;
pub use invitations::*;
pub use learning::{AuthoringStore, Cmi5Store, LearningStore, PackageStore};
pub use lrs::LrsStore;
pub use outbox::*;
pub use record_keeping::RecordKeepingStore;
pub use regulatory_changes::{AppliedChange, AppliedKind, ChangeStore, NewChange};
pub use reminders::ReminderStore;
pub use revalidation::RevalidationStore;
pub use saved_views::SavedViewStore;
pub use scope::{Grant, Reach, Scope};
pub use sims::SimStore;
pub use sso::*;
pub use throttle::*;
pub use time_zones::{TimeZoneChange, TimeZoneStore};
pub use virtual_patients::{PatientModel, PatientModelStore};

use async_trait::async_trait;
use lantern_domain::framework::FrameworkFile;
use lantern_domain::*;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing there, or outside the caller's scope: callers cannot tell which (no existence leak).
    #[error("not found")]
    NotFound,
    /// The batch was refused and nothing was written. Each problem names the row and field.
    #[error("{} problem(s) in the batch; nothing was written", .0.len())]
    Rejected(Vec<BatchProblem>),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt data in column {column}: {message}")]
    Corrupt {
        column: &'static str,
        message: String,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// An organisation with the figures list pages need.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct OrgSummary {
    pub org: Organisation,
    pub people: i64,
    pub units: i64,
}

/// What the engine needs about an organisation: its units, rules and acceptance policies, with their history.
#[derive(Clone, Debug)]
pub struct OrgContext {
    /// The organisation with its current target.
    pub org: Organisation,
    /// The current version of each unit.
    pub units: Vec<Unit>,
    /// Every recorded version of every unit, oldest first: `units_known_at` picks from it.
    pub unit_history: Vec<Unit>,
    /// The compliance target's versions (percent, recorded at), oldest first.
    pub targets: Vec<(f64, Timestamp)>,
    /// The re-hire break's versions (days, recorded at), oldest first; none while the default holds.
    pub rehire_breaks: Vec<(u32, Timestamp)>,
    /// Every rule version (`history::rule_versions` derives when each stops).
    pub rules: Vec<Rule>,
    pub policies: Vec<AcceptancePolicy>,
}

impl OrgContext {
    /// The units as Lantern had recorded them at `known_at` (None: the current units).
    pub fn units_known_at(&self, known_at: Option<Timestamp>) -> Vec<Unit> {
        let mut units = lantern_domain::history::units(&self.unit_history, known_at);
        units.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        units
    }

    /// The compliance target as recorded at `known_at`.
    pub fn target_known_at(&self, known_at: Option<Timestamp>) -> f64 {
        lantern_domain::history::setting(&self.targets, known_at).unwrap_or(self.org.target_percent)
    }

    /// The re-hire break, in days, as recorded at `known_at` (`DEFAULT_REHIRE_BREAK_DAYS` before any was set).
    pub fn rehire_break_known_at(&self, known_at: Option<Timestamp>) -> u32 {
        lantern_domain::history::setting(&self.rehire_breaks, known_at)
            .unwrap_or(lantern_domain::DEFAULT_REHIRE_BREAK_DAYS)
    }

    /// The engine for this organisation as known at `known_at`: its rules, policies and re-hire break then.
    pub fn engine(&self, known_at: Option<Timestamp>) -> lantern_domain::engine::OrgEngine<'_> {
        lantern_domain::engine::OrgEngine::new(self.org.id, &self.rules, &self.policies, known_at)
            .with_rehire_break_days(self.rehire_break_known_at(known_at))
    }
}

/// One person's facts as one organisation sees them.
#[derive(Clone, Debug)]
pub struct PersonBundle {
    /// Registrations are only loaded by [`Store::person`]; bulk snapshots leave them empty.
    pub person: Person,
    /// The person's posts in this organisation.
    pub posts: Vec<Post>,
    /// All the person's records, with supersessions: records follow the person.
    pub records: Vec<RecordFact>,
    pub exemptions: Vec<Exemption>,
}

/// A person's identity, for reports that list many people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName {
    pub id: PersonId,
    pub employee_number: String,
    pub given_name: String,
    pub family_name: String,
}

/// Whose people a snapshot loads.
#[derive(Clone, Debug)]
pub enum PeopleFilter {
    /// Everyone who has ever held a post in the organisation.
    All,
    /// Everyone who has held a post in one of these units.
    Units(Vec<UnitId>),
    /// These people, where they have held a post in the organisation.
    People(Vec<PersonId>),
}

/// What loading framework files did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameworkLoad {
    /// "code version" of each newly loaded file.
    pub loaded: Vec<String>,
    /// Files whose code and version were loaded before (a no-op).
    pub already_loaded: Vec<String>,
    /// Rule versions created in existing organisations.
    pub rules_created: usize,
}

/// What changed in an organisation between two data versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changes {
    /// Something that affects everyone: units, rules, acceptance policies or the organisation's settings.
    Everyone,
    /// Only these people's posts, records or exemptions.
    People(Vec<PersonId>),
}

#[async_trait]
/// The whole storage interface. Sign-in storage is its [`AccountStore`], [`InvitationStore`], [`SsoStore`] and
/// [`ThrottleStore`] parts; outgoing email is its [`OutboxStore`], the LRS's [`LrsStore`], reminders'
/// [`ReminderStore`], organisations' time zones [`TimeZoneStore`], revalidation evidence's [`RevalidationStore`],
/// courses and attempts [`LearningStore`], SCORM packages and their launches [`PackageStore`], cmi5 packages,
/// registrations and launch sessions [`Cmi5Store`], what authors make
/// [`AuthoringStore`], regulatory changes applied [`ChangeStore`], simulation runs [`SimStore`], the virtual
/// patient's model [`PatientModelStore`], scheduled notices [`notices::NoticeStore`], records and exemptions kept
/// by hand [`RecordKeepingStore`], calendar subscriptions [`CalendarStore`], saved views
/// [`SavedViewStore`], where to do a requirement Lantern has no course for [`CompletionLinkStore`].
pub trait Store:
    AccountStore
    + InvitationStore
    + SsoStore
    + LrsStore
    + ThrottleStore
    + OutboxStore
    + ReminderStore
    + TimeZoneStore
    + RevalidationStore
    + LearningStore
    + PackageStore
    + Cmi5Store
    + AuthoringStore
    + ChangeStore
    + SimStore
    + PatientModelStore
    + notices::NoticeStore
    + RecordKeepingStore
    + CalendarStore
    + SavedViewStore
    + CompletionLinkStore
    + read_model::durable::Rollups
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// True when no organisation exists yet (a fresh database).
    async fn is_empty(&self) -> Result<bool>;

    /// Loads framework files (competencies and the file text) that are not loaded yet, all-or-nothing. A new
    /// version also becomes new rule versions in every existing organisation from its effective date; a version
    /// that would take effect before one in force is refused (history is never edited).
    async fn load_frameworks(
        &self,
        files: &[(String, String, FrameworkFile)],
    ) -> Result<FrameworkLoad>;
    async fn frameworks(&self) -> Result<Vec<FrameworkFile>>;
    /// Each loaded framework's code and name (of its latest version), as rules name them and people read them.
    async fn framework_names(&self) -> Result<std::collections::HashMap<String, String>>;
    async fn competencies(&self) -> Result<Vec<Competency>>;

    async fn list_orgs(&self, scope: &Scope) -> Result<Vec<OrgSummary>>;
    async fn org_by_code(&self, scope: &Scope, ods_code: &str) -> Result<Organisation>;
    /// Organisation, units, rules and policies: what the engine needs besides people.
    async fn org_context(&self, scope: &Scope, org: OrgId) -> Result<OrgContext>;
    /// Increases whenever anything that can change the organisation's compliance is written.
    async fn org_data_version(&self, org: OrgId) -> Result<i64>;

    /// Records a new re-hire break for the organisation (a version; the old value stays for `known_at`), as `by` at
    /// `now`, and marks everyone's compliance as changed. Rejected, naming the field, outside `REHIRE_BREAK_DAYS`.
    async fn set_rehire_break_days(
        &self,
        org: OrgId,
        days: u32,
        by: AccountId,
        now: Timestamp,
    ) -> Result<()>;
    /// What the writes after data version `since`, up to and including `until`, changed in the organisation.
    async fn changes_since(&self, org: OrgId, since: i64, until: i64) -> Result<Changes>;

    /// Names and employee numbers of everyone who has held a post in the organisation and is in the caller's scope.
    async fn people_directory(&self, scope: &Scope, org: OrgId) -> Result<Vec<PersonName>>;
    /// Names and posts in the organisation of these people (no records): what lists of people show beside figures
    /// read from the roll-up index. People outside the caller's scope are left out.
    async fn people_posts(
        &self,
        scope: &Scope,
        org: OrgId,
        ids: &[PersonId],
    ) -> Result<Vec<(PersonName, Vec<Post>)>>;
    /// Everyone who has held a post in the organisation and is in the caller's scope, by id.
    async fn person_ids(&self, scope: &Scope, org: OrgId) -> Result<Vec<PersonId>>;
    /// People with their posts in the organisation, records and exemptions.
    async fn people(
        &self,
        scope: &Scope,
        org: OrgId,
        filter: &PeopleFilter,
    ) -> Result<Vec<PersonBundle>>;
    /// One person, with registrations, as the organisation sees them. NotFound when they never held a post there.
    async fn person(&self, scope: &Scope, org: OrgId, person: PersonId) -> Result<PersonBundle>;
    async fn person_by_employee_number(
        &self,
        scope: &Scope,
        org: OrgId,
        number: &str,
    ) -> Result<PersonId>;
    /// The person with a post in the organisation whose email this is (case-insensitively).
    async fn person_by_email(&self, scope: &Scope, org: OrgId, email: &str) -> Result<PersonId>;

    /// Writes a batch all-or-nothing, durably, in one transaction. Natural keys (ODS codes, unit codes, employee and
    /// assignment numbers) are resolved inside it; people and posts are upserted, records deduplicated.
    async fn write(&self, batch: &WriteBatch) -> Result<BatchOutcome>;

    /// Refreshes the query planner's statistics; run after bulk loads (demo generation, large imports).
    async fn refresh_statistics(&self) -> Result<()>;

    /// Counts rows per table, for status pages and tests.
    async fn table_counts(&self) -> Result<Vec<(String, i64)>>;
}

/// Opens the database named by `url`, creating it (SQLite) and running migrations.
///
/// `sqlite://PATH` (or a bare path ending in .db) uses the embedded SQLite; `postgres://` or `postgresql://` uses
/// PostgreSQL.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.ends_with(".db") || url.ends_with(".sqlite") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

/// Loads the built-in framework files on first start (a no-op when they are there already).
pub async fn load_built_in_frameworks(store: &dyn Store) -> anyhow::Result<FrameworkLoad> {
    let mut files = Vec::new();
    for (name, text) in lantern_domain::framework::BUILT_IN {
        files.push((
            name.to_string(),
            text.to_string(),
            FrameworkFile::parse(name, text)?,
        ));
    }
    Ok(store.load_frameworks(&files).await?)
}
