//! The course editor: title, code, the requirements it satisfies, order, prerequisites and modules (lessons and
//! assessments; packages kept as they are). "Save draft" keeps the form as a draft revision, "Preview" shows the
//! course as a learner would see it, "Publish" makes a new version after every check (earlier attempts keep theirs).

use super::course_form::{CourseForm, ModuleRow, check_problems, course_problems};
use super::{Fields, Problem, author_org, lesson_html};
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::{Organisation, Subject};
use lantern_learning::course::{CourseVersion, ModuleKind};
use lantern_store::StoreError;
use lantern_store::learning::authoring::DraftKind;

#[derive(Template, WebTemplate)]
#[template(path = "authoring_course.html")]
pub struct CourseEditor {
    layout: Layout,
    ods: String,
    org_name: String,
    form: CourseForm,
    /// True once the course exists (published or drafted): its code is fixed.
    existing: bool,
    /// The published version, if any.
    published: Option<u32>,
    /// (subject, title) of each requirement the organisation has.
    subjects: Vec<(Subject, String)>,
    banks: Vec<String>,
    /// Other courses of the organisation, (code, title), for prerequisites.
    courses: Vec<(String, String)>,
    errors: Vec<Problem>,
    saved: Option<String>,
}

impl CourseEditor {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// A module's field id (`m3_title`).
    fn f(&self, i: &usize, name: &str) -> String {
        format!("m{i}_{name}")
    }

    fn merr(&self, i: &usize, name: &str) -> Option<&str> {
        self.error(&self.f(i, name))
    }

    fn serr(&self, i: &usize) -> Option<&str> {
        self.error(&format!("s{i}_level"))
    }

    /// The satisfies rows, with one blank to add another.
    fn satisfies_rows(&self) -> Vec<(String, String)> {
        let mut rows = self.form.satisfies.clone();
        rows.push((String::new(), String::new()));
        rows
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "authoring_preview.html")]
pub struct CoursePreview {
    layout: Layout,
    ods: String,
    course: CourseVersion,
    satisfies: Vec<String>,
    /// Per module: rendered lesson HTML, or what the assessment draws.
    modules: Vec<(String, String, String)>,
    problems: Vec<Problem>,
    /// The posted form again, as hidden fields, so the author goes back to editing or publishes from here.
    hidden: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct EditorQuery {
    code: Option<String>,
    saved: Option<String>,
}

async fn editor(
    state: &AppState,
    layout: Layout,
    org: &Organisation,
    form: CourseForm,
    existing: bool,
    errors: Vec<Problem>,
    saved: Option<String>,
) -> Result<CourseEditor, crate::AppError> {
    let ctx = state
        .store
        .org_context(&lantern_store::Scope::org(org.id), org.id)
        .await?;
    let mut subjects: Vec<(Subject, String)> = ctx
        .rules
        .iter()
        .map(|r| (r.subject.clone(), r.title.clone()))
        .collect();
    subjects.sort_by(|a, b| a.1.cmp(&b.1));
    subjects.dedup_by(|a, b| a.0 == b.0);
    let banks = state
        .store
        .banks(org.id)
        .await?
        .into_iter()
        .map(|b| b.code)
        .collect();
    let courses = state
        .store
        .courses(org.id)
        .await?
        .into_iter()
        .filter(|c| c.course.code != form.code)
        .map(|c| (c.course.code, c.course.title))
        .collect();
    let published = match state.store.course(org.id, &form.code).await {
        Ok(c) if !form.code.is_empty() => Some(c.course.version),
        _ => None,
    };
    Ok(CourseEditor {
        layout,
        ods: org.ods_code.to_string(),
        org_name: org.name.clone(),
        form,
        existing,
        published,
        subjects,
        banks,
        courses,
        errors,
        saved,
    })
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(q): Query<EditorQuery>,
) -> PageResult<CourseEditor> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        let form = CourseForm {
            modules: vec![ModuleRow::lesson(1)],
            ..CourseForm::default()
        };
        return Ok(editor(&state, page.layout, &org, form, false, Vec::new(), None).await?);
    };
    let form = latest(&state, &org, &code)
        .await?
        .ok_or(crate::AppError::NotFound)?;
    Ok(editor(&state, page.layout, &org, form, true, Vec::new(), q.saved).await?)
}

/// The course as the author last left it: the latest draft when it is newer than the published version.
async fn latest(
    state: &AppState,
    org: &Organisation,
    code: &str,
) -> Result<Option<CourseForm>, crate::AppError> {
    let published = match state.store.course(org.id, code).await {
        Ok(c) if !code.contains('@') => Some(c),
        Ok(_) | Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let draft = state
        .store
        .drafts(org.id, DraftKind::Course)
        .await?
        .into_iter()
        .find(|d| d.code == code);
    Ok(match (draft, published) {
        (Some(d), p) if p.as_ref().is_none_or(|p| d.saved_at > p.published_at) => {
            serde_json::from_str::<CourseVersion>(&d.body)
                .ok()
                .map(|c| CourseForm::from_course(&c))
        }
        (_, Some(p)) => Some(CourseForm::from_course(&p.course)),
        (_, None) => None,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let fields = Fields::new(pairs);
    let mut form = CourseForm::from_fields(&fields);
    let existing = fields.get("existing") == "yes";
    let action = fields.get("action").to_owned();
    let layout = page.layout;
    let again = async |layout, form, errors: Vec<Problem>, status: StatusCode| {
        let ed = editor(&state, layout, &org, form, existing, errors, None).await?;
        Ok::<Response, crate::AppError>((status, ed).into_response())
    };
    match action.as_str() {
        "edit" => return Ok(again(layout, form, Vec::new(), StatusCode::OK).await?),
        "add_lesson" => {
            form.modules.push(ModuleRow::lesson(form.modules.len() + 1));
            return Ok(again(layout, form, Vec::new(), StatusCode::OK).await?);
        }
        "add_assessment" => {
            let bank = state
                .store
                .banks(org.id)
                .await?
                .into_iter()
                .next()
                .map(|b| b.code)
                .unwrap_or_default();
            form.modules
                .push(ModuleRow::assessment(form.modules.len() + 1, &bank));
            return Ok(again(layout, form, Vec::new(), StatusCode::OK).await?);
        }
        _ => {}
    }
    let (course, mut problems) = form.to_course();
    if !existing && !form.code.is_empty() && latest(&state, &org, &form.code).await?.is_some() {
        problems.push(Problem::new(
            "code",
            format!(
                "The code {:?} is already used by a course here: choose another, or edit that course",
                form.code
            ),
        ));
    }
    if let Err(p) = course.check() {
        let mine = course_problems(&course, check_problems(p));
        match action.as_str() {
            // A draft may be unfinished; only a code it can be saved under is needed.
            "save" => problems.extend(mine.into_iter().filter(|p| p.field == "code")),
            "preview" => {}
            _ => problems.extend(mine),
        }
    }
    match action.as_str() {
        "save" => {
            if !problems.is_empty() {
                return Ok(again(layout, form, problems, StatusCode::BAD_REQUEST).await?);
            }
            let body =
                serde_json::to_string(&course).map_err(|e| crate::AppError::Internal(e.into()))?;
            state
                .store
                .save_draft(
                    org.id,
                    DraftKind::Course,
                    &course.code,
                    &body,
                    Some(page.caller.account.id),
                    chrono::Utc::now(),
                )
                .await?;
            Ok(to_editor(&org, &course.code, "Draft saved"))
        }
        "preview" => {
            let mut problems = problems;
            if let Err(p) = course.check() {
                problems.extend(course_problems(&course, check_problems(p)));
            }
            let preview = preview(&state, layout, &org, course, problems, &fields).await?;
            Ok(preview.into_response())
        }
        "publish" => {
            problems.extend(missing_images(&state, &org, &course).await?);
            if !problems.is_empty() {
                return Ok(again(layout, form, problems, StatusCode::BAD_REQUEST).await?);
            }
            match state
                .store
                .publish_course(
                    org.id,
                    Some(page.caller.account.id),
                    chrono::Utc::now(),
                    &course,
                )
                .await
            {
                Ok(entry) => Ok(Redirect::to(&format!(
                    "/orgs/{}/authoring?saved={}",
                    org.ods_code,
                    crate::pages::admin::urlencode(&format!(
                        "{} published as version {}",
                        entry.course.title, entry.course.version
                    ))
                ))
                .into_response()),
                Err(StoreError::Rejected(p)) => {
                    let problems =
                        course_problems(&course, p.into_iter().map(|p| (p.field, p.message)));
                    Ok(again(layout, form, problems, StatusCode::BAD_REQUEST).await?)
                }
                Err(e) => Err(e.into()),
            }
        }
        other => Err(crate::AppError::BadRequest(format!(
            "{other:?} is not something the course editor does: use its buttons"
        ))
        .into()),
    }
}

fn to_editor(org: &Organisation, code: &str, saved: &str) -> Response {
    super::to_editor(org, "course", code, saved)
}

/// Lessons that show an image not uploaded yet: a learner would see only its description.
async fn missing_images(
    state: &AppState,
    org: &Organisation,
    course: &CourseVersion,
) -> Result<Vec<Problem>, crate::AppError> {
    let images = state.store.lesson_images(org.id).await?;
    let mut out = Vec::new();
    for (i, m) in course.modules.iter().enumerate() {
        if let ModuleKind::Lesson { markdown } = &m.kind {
            for name in lantern_learning::lesson::image_references(markdown) {
                if !images.iter().any(|im| im.name == name) {
                    out.push(Problem::new(
                        format!("m{i}_markdown"),
                        format!(
                            "Module {:?}: the image {name:?} is not uploaded; upload it on the Images page",
                            m.title
                        ),
                    ));
                }
            }
        }
    }
    Ok(out)
}

async fn preview(
    state: &AppState,
    layout: Layout,
    org: &Organisation,
    course: CourseVersion,
    problems: Vec<Problem>,
    fields: &Fields,
) -> Result<CoursePreview, crate::AppError> {
    let ctx = state
        .store
        .org_context(&lantern_store::Scope::org(org.id), org.id)
        .await?;
    let satisfies = course
        .satisfies
        .iter()
        .map(|s| {
            let title = ctx
                .rules
                .iter()
                .find(|r| r.subject == s.subject)
                .map_or(s.subject.as_str(), |r| r.title.as_str());
            format!("{title} level {}", s.level)
        })
        .collect();
    let images = state.store.lesson_images(org.id).await?;
    let mut modules = Vec::new();
    for m in &course.modules {
        let (kind, body) = match &m.kind {
            ModuleKind::Lesson { markdown } => (
                "lesson".to_owned(),
                lesson_html(org.ods_code.as_ref(), markdown, &images),
            ),
            ModuleKind::Assessment { bank, rules } => {
                let text = match state.store.bank(org.id, bank).await {
                    Ok(b) => {
                        let outcomes: std::collections::BTreeSet<&str> =
                            b.questions.iter().map(|q| q.outcome.as_str()).collect();
                        match lantern_learning::assessment::draw(&b.questions, rules, 0) {
                            Ok(paper) => format!(
                                "{} questions drawn from bank {bank} (version {}, {} questions over {} learning outcomes), {} per outcome; pass mark {}%{}{}.",
                                paper.len(),
                                b.version,
                                b.questions.len(),
                                outcomes.len(),
                                rules.per_outcome,
                                rules.pass_percent,
                                rules
                                    .attempt_limit
                                    .map_or(String::new(), |a| format!(", {a} tries")),
                                rules
                                    .time_limit_minutes
                                    .map_or(String::new(), |t| format!(", {t} minutes allowed")),
                            ),
                            Err(e) => format!("This assessment cannot be drawn: {e}."),
                        }
                    }
                    Err(_) => format!("There is no published bank {bank:?} here yet."),
                };
                ("assessment".to_owned(), text)
            }
            other => ("other".to_owned(), other.label().to_owned()),
        };
        modules.push((m.title.clone(), kind, body));
    }
    let hidden = fields_as_hidden(fields);
    Ok(CoursePreview {
        layout,
        ods: org.ods_code.to_string(),
        course,
        satisfies,
        modules,
        problems,
        hidden,
    })
}

/// Every posted field but the action and the token, to post the same course again from the preview.
fn fields_as_hidden(f: &Fields) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        f.0.iter()
            .filter(|(k, _)| k.as_str() != "action" && k.as_str() != crate::auth::csrf::FIELD)
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
            .collect();
    out.sort();
    out
}
