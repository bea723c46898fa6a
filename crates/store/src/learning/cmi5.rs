//! cmi5 courses: packages (kept with the SCORM packages, `kind = 'cmi5'`, the same content-addressed files), each
//! learner's opaque actor name, registrations (one per attempt's cmi5 module), launch sessions, the one-time fetch
//! that hands an AU its LRS credential, and sessions' ends (migration 0023, append-only).
//!
//! The rules are `lantern_learning::cmi5`'s and the statements live in the LRS; this module keeps what the launch
//! protocol needs between requests. The web layer (`crates/web/src/learning/cmi5.rs`, `crates/web/src/xapi/cmi5.rs`)
//! drives it.

use crate::Result;
use crate::learning::packages::{UnpackedFile, unpack_files};
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
use lantern_learning::cmi5::package as cmi5_package;
use lantern_learning::cmi5::{CourseStructure, Launch};
use lantern_learning::scorm::package::{Limits, PackageError};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// A cmi5 package checked and unpacked into a folder, ready to be stored.
#[derive(Debug)]
pub struct UnpackedCmi5 {
    pub structure: CourseStructure,
    /// SHA-256 over every path and its content's SHA-256: the package's identity.
    pub digest: String,
    pub files: Vec<UnpackedFile>,
    pub unpacked_bytes: u64,
}

/// Opens, checks and unpacks a cmi5 package (a zip with `cmi5.xml` at its root) or a bare `cmi5.xml` whose AUs are
/// all on other sites, into `into` (a folder the caller owns). Everything refused is refused before anything is
/// stored.
pub fn unpack_cmi5(path: &Path, limits: Limits, into: &Path) -> Result<UnpackedCmi5, PackageError> {
    let open = || std::fs::File::open(path).map_err(|e| PackageError::NotAZip(e.to_string()));
    let mut first = [0u8; 4];
    let n = open()?.read(&mut first).unwrap_or(0);
    if cmi5_package::is_zip(&first[..n]) {
        let (structure, mut package) =
            cmi5_package::open(std::io::BufReader::new(open()?), limits)?;
        let (files, digest) = unpack_files(&mut package, into)?;
        return Ok(UnpackedCmi5 {
            structure,
            digest,
            files,
            unpacked_bytes: package.unpacked_bytes,
        });
    }
    // A file named .zip that is not one is a broken download or the wrong file, not a bare cmi5.xml.
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return Err(PackageError::NotAZip(
            "it is named .zip but does not start as a zip archive does".into(),
        ));
    }
    let mut bytes = Vec::new();
    open()?
        .take(limits.max_manifest_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PackageError::NotAZip(e.to_string()))?;
    if bytes.len() as u64 > limits.max_manifest_bytes {
        return Err(PackageError::ManifestTooLarge {
            bytes: bytes.len() as u64,
            max: limits.max_manifest_bytes,
        });
    }
    let structure = cmi5_package::open_bare(&bytes)?;
    let on_disk = into.join("000000");
    std::fs::write(&on_disk, &bytes).map_err(|e| PackageError::Corrupt {
        path: cmi5_package::COURSE_STRUCTURE.into(),
        message: format!("could not be written to a temporary file: {e}"),
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let mut digest = Sha256::new();
    digest.update(cmi5_package::COURSE_STRUCTURE.as_bytes());
    digest.update([0]);
    digest.update(sha256.as_bytes());
    digest.update([b'\n']);
    Ok(UnpackedCmi5 {
        structure,
        digest: hex::encode(digest.finalize()),
        unpacked_bytes: bytes.len() as u64,
        files: vec![UnpackedFile {
            path: cmi5_package::COURSE_STRUCTURE.into(),
            sha256,
            size: bytes.len() as u64,
            on_disk,
        }],
    })
}

/// A stored cmi5 package.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCmi5Package {
    pub id: i64,
    pub org: OrgId,
    /// What a course's cmi5 module names (`ModuleKind::Cmi5 { package }`), and where the content origin serves its
    /// files (`/cmi5/{digest}/...`).
    pub digest: String,
    pub title: String,
    pub structure: CourseStructure,
    pub file_count: u64,
    pub unpacked_bytes: u64,
    pub imported_at: Timestamp,
}

/// A learner's registration in a cmi5 course: one attempt's one cmi5 module.
#[derive(Clone, Debug, PartialEq)]
pub struct Cmi5Registration {
    pub id: i64,
    pub org: OrgId,
    /// The learner's organisation's ODS code.
    pub org_code: String,
    pub attempt: i64,
    pub person: PersonId,
    pub module_key: String,
    pub package: StoredCmi5Package,
    /// The registration's UUID (cmi5 8.1.4).
    pub registration: String,
}

/// One launch of an AU.
#[derive(Clone, Debug, PartialEq)]
pub struct Cmi5Session {
    pub id: i64,
    pub registration: Cmi5Registration,
    /// The AU's id in the course structure.
    pub au_id: String,
    pub session_id: String,
    pub launch: Launch,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The fetch URL has given out its token.
    pub fetched: bool,
    /// Why the session ended ("terminated" or "abandoned"), if it has.
    pub closed: Option<String>,
    /// The AU has read the learner preferences (cmi5 11.0.0.0-3), so it may send "initialized".
    pub preferences_read: bool,
}

/// What the fetch URL found (cmi5 8.2).
#[derive(Clone, Debug, PartialEq)]
pub enum FetchOutcome {
    /// The credential is now the session's; the token is given out this once.
    Issued(Box<Cmi5Session>),
    /// The token was already given out, or the session has ended or expired (error code 1).
    Spent,
    /// No such fetch URL (error code 2).
    Unknown,
}

#[async_trait]
pub trait Cmi5Store: Send + Sync {
    /// Stores a checked, unpacked cmi5 package, all or nothing; the same package again is the same package.
    async fn import_cmi5_package(
        &self,
        org: OrgId,
        by: Option<AccountId>,
        now: Timestamp,
        package: &UnpackedCmi5,
    ) -> Result<StoredCmi5Package>;

    /// The organisation's cmi5 packages, newest first.
    async fn cmi5_packages(&self, org: OrgId) -> Result<Vec<StoredCmi5Package>>;

    /// One of the organisation's cmi5 packages, by digest.
    async fn cmi5_package(&self, org: OrgId, digest: &str) -> Result<StoredCmi5Package>;

    /// A cmi5 package by digest, whichever organisation imported it (the same digest is the same files): what the
    /// content origin serves.
    async fn cmi5_package_by_digest(&self, digest: &str) -> Result<StoredCmi5Package>;

    /// The person's cmi5 actor name: the one they have, or `candidate` (random, made by the caller) stored now.
    async fn cmi5_actor(&self, person: PersonId, candidate: &str, now: Timestamp)
    -> Result<String>;

    /// The registration of an attempt's cmi5 module within the caller's scope: the one it has, or a new one under
    /// `candidate` (a UUID the caller made), refused when the module is not an open cmi5 module or the attempt is
    /// complete.
    async fn cmi5_registration(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        module_key: &str,
        candidate: &str,
        now: Timestamp,
    ) -> Result<Cmi5Registration>;

    /// The registration of a cmi5 module of an attempt completed by test-out (the caller checked that), made now if
    /// it has none, so the LMS can record its AUs as waived (cmi5 9.3.7).
    async fn cmi5_waiver_registration(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        module_key: &str,
        candidate: &str,
        now: Timestamp,
    ) -> Result<Cmi5Registration>;

    /// The sessions of one AU in a registration, oldest first.
    async fn cmi5_sessions(&self, registration: i64, au_id: &str) -> Result<Vec<Cmi5Session>>;

    /// Records a new launch session of an AU, under the hash of its fetch token.
    #[allow(clippy::too_many_arguments)]
    async fn start_cmi5_session(
        &self,
        registration: &Cmi5Registration,
        au_id: &str,
        fetch_hash: &str,
        launch: &Launch,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<Cmi5Session>;

    /// Notes that the session's AU has read the learner preferences (cmi5 11.0.0.0-3); once is enough.
    async fn record_cmi5_preferences_read(&self, session: i64, now: Timestamp) -> Result<()>;

    /// Ends a session ("terminated" or "abandoned"); false when it had already ended.
    async fn close_cmi5_session(&self, session: i64, reason: &str, now: Timestamp) -> Result<bool>;

    /// The fetch URL's one answer: binds the credential (`auth_key`, the secret's hash) to the session whose fetch
    /// token hashes to `fetch_hash`, once, while the session is open and unexpired.
    async fn fetch_cmi5_session(
        &self,
        fetch_hash: &str,
        auth_key: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<FetchOutcome>;

    /// The session a credential's key belongs to, with its secret's hash.
    async fn cmi5_session_by_key(&self, auth_key: &str) -> Result<Option<(Cmi5Session, String)>>;
}

macro_rules! impl_cmi5 {
    ($store:ident, $db:ty) => {
        mod learning_cmi5 {
            use super::$store;
            use super::learning_courses::rejected;
            use crate::learning::cmi5::*;
            use crate::learning::LearningStore;
            use crate::{Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
            use lantern_learning::cmi5::{CourseStructure, Launch};
            use lantern_learning::course::ModuleKind;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            const PACKAGE: &str = "SELECT id, org_id, digest, title, manifest, file_count, unpacked_bytes, imported_at FROM scorm_packages WHERE kind = 'cmi5'";
            const REGISTRATION: &str = "SELECT r.id, r.attempt_id, r.module_key, r.package_id, r.registration, a.org_id, a.person_id, o.ods_code \
                FROM cmi5_registrations r JOIN course_attempts a ON a.id = r.attempt_id JOIN organisations o ON o.id = a.org_id";
            const SESSION: &str = "SELECT s.id, s.registration_id, s.au_id, s.session_id, s.launch, s.created_at, s.expires_at, \
                f.session_id AS fetched, c.reason AS closed, p.session_id AS preferences_read \
                FROM cmi5_sessions s LEFT JOIN cmi5_fetches f ON f.session_id = s.id LEFT JOIN cmi5_closures c ON c.session_id = s.id \
                LEFT JOIN cmi5_preference_reads p ON p.session_id = s.id";

            fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt { column, message: e.to_string() }
            }

            fn package_from_row(r: &DbRow) -> Result<StoredCmi5Package> {
                let structure: CourseStructure = serde_json::from_str(&r.try_get::<String, _>("manifest")?)
                    .map_err(|e| corrupt("scorm_packages.manifest", e))?;
                Ok(StoredCmi5Package {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    digest: r.try_get("digest")?,
                    title: r.try_get("title")?,
                    structure,
                    file_count: u64::try_from(r.try_get::<i64, _>("file_count")?).unwrap_or(0),
                    unpacked_bytes: u64::try_from(r.try_get::<i64, _>("unpacked_bytes")?).unwrap_or(0),
                    imported_at: r.try_get("imported_at")?,
                })
            }

            impl $store {
                async fn cmi5_package_by_id(&self, id: i64) -> Result<StoredCmi5Package> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    package_from_row(&row)
                }

                async fn cmi5_registration_from_row(&self, r: &DbRow) -> Result<Cmi5Registration> {
                    Ok(Cmi5Registration {
                        id: r.try_get("id")?,
                        org: OrgId(r.try_get("org_id")?),
                        org_code: r.try_get("ods_code")?,
                        attempt: r.try_get("attempt_id")?,
                        person: PersonId(r.try_get("person_id")?),
                        module_key: r.try_get("module_key")?,
                        package: self.cmi5_package_by_id(r.try_get("package_id")?).await?,
                        registration: r.try_get("registration")?,
                    })
                }

                async fn cmi5_registration_by_id(&self, id: i64) -> Result<Cmi5Registration> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REGISTRATION} WHERE r.id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    self.cmi5_registration_from_row(&row).await
                }

                async fn cmi5_session_from_row(&self, r: &DbRow, registration: Option<&Cmi5Registration>) -> Result<Cmi5Session> {
                    let registration = match registration {
                        Some(reg) => reg.clone(),
                        None => self.cmi5_registration_by_id(r.try_get("registration_id")?).await?,
                    };
                    let launch: Launch = serde_json::from_str(&r.try_get::<String, _>("launch")?)
                        .map_err(|e| corrupt("cmi5_sessions.launch", e))?;
                    Ok(Cmi5Session {
                        id: r.try_get("id")?,
                        registration,
                        au_id: r.try_get("au_id")?,
                        session_id: r.try_get("session_id")?,
                        launch,
                        created_at: r.try_get("created_at")?,
                        expires_at: r.try_get("expires_at")?,
                        fetched: r.try_get::<Option<i64>, _>("fetched")?.is_some(),
                        closed: r.try_get("closed")?,
                        preferences_read: r.try_get::<Option<i64>, _>("preferences_read")?.is_some(),
                    })
                }
            }

            #[async_trait]
            impl Cmi5Store for $store {
                async fn import_cmi5_package(&self, org: OrgId, by: Option<AccountId>, now: Timestamp, p: &UnpackedCmi5) -> Result<StoredCmi5Package> {
                    if let Ok(existing) = self.cmi5_package(org, &p.digest).await {
                        return Ok(existing);
                    }
                    let structure = serde_json::to_string(&p.structure).map_err(|e| corrupt("scorm_packages.manifest", e))?;
                    let title = if p.structure.title.trim().is_empty() { p.structure.id.clone() } else { p.structure.title.clone() };
                    let id = self.store_package_files(org, by, now, "cmi5", &title, &structure, &p.digest, &p.files, p.unpacked_bytes).await?;
                    self.cmi5_package_by_id(id).await
                }

                async fn cmi5_packages(&self, org: OrgId) -> Result<Vec<StoredCmi5Package>> {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND org_id = $1 ORDER BY id DESC")))
                        .bind(org.0).fetch_all(&self.pool).await?.iter().map(package_from_row).collect()
                }

                async fn cmi5_package(&self, org: OrgId, digest: &str) -> Result<StoredCmi5Package> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND org_id = $1 AND digest = $2")))
                        .bind(org.0).bind(digest).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    package_from_row(&row)
                }

                async fn cmi5_package_by_digest(&self, digest: &str) -> Result<StoredCmi5Package> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND digest = $1 ORDER BY id LIMIT 1")))
                        .bind(digest).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    package_from_row(&row)
                }

                async fn cmi5_actor(&self, person: PersonId, candidate: &str, now: Timestamp) -> Result<String> {
                    sqlx::query("INSERT INTO cmi5_actors (person_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (person_id) DO NOTHING")
                        .bind(person.0).bind(candidate).bind(now).execute(&self.pool).await?;
                    Ok(sqlx::query_scalar("SELECT name FROM cmi5_actors WHERE person_id = $1")
                        .bind(person.0).fetch_one(&self.pool).await?)
                }

                async fn cmi5_registration(&self, scope: &Scope, org: OrgId, attempt: i64, key: &str, candidate: &str, now: Timestamp) -> Result<Cmi5Registration> {
                    let a = self.attempt(scope, org, attempt).await?;
                    let existing = sqlx::query(sqlx::AssertSqlSafe(format!("{REGISTRATION} WHERE r.attempt_id = $1 AND r.module_key = $2")))
                        .bind(a.id).bind(key).fetch_optional(&self.pool).await?;
                    if let Some(row) = existing {
                        return self.cmi5_registration_from_row(&row).await;
                    }
                    if a.completed_at.is_some() {
                        return Err(rejected("attempt", "this attempt is complete; start the course again to retake it".into()));
                    }
                    let i = a.course.modules.iter().position(|m| m.key == key).ok_or(StoreError::NotFound)?;
                    let ModuleKind::Cmi5 { package } = &a.course.modules[i].kind else {
                        return Err(rejected("module", format!("{key:?} is not a cmi5 module")));
                    };
                    if !a.course.open_in(a.mode, &a.states)[i] {
                        return Err(rejected("module", format!("\"{}\" opens when the modules before it are complete", a.course.modules[i].title)));
                    }
                    let p = match self.cmi5_package(a.course_org, package).await {
                        Err(StoreError::NotFound) => self.cmi5_package(org, package).await?,
                        other => other?,
                    };
                    sqlx::query("INSERT INTO cmi5_registrations (attempt_id, module_key, package_id, registration, created_at) VALUES ($1, $2, $3, $4, $5) \
                                 ON CONFLICT (attempt_id, module_key) DO NOTHING")
                        .bind(a.id).bind(key).bind(p.id).bind(candidate).bind(now).execute(&self.pool).await?;
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REGISTRATION} WHERE r.attempt_id = $1 AND r.module_key = $2")))
                        .bind(a.id).bind(key).fetch_one(&self.pool).await?;
                    self.cmi5_registration_from_row(&row).await
                }

                async fn cmi5_waiver_registration(&self, scope: &Scope, org: OrgId, attempt: i64, key: &str, candidate: &str, now: Timestamp) -> Result<Cmi5Registration> {
                    let a = self.attempt(scope, org, attempt).await?;
                    let i = a.course.modules.iter().position(|m| m.key == key).ok_or(StoreError::NotFound)?;
                    let ModuleKind::Cmi5 { package } = &a.course.modules[i].kind else {
                        return Err(rejected("module", format!("{key:?} is not a cmi5 module")));
                    };
                    let p = match self.cmi5_package(a.course_org, package).await {
                        Err(StoreError::NotFound) => self.cmi5_package(org, package).await?,
                        other => other?,
                    };
                    sqlx::query("INSERT INTO cmi5_registrations (attempt_id, module_key, package_id, registration, created_at) VALUES ($1, $2, $3, $4, $5) \
                                 ON CONFLICT (attempt_id, module_key) DO NOTHING")
                        .bind(a.id).bind(key).bind(p.id).bind(candidate).bind(now).execute(&self.pool).await?;
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REGISTRATION} WHERE r.attempt_id = $1 AND r.module_key = $2")))
                        .bind(a.id).bind(key).fetch_one(&self.pool).await?;
                    self.cmi5_registration_from_row(&row).await
                }

                async fn cmi5_sessions(&self, registration: i64, au_id: &str) -> Result<Vec<Cmi5Session>> {
                    let reg = self.cmi5_registration_by_id(registration).await?;
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SESSION} WHERE s.registration_id = $1 AND s.au_id = $2 ORDER BY s.id")))
                        .bind(registration).bind(au_id).fetch_all(&self.pool).await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in &rows {
                        out.push(self.cmi5_session_from_row(r, Some(&reg)).await?);
                    }
                    Ok(out)
                }

                async fn start_cmi5_session(&self, reg: &Cmi5Registration, au_id: &str, fetch_hash: &str, launch: &Launch, now: Timestamp, expires_at: Timestamp) -> Result<Cmi5Session> {
                    let body = serde_json::to_string(launch).map_err(|e| corrupt("cmi5_sessions.launch", e))?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO cmi5_sessions (registration_id, au_id, session_id, fetch_hash, launch, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(reg.id).bind(au_id).bind(&launch.session_id).bind(fetch_hash).bind(body).bind(now).bind(expires_at)
                    .fetch_one(&self.pool).await?;
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SESSION} WHERE s.id = $1")))
                        .bind(id).fetch_one(&self.pool).await?;
                    self.cmi5_session_from_row(&row, Some(reg)).await
                }

                async fn record_cmi5_preferences_read(&self, session: i64, now: Timestamp) -> Result<()> {
                    sqlx::query("INSERT INTO cmi5_preference_reads (session_id, read_at) VALUES ($1, $2) ON CONFLICT (session_id) DO NOTHING")
                        .bind(session).bind(now).execute(&self.pool).await?;
                    Ok(())
                }

                async fn close_cmi5_session(&self, session: i64, reason: &str, now: Timestamp) -> Result<bool> {
                    let done = sqlx::query("INSERT INTO cmi5_closures (session_id, reason, closed_at) VALUES ($1, $2, $3) ON CONFLICT (session_id) DO NOTHING")
                        .bind(session).bind(reason).bind(now).execute(&self.pool).await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn fetch_cmi5_session(&self, fetch_hash: &str, auth_key: &str, secret_hash: &str, now: Timestamp) -> Result<FetchOutcome> {
                    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!("{SESSION} WHERE s.fetch_hash = $1")))
                        .bind(fetch_hash).fetch_optional(&self.pool).await? else {
                        return Ok(FetchOutcome::Unknown);
                    };
                    let session = self.cmi5_session_from_row(&row, None).await?;
                    if session.fetched || session.closed.is_some() || session.expires_at <= now {
                        return Ok(FetchOutcome::Spent);
                    }
                    // The primary key makes this once only, whoever asks at the same moment.
                    let done = sqlx::query("INSERT INTO cmi5_fetches (session_id, auth_key, secret_hash, fetched_at) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO NOTHING")
                        .bind(session.id).bind(auth_key).bind(secret_hash).bind(now).execute(&self.pool).await?;
                    if done.rows_affected() != 1 {
                        return Ok(FetchOutcome::Spent);
                    }
                    Ok(FetchOutcome::Issued(Box::new(Cmi5Session { fetched: true, ..session })))
                }

                async fn cmi5_session_by_key(&self, auth_key: &str) -> Result<Option<(Cmi5Session, String)>> {
                    let Some(f) = sqlx::query("SELECT session_id, secret_hash FROM cmi5_fetches WHERE auth_key = $1")
                        .bind(auth_key).fetch_optional(&self.pool).await? else {
                        return Ok(None);
                    };
                    let id: i64 = f.try_get("session_id")?;
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SESSION} WHERE s.id = $1")))
                        .bind(id).fetch_one(&self.pool).await?;
                    Ok(Some((self.cmi5_session_from_row(&row, None).await?, f.try_get("secret_hash")?)))
                }
            }
        }
    };
}

pub(crate) use impl_cmi5;
