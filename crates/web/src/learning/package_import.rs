//! An organisation admin's upload of a SCORM package: streamed to a temporary file (capped at [`MAX_UPLOAD`]),
//! opened and checked by `lantern_learning::scorm::package` (zip slip, symbolic links, absolute paths, bombs,
//! manifests with a DOCTYPE), unpacked to a temporary folder, stored in one transaction, and published as a course
//! whose one module is the package. A refused package leaves nothing stored; the message says why. The command line
//! (`lantern course import-scorm`) shares [`import`].

use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::admin::admin_org;
use crate::pages::layout::{Layout, Page};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use lantern_domain::{AccountId, OrgId, RequirementKey, RulePurpose, Timestamp};
use lantern_learning::course::{CourseVersion, Module, ModuleKind, ModuleOrder, Satisfies};
use lantern_learning::scorm::package::{Limits, PackageError};
use lantern_store::learning::CourseEntry;
use lantern_store::learning::cmi5::StoredCmi5Package;
use lantern_store::learning::packages::{StoredPackage, unpack};
use lantern_store::{Store, StoreError};
use std::io::Write;

/// The largest upload: a video-heavy course export with room to spare.
pub const MAX_UPLOAD: usize = 1024 * 1024 * 1024;

/// What the course made from a package says besides the package.
#[derive(Clone, Debug, Default)]
pub struct CourseSettings {
    /// The course's title; the manifest's organisation title when empty.
    pub title: String,
    /// The course's code; made from the title when empty. A code already in use publishes its next version.
    pub code: String,
    pub satisfies: Vec<Satisfies>,
    pub estimated_minutes: u32,
}

/// Why an import failed, in words for the uploader.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("The package was refused: {0}")]
    Package(#[from] PackageError),
    #[error("The course could not be published: {0}")]
    Course(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Checks, unpacks and stores the package zip at `zip`, then publishes the course that plays it.
pub async fn import(
    store: &dyn Store,
    org: OrgId,
    by: Option<AccountId>,
    now: Timestamp,
    zip: &std::path::Path,
    settings: CourseSettings,
) -> Result<(StoredPackage, CourseEntry), ImportError> {
    let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
    let (zip_path, into) = (zip.to_owned(), dir.path().to_owned());
    let unpacked = tokio::task::spawn_blocking(move || unpack(&zip_path, Limits::default(), &into))
        .await
        .map_err(anyhow::Error::from)??;
    let title = if settings.title.trim().is_empty() {
        unpacked.manifest.default_organization().title.clone()
    } else {
        settings.title.trim().to_owned()
    };
    let code = if settings.code.trim().is_empty() {
        code_from(&title)
    } else {
        settings.code.trim().to_owned()
    };
    let course = CourseVersion {
        code,
        version: 0,
        title: title.clone(),
        summary: format!(
            "An e-learning package ({}).",
            unpacked.manifest.version.label()
        ),
        satisfies: settings.satisfies,
        order: ModuleOrder::InOrder,
        modules: vec![Module {
            key: "package".into(),
            title,
            kind: ModuleKind::Scorm {
                package: unpacked.digest.clone(),
            },
            required: true,
            estimated_minutes: if settings.estimated_minutes == 0 {
                20
            } else {
                settings.estimated_minutes
            },
        }],
        prerequisites: Vec::new(),
    };
    publish_with(store, org, by, now, course, async move {
        store
            .import_package(org, by, now, &unpacked)
            .await
            .map_err(|e| anyhow::anyhow!("storing the package: {e}").into())
    })
    .await
}

/// Checks the course made from a package, then stores the package (`store_package`) and publishes the course. The
/// draft is checked before anything is stored, so a bad title or code stores no package either.
pub(super) async fn publish_with<P>(
    store: &dyn Store,
    org: OrgId,
    by: Option<AccountId>,
    now: Timestamp,
    course: CourseVersion,
    store_package: impl std::future::Future<Output = Result<P, ImportError>>,
) -> Result<(P, CourseEntry), ImportError> {
    if let Err(problems) = course.check() {
        return Err(ImportError::Course(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let package = store_package.await?;
    let entry = store
        .publish_course(org, by, now, &course)
        .await
        .map_err(|e| match e {
            StoreError::Rejected(p) => ImportError::Course(
                p.iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            e => ImportError::Other(anyhow::anyhow!("publishing the course: {e}")),
        })?;
    Ok((package, entry))
}

/// A course code from a title: lower-case letters and digits joined by dashes.
pub(super) fn code_from(title: &str) -> String {
    let mut code = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c.to_ascii_lowercase());
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    let code: String = code.trim_matches('-').chars().take(60).collect();
    let code = code.trim_end_matches('-').to_owned();
    if code.is_empty() {
        "scorm-package".into()
    } else {
        code
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "learning_packages.html")]
pub struct PackagesPage {
    layout: Layout,
    ods: String,
    org_name: String,
    packages: Vec<StoredPackage>,
    cmi5_packages: Vec<StoredCmi5Package>,
    /// (value "subject:level", label)
    requirements: Vec<(String, String)>,
    errors: Vec<FieldError>,
    done: Option<String>,
}

async fn render(
    state: &AppState,
    page: Page,
    ods: &str,
    errors: Vec<FieldError>,
    done: Option<String>,
) -> Result<PackagesPage, AppError> {
    let ctx = admin_org(state, &page.caller, ods).await?;
    let packages = state.store.packages(ctx.org.id).await?;
    let cmi5_packages = state.store.cmi5_packages(ctx.org.id).await?;
    let mut requirements: Vec<(String, String)> = ctx
        .rules
        .iter()
        .filter(|r| r.purpose == RulePurpose::Requirement)
        .map(|r| {
            (
                r.requirement().to_string(),
                format!("{} (level {})", r.title, r.level),
            )
        })
        .collect();
    requirements.sort_by(|a, b| a.1.cmp(&b.1));
    requirements.dedup();
    Ok(PackagesPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        packages,
        cmi5_packages,
        requirements,
        errors,
        done,
    })
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<PackagesPage> {
    Ok(render(&state, page, &ods, Vec::new(), None).await?)
}

pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    req: axum::extract::Request,
) -> PageResult<Response> {
    // The body is read only after the access check.
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut multipart = Multipart::from_request(req, &state).await.map_err(|e| {
        AppError::BadRequest(format!(
            "Upload the package with the form on this page ({e})"
        ))
    })?;
    let mut settings = CourseSettings::default();
    let mut file: Option<tempfile::NamedTempFile> = None;
    let mut errors = Vec::new();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                errors.push(FieldError {
                    field: "file",
                    message: format!("The upload could not be read: {e}"),
                });
                break;
            }
        };
        match field.name() {
            Some("title") => settings.title = field.text().await.unwrap_or_default(),
            Some("code") => settings.code = field.text().await.unwrap_or_default(),
            Some("minutes") => {
                let text = field.text().await.unwrap_or_default();
                match text.trim() {
                    "" => {}
                    t => match t.parse::<u32>() {
                        Ok(m) if (1..=600).contains(&m) => settings.estimated_minutes = m,
                        _ => errors.push(FieldError {
                            field: "minutes",
                            message: "Enter the minutes as a whole number from 1 to 600".into(),
                        }),
                    },
                }
            }
            Some("requirement") => {
                let text = field.text().await.unwrap_or_default();
                match text.trim() {
                    "" => {}
                    t => match t.parse::<RequirementKey>() {
                        Ok(k) => settings.satisfies.push(Satisfies {
                            subject: k.subject,
                            level: k.level,
                        }),
                        Err(e) => errors.push(FieldError {
                            field: "requirement",
                            message: format!("Choose a requirement from the list: {e}"),
                        }),
                    },
                }
            }
            Some("file") => {
                // Streamed to disk chunk by chunk: a package is never held in memory.
                let mut tmp =
                    tempfile::NamedTempFile::new().map_err(|e| AppError::Internal(e.into()))?;
                let mut size = 0usize;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            size += bytes.len();
                            tmp.write_all(&bytes)
                                .map_err(|e| AppError::Internal(e.into()))?;
                        }
                        Ok(None) => break,
                        Err(e) => {
                            errors.push(FieldError {
                                field: "file",
                                message: format!("The file could not be read: {e}"),
                            });
                            break;
                        }
                    }
                }
                if size > 0 {
                    file = Some(tmp);
                }
            }
            _ => {}
        }
    }
    if file.is_none() && errors.is_empty() {
        errors.push(FieldError {
            field: "file",
            message: "Select a SCORM package (a .zip file)".into(),
        });
    }
    let (store, org, by, now) = (
        state.store.as_ref(),
        ctx.org.id,
        Some(page.caller.account.id),
        chrono::Utc::now(),
    );
    // One page takes both kinds: a cmi5 course (cmi5.xml at the zip's root, or on its own) or a SCORM package.
    let outcome = match (&file, errors.is_empty()) {
        (Some(f), true) if is_cmi5_upload(f.path()) => Some(
            super::cmi5::import_cmi5(store, org, by, now, f.path(), settings)
                .await
                .map(|(p, c)| (p.title, p.file_count, c)),
        ),
        (Some(f), true) => Some(
            import(store, org, by, now, f.path(), settings)
                .await
                .map(|(p, c)| (p.title, p.file_count, c)),
        ),
        _ => None,
    };
    let ods = ctx.org.ods_code.to_string();
    match outcome {
        Some(Ok((title, file_count, course))) => {
            let done = format!(
                "Imported {} ({} files). The course \u{201c}{}\u{201d} (code {}) is published as version {}.",
                title, file_count, course.course.title, course.course.code, course.course.version
            );
            Ok(render(&state, page, &ods, Vec::new(), Some(done))
                .await?
                .into_response())
        }
        Some(Err(ImportError::Other(e))) => Err(AppError::Internal(e).into()),
        Some(Err(e)) => {
            let errors = vec![FieldError {
                field: "file",
                message: e.to_string(),
            }];
            let p = render(&state, page, &ods, errors, None).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        None => {
            let p = render(&state, page, &ods, errors, None).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, p).into_response())
        }
    }
}

/// Whether an upload is a cmi5 course: a zip with `cmi5.xml` at its root and no `imsmanifest.xml`, or an XML file
/// (a bare `cmi5.xml`). Anything else goes to the SCORM import, which says what is wrong with it.
pub(super) fn is_cmi5_upload(path: &std::path::Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut first = [0u8; 512];
    let n = f.read(&mut first).unwrap_or(0);
    let head = &first[..n];
    if lantern_learning::cmi5::package::is_zip(head) {
        return std::fs::File::open(path)
            .map(|f| lantern_learning::cmi5::package::is_cmi5_zip(std::io::BufReader::new(f)))
            .unwrap_or(false);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_made_from_titles() {
        assert_eq!(
            super::code_from("Hand hygiene: the five moments!"),
            "hand-hygiene-the-five-moments"
        );
        assert_eq!(super::code_from("***"), "scorm-package");
    }
}
