//! SCORM packages: importing a checked package's files (content-addressed, in the database in chunks), launches
//! (the random token that is a player's only credential on the content origin, reaching one attempt's one package
//! module) and the commits a SCO makes, whose rolled-up outcome becomes the module's state through the same path as
//! every other module (`record_module`), so a completed package completes the course and makes its records.
//!
//! Files live in the database rather than on disk so that every server sharing a PostgreSQL database serves the same
//! packages, and an import is one transaction: a package refused part-way leaves nothing behind. A file is split into
//! chunks of at most [`CHUNK`] bytes, so neither the import nor serving ever holds a whole large file (a video) in
//! memory.

use crate::Result;
use crate::learning::At;
use crate::scope::Scope;
use async_trait::async_trait;
use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
use lantern_learning::course::ModuleState;
use lantern_learning::scorm::Manifest;
use lantern_learning::scorm::package::{Limits, Package, PackageError};
use lantern_learning::scorm::runtime::ScoOutcome;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest chunk a file is stored in.
pub const CHUNK: usize = 1024 * 1024;

/// A package checked and unpacked into a folder (each file under a number, never under its name from the zip), ready
/// to be stored.
#[derive(Debug)]
pub struct UnpackedPackage {
    pub manifest: Manifest,
    /// SHA-256 (hex) over every path and its content's SHA-256, in path order: the package's identity.
    pub digest: String,
    pub files: Vec<UnpackedFile>,
    pub unpacked_bytes: u64,
}

#[derive(Debug)]
pub struct UnpackedFile {
    /// The path inside the package.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// Where its bytes are on disk.
    pub on_disk: PathBuf,
}

/// Opens, checks and unpacks a package zip into `into` (a folder the caller owns and removes). Everything
/// `lantern_learning::scorm::package` refuses is refused here, before anything is stored. Reads at most one file's
/// worth of memory at a time.
pub fn unpack(zip: &Path, limits: Limits, into: &Path) -> Result<UnpackedPackage, PackageError> {
    let file = std::fs::File::open(zip).map_err(|e| PackageError::NotAZip(e.to_string()))?;
    let mut package = Package::open(std::io::BufReader::new(file), limits)?;
    let (files, digest) = unpack_files(&mut package, into)?;
    Ok(UnpackedPackage {
        manifest: package.manifest,
        digest,
        unpacked_bytes: package.unpacked_bytes,
        files,
    })
}

/// Every file of a checked package streamed to disk under `into` through SHA-256, and the package's digest.
pub(crate) fn unpack_files<R: std::io::Read + std::io::Seek>(
    package: &mut Package<R>,
    into: &Path,
) -> Result<(Vec<UnpackedFile>, String), PackageError> {
    let mut files: Vec<UnpackedFile> = Vec::with_capacity(package.files.len());
    let count = std::cell::Cell::new(0usize);
    // Each file streams to disk through a hash: at most a buffer's worth of it is in memory.
    package.unpack_into(
        |path| {
            let on_disk = into.join(format!("{:06}", count.get()));
            count.set(count.get() + 1);
            let file = std::fs::File::create(&on_disk).map_err(|e| PackageError::Corrupt {
                path: path.to_owned(),
                message: format!("could not be written to a temporary file: {e}"),
            })?;
            Ok(Hashing {
                on_disk,
                file: std::io::BufWriter::new(file),
                hash: Sha256::new(),
                size: 0,
            })
        },
        |path, w| {
            let Hashing {
                on_disk,
                file,
                hash,
                size,
            } = w;
            file.into_inner().map_err(|e| PackageError::Corrupt {
                path: path.to_owned(),
                message: format!("could not be written to a temporary file: {e}"),
            })?;
            files.push(UnpackedFile {
                path: path.to_owned(),
                sha256: hex::encode(hash.finalize()),
                size,
                on_disk,
            });
            Ok(())
        },
    )?;
    let mut digest = Sha256::new();
    for f in &files {
        digest.update(f.path.as_bytes());
        digest.update([0]);
        digest.update(f.sha256.as_bytes());
        digest.update([b'\n']);
    }
    Ok((files, hex::encode(digest.finalize())))
}

/// A file being unpacked: written to disk and hashed as it goes.
struct Hashing {
    on_disk: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    size: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// A stored package.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPackage {
    pub id: i64,
    pub org: OrgId,
    /// What a course's SCORM module names (`ModuleKind::Scorm { package }`).
    pub digest: String,
    pub title: String,
    pub manifest: Manifest,
    pub file_count: u64,
    pub unpacked_bytes: u64,
    pub imported_at: Timestamp,
}

/// What a launch token reaches.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    pub org: OrgId,
    /// The organisation's ODS code (its time zone decides the date a completion's record carries).
    pub org_code: String,
    pub attempt: i64,
    pub person: PersonId,
    /// The learner's employee number and "Family, Given" name, for the runtime's learner id and name.
    pub learner_id: String,
    pub learner_name: String,
    pub module_key: String,
    pub package: StoredPackage,
    pub expires_at: Timestamp,
}

/// A file of a package: its content's hash (to read its chunks) and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageFileRef {
    pub sha256: String,
    pub size: u64,
}

/// What a commit changed.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitOutcome {
    /// Each activity's outcome so far, by item identifier.
    pub items: BTreeMap<String, ScoOutcome>,
    /// The module's state after the commit.
    pub state: ModuleState,
    /// The course is complete (its records are written).
    pub course_complete: bool,
}

#[async_trait]
pub trait PackageStore: Send + Sync {
    /// Stores a checked, unpacked package for the organisation, all or nothing. The same package imported again is the
    /// same package (found by its digest).
    async fn import_package(
        &self,
        org: OrgId,
        by: Option<AccountId>,
        now: Timestamp,
        package: &UnpackedPackage,
    ) -> Result<StoredPackage>;

    /// The organisation's packages, newest first.
    async fn packages(&self, org: OrgId) -> Result<Vec<StoredPackage>>;

    /// One of the organisation's packages, by digest.
    async fn package(&self, org: OrgId, digest: &str) -> Result<StoredPackage>;

    /// Records a launch of a package module of an attempt within the caller's scope, under the hash of a token the
    /// caller made. Refused when the module is not an open package module or the attempt is complete.
    #[allow(clippy::too_many_arguments)]
    async fn launch_package(
        &self,
        scope: &Scope,
        org: OrgId,
        attempt: i64,
        module_key: &str,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<Launch>;

    /// The launch a token's hash names, unless it has expired. NotFound otherwise.
    async fn launch(&self, token_hash: &str, now: Timestamp) -> Result<Launch>;

    /// A file of a package, by its path inside the package.
    async fn package_file(&self, package_id: i64, path: &str) -> Result<PackageFileRef>;

    /// One chunk of a file's content (0, 1, ...), None past the end.
    async fn package_chunk(&self, sha256: &str, seq: i64) -> Result<Option<Vec<u8>>>;

    /// Each activity's latest committed data in the launch's attempt and module, by item identifier.
    async fn latest_commits(
        &self,
        launch: &Launch,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>>;

    /// Stores an activity's commit (checked with `runtime::check_commit`; one identical to the activity's last is not
    /// stored again), rolls the package's outcome up and applies it to the module as `record_module` does, so a
    /// completed package can complete the course and make its training records. An asset's commit (empty) marks it
    /// launched, which completes it.
    async fn commit_sco(
        &self,
        launch: &Launch,
        item: &str,
        cmi: &BTreeMap<String, String>,
        at: At,
    ) -> Result<CommitOutcome>;
}

macro_rules! impl_packages {
    ($store:ident, $db:ty) => {
        mod learning_packages {
            use super::$store;
            use super::learning_courses::rejected;
            use crate::learning::packages::*;
            use crate::learning::{At, LearningStore};
            use crate::{Result, Scope, StoreError};
            use async_trait::async_trait;
            use lantern_domain::access::{Grant, Reach};
            use lantern_domain::{AccountId, OrgId, PersonId, Timestamp};
            use lantern_learning::course::{ModuleKind, ModuleState};
            use lantern_learning::scorm::{runtime, sequencing, Manifest};
            use sqlx::Row;
            use std::collections::BTreeMap;

            type DbRow = <$db as sqlx::Database>::Row;

            const PACKAGE: &str = "SELECT id, org_id, digest, title, manifest, file_count, unpacked_bytes, imported_at FROM scorm_packages WHERE kind = 'scorm'";

            fn corrupt(column: &'static str, e: impl std::fmt::Display) -> StoreError {
                StoreError::Corrupt { column, message: e.to_string() }
            }

            fn package_from_row(r: &DbRow) -> Result<StoredPackage> {
                let manifest: Manifest = serde_json::from_str(&r.try_get::<String, _>("manifest")?).map_err(|e| corrupt("scorm_packages.manifest", e))?;
                Ok(StoredPackage {
                    id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    digest: r.try_get("digest")?,
                    title: r.try_get("title")?,
                    manifest,
                    file_count: u64::try_from(r.try_get::<i64, _>("file_count")?).unwrap_or(0),
                    unpacked_bytes: u64::try_from(r.try_get::<i64, _>("unpacked_bytes")?).unwrap_or(0),
                    imported_at: r.try_get("imported_at")?,
                })
            }

            fn person_scope(org: OrgId, person: PersonId) -> Scope {
                Scope::Grants(vec![Grant { org, reach: Reach::Person(person) }])
            }

            impl $store {
                /// Stores a checked package's files (each file's content once, in chunks) and its row of `kind`, in one
                /// transaction: a package refused part-way leaves nothing. Shared by SCORM and cmi5 packages.
                #[allow(clippy::too_many_arguments)]
                pub(crate) async fn store_package_files(&self, org: OrgId, by: Option<AccountId>, now: Timestamp, kind: &str, title: &str, manifest: &str, digest: &str, files: &[UnpackedFile], unpacked_bytes: u64) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    for f in files {
                        let known: Option<i64> = sqlx::query_scalar("SELECT size FROM package_blobs WHERE sha256 = $1")
                            .bind(&f.sha256).fetch_optional(&mut *tx).await?;
                        if known.is_some() {
                            continue;
                        }
                        sqlx::query("INSERT INTO package_blobs (sha256, size) VALUES ($1, $2)")
                            .bind(&f.sha256).bind(i64::try_from(f.size).unwrap_or(i64::MAX)).execute(&mut *tx).await?;
                        // One chunk at a time: read, then insert, so at most one chunk is in memory.
                        let mut seq = 0i64;
                        let mut reader = std::fs::File::open(&f.on_disk).map_err(|e| corrupt("package file", e))?;
                        loop {
                            use std::io::Read;
                            let mut buf = Vec::with_capacity(CHUNK.min(f.size as usize + 1));
                            (&mut reader).take(CHUNK as u64).read_to_end(&mut buf).map_err(|e| corrupt("package file", e))?;
                            if buf.is_empty() && seq > 0 {
                                break;
                            }
                            let last = buf.len() < CHUNK;
                            sqlx::query("INSERT INTO package_blob_chunks (sha256, seq, bytes) VALUES ($1, $2, $3)")
                                .bind(&f.sha256).bind(seq).bind(buf).execute(&mut *tx).await?;
                            seq += 1;
                            if last {
                                break;
                            }
                        }
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO scorm_packages (org_id, digest, title, manifest, file_count, unpacked_bytes, imported_at, imported_by, kind) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(org.0).bind(digest).bind(title).bind(manifest).bind(files.len() as i64)
                    .bind(i64::try_from(unpacked_bytes).unwrap_or(i64::MAX)).bind(now).bind(by.map(|a| a.0)).bind(kind)
                    .fetch_one(&mut *tx).await?;
                    for f in files {
                        sqlx::query("INSERT INTO scorm_package_files (package_id, path, sha256) VALUES ($1, $2, $3)")
                            .bind(id).bind(&f.path).bind(&f.sha256).execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(id)
                }

                async fn package_by_id(&self, id: i64) -> Result<StoredPackage> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND id = $1")))
                        .bind(id).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    package_from_row(&row)
                }
            }

            #[async_trait]
            impl PackageStore for $store {
                async fn import_package(&self, org: OrgId, by: Option<AccountId>, now: Timestamp, p: &UnpackedPackage) -> Result<StoredPackage> {
                    if let Ok(existing) = self.package(org, &p.digest).await {
                        return Ok(existing);
                    }
                    let manifest = serde_json::to_string(&p.manifest).map_err(|e| corrupt("scorm_packages.manifest", e))?;
                    let title = p.manifest.default_organization().title.clone();
                    let id = self.store_package_files(org, by, now, "scorm", &title, &manifest, &p.digest, &p.files, p.unpacked_bytes).await?;
                    self.package_by_id(id).await
                }

                async fn packages(&self, org: OrgId) -> Result<Vec<StoredPackage>> {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND org_id = $1 ORDER BY id DESC")))
                        .bind(org.0).fetch_all(&self.pool).await?.iter().map(package_from_row).collect()
                }

                async fn package(&self, org: OrgId, digest: &str) -> Result<StoredPackage> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PACKAGE} AND org_id = $1 AND digest = $2")))
                        .bind(org.0).bind(digest).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    package_from_row(&row)
                }

                async fn launch_package(&self, scope: &Scope, org: OrgId, attempt: i64, key: &str, token_hash: &str, now: Timestamp, expires_at: Timestamp) -> Result<Launch> {
                    let a = self.attempt(scope, org, attempt).await?;
                    if a.completed_at.is_some() {
                        return Err(rejected("attempt", "this attempt is complete; start the course again to retake it".into()));
                    }
                    let i = a.course.modules.iter().position(|m| m.key == key).ok_or(StoreError::NotFound)?;
                    let ModuleKind::Scorm { package } = &a.course.modules[i].kind else {
                        return Err(rejected("module", format!("{key:?} is not a package module")));
                    };
                    if !a.course.open_in(a.mode, &a.states)[i] {
                        return Err(rejected("module", format!("\"{}\" opens when the modules before it are complete", a.course.modules[i].title)));
                    }
                    let p = self.package(org, package).await?;
                    sqlx::query("INSERT INTO scorm_launches (token_hash, attempt_id, module_key, package_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(token_hash).bind(a.id).bind(key).bind(p.id).bind(now).bind(expires_at).execute(&self.pool).await?;
                    self.launch(token_hash, now).await
                }

                async fn launch(&self, token_hash: &str, now: Timestamp) -> Result<Launch> {
                    let row = sqlx::query(
                        "SELECT l.attempt_id, l.module_key, l.package_id, l.expires_at, a.org_id, o.ods_code, a.person_id, p.employee_number, p.given_name, p.family_name \
                         FROM scorm_launches l JOIN course_attempts a ON a.id = l.attempt_id JOIN people p ON p.id = a.person_id \
                         JOIN organisations o ON o.id = a.org_id \
                         WHERE l.token_hash = $1",
                    )
                    .bind(token_hash).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    let expires_at: Timestamp = row.try_get("expires_at")?;
                    if expires_at <= now {
                        return Err(StoreError::NotFound);
                    }
                    let given: String = row.try_get("given_name")?;
                    let family: String = row.try_get("family_name")?;
                    Ok(Launch {
                        org: OrgId(row.try_get("org_id")?),
                        org_code: row.try_get("ods_code")?,
                        attempt: row.try_get("attempt_id")?,
                        person: PersonId(row.try_get("person_id")?),
                        learner_id: row.try_get("employee_number")?,
                        learner_name: format!("{family}, {given}"),
                        module_key: row.try_get("module_key")?,
                        package: self.package_by_id(row.try_get("package_id")?).await?,
                        expires_at,
                    })
                }

                async fn package_file(&self, package_id: i64, path: &str) -> Result<PackageFileRef> {
                    let row = sqlx::query("SELECT f.sha256, b.size FROM scorm_package_files f JOIN package_blobs b ON b.sha256 = f.sha256 WHERE f.package_id = $1 AND f.path = $2")
                        .bind(package_id).bind(path).fetch_optional(&self.pool).await?.ok_or(StoreError::NotFound)?;
                    Ok(PackageFileRef { sha256: row.try_get("sha256")?, size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0) })
                }

                async fn package_chunk(&self, sha256: &str, seq: i64) -> Result<Option<Vec<u8>>> {
                    Ok(sqlx::query_scalar("SELECT bytes FROM package_blob_chunks WHERE sha256 = $1 AND seq = $2")
                        .bind(sha256).bind(seq).fetch_optional(&self.pool).await?)
                }

                async fn latest_commits(&self, launch: &Launch) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
                    let rows = sqlx::query(
                        "SELECT c.item, c.cmi FROM scorm_commits c WHERE c.attempt_id = $1 AND c.module_key = $2 \
                         AND c.id = (SELECT MAX(d.id) FROM scorm_commits d WHERE d.attempt_id = c.attempt_id AND d.module_key = c.module_key AND d.item = c.item)",
                    )
                    .bind(launch.attempt).bind(&launch.module_key).fetch_all(&self.pool).await?;
                    let mut out = BTreeMap::new();
                    for r in rows {
                        let cmi: BTreeMap<String, String> = serde_json::from_str(&r.try_get::<String, _>("cmi")?).map_err(|e| corrupt("scorm_commits.cmi", e))?;
                        out.insert(r.try_get("item")?, cmi);
                    }
                    Ok(out)
                }

                async fn commit_sco(&self, launch: &Launch, item: &str, cmi: &BTreeMap<String, String>, at: At) -> Result<CommitOutcome> {
                    let manifest = &launch.package.manifest;
                    let activities = sequencing::activities(manifest);
                    if !activities.iter().any(|a| a.identifier == item) {
                        return Err(rejected("item", format!("{item:?} is not an activity of this package")));
                    }
                    runtime::check_commit(manifest.version, cmi).map_err(|e| rejected("cmi", e.to_string()))?;
                    let mut latest = self.latest_commits(launch).await?;
                    if latest.get(item) != Some(cmi) {
                        let body = serde_json::to_string(cmi).map_err(|e| corrupt("scorm_commits.cmi", e))?;
                        sqlx::query("INSERT INTO scorm_commits (attempt_id, module_key, item, cmi, committed_at) VALUES ($1, $2, $3, $4, $5)")
                            .bind(launch.attempt).bind(&launch.module_key).bind(item).bind(body).bind(at.now).execute(&self.pool).await?;
                        latest.insert(item.to_owned(), cmi.clone());
                    }
                    let items: BTreeMap<String, runtime::ScoOutcome> = activities
                        .iter()
                        .filter_map(|a| {
                            let data = latest.get(&a.identifier)?;
                            Some((a.identifier.clone(), if a.sco {
                                let it = find_item(&manifest.default_organization().items, &a.identifier)?;
                                runtime::outcome(manifest.version, it, data)
                            } else {
                                runtime::ScoOutcome { completed: true, passed: None, scaled_score: None }
                            }))
                        })
                        .collect();
                    let rolled = sequencing::rollup(manifest, &items);
                    let state = if rolled.satisfied() {
                        ModuleState::Completed
                    } else if rolled.completed && rolled.passed == Some(false) {
                        ModuleState::Failed
                    } else {
                        ModuleState::InProgress
                    };
                    let scope = person_scope(launch.org, launch.person);
                    let attempt = self.attempt(&scope, launch.org, launch.attempt).await?;
                    let i = attempt.course.modules.iter().position(|m| m.key == launch.module_key).ok_or(StoreError::NotFound)?;
                    let mut course_complete = attempt.completed_at.is_some();
                    let mut now_state = attempt.states[i];
                    if !course_complete && now_state != ModuleState::Completed && now_state != state {
                        let a = self.record_module(&scope, launch.org, launch.attempt, &launch.module_key, state, at).await?;
                        course_complete = a.completed_at.is_some();
                        now_state = a.states[i];
                    }
                    Ok(CommitOutcome { items, state: now_state, course_complete })
                }
            }

            fn find_item<'a>(items: &'a [lantern_learning::scorm::Item], id: &str) -> Option<&'a lantern_learning::scorm::Item> {
                items.iter().find_map(|i| if i.identifier == id { Some(i) } else { find_item(&i.children, id) })
            }
        }
    };
}

pub(crate) use impl_packages;
