//! The learner's courses as the JSON API shows them: the courses they may take in each organisation, an attempt
//! with its modules, a paper without its answer key, and a submission's mark with the feedback (the key only
//! after submission, as on the result page). Each asks the policy through `learning::learner` (`Action::Learn`),
//! whose scope reaches only the learner's own person.

use super::pathway::{requirements_now, test_out_for, test_out_possible};
use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::{DateTime, Utc};
use lantern_domain::access::Action;
use lantern_learning::assessment::Answers;
use lantern_store::learning::{Attempt, Paper, Submission};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CourseListing {
    pub ods_code: String,
    pub code: String,
    pub title: String,
    pub summary: String,
    /// The latest version: a new attempt starts on it.
    pub version: u32,
    pub estimated_minutes: u32,
    /// Requirements a completion records, as `subject:level`.
    pub satisfies: Vec<String>,
    /// Codes of the courses to complete first.
    pub prerequisites: Vec<String>,
    /// The learner's attempt under way, to resume.
    pub open_attempt: Option<i64>,
    /// How many times the learner has completed it.
    pub completed: usize,
    /// The learner may take its assessment first now (test-out).
    pub test_out: bool,
}

/// The courses the caller may take, in every organisation where they are a learner.
pub async fn my_courses(state: &AppState, caller: &Caller) -> Result<Vec<CourseListing>, AppError> {
    let mut out = Vec::new();
    for o in state.store.list_orgs(&caller.scope()).await? {
        if !caller.may(Action::Learn(o.org.id)) {
            continue;
        }
        let (org, person, scope) = crate::learning::learner(state, caller, &o.org.ods_code).await?;
        let attempts = match state.store.attempts_of(&scope, org.id, person).await {
            Ok(a) => a,
            // A learner grant where they hold no post: nothing to take there.
            Err(lantern_store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let settings = state.store.test_out_settings(org.id).await?;
        let requirements = requirements_now(state, &scope, &org, person).await?;
        for c in state.store.courses(org.id).await? {
            let mine = attempts.iter().filter(|a| a.course.code == c.course.code);
            let open = mine.clone().filter(|a| a.under_way()).max_by_key(|a| a.id);
            out.push(CourseListing {
                ods_code: org.ods_code.to_string(),
                code: c.course.code.clone(),
                title: c.course.title.clone(),
                summary: c.course.summary.clone(),
                version: c.course.version,
                estimated_minutes: c.course.estimated_minutes(),
                satisfies: c
                    .course
                    .satisfies
                    .iter()
                    .map(|s| format!("{}:{}", s.subject, s.level))
                    .collect(),
                prerequisites: c.course.prerequisites.clone(),
                open_attempt: open.map(|a| a.id),
                completed: mine.filter(|a| a.completed_at.is_some()).count(),
                test_out: test_out_possible(open)
                    && test_out_for(&c.course, &requirements, &settings).is_some(),
            });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttemptModule {
    pub key: String,
    pub title: String,
    /// `lesson`, `scorm`, `cmi5`, `assessment` or `simulation`.
    pub kind: String,
    pub required: bool,
    pub estimated_minutes: u32,
    /// `not_started`, `in_progress`, `completed` or `failed`.
    pub state: String,
    /// Whether it may be opened now.
    pub open: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub ods_code: String,
    pub course_code: String,
    pub course_title: String,
    /// The version this attempt is on (publishing a new one never moves it).
    pub version: u32,
    /// `course`, `test_out` (assessment first) or `test_out_failed` (going on as the course).
    pub mode: String,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// An assessment was failed with every try used: this attempt can go no further, and starting the course
    /// again starts a new one.
    pub spent: bool,
    pub modules: Vec<AttemptModule>,
    pub modules_done: usize,
    pub modules_total: usize,
    pub minutes_left: u32,
    /// The module to continue with.
    pub next_module: Option<String>,
    /// The training records' evidence reference (and the certificate's).
    pub reference: String,
    /// Where to download the certificate, once complete.
    pub certificate: Option<String>,
}

fn code<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o
            .get("kind")
            .or_else(|| o.get("state"))
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

impl AttemptView {
    pub fn new(ods: &str, a: &Attempt) -> Self {
        let open = a.course.open_in(a.mode, &a.states);
        let progress = a.course.progress_in(a.mode, &a.states);
        AttemptView {
            id: a.id,
            ods_code: ods.to_owned(),
            course_code: a.course.code.clone(),
            course_title: a.course.title.clone(),
            version: a.course.version,
            mode: code(&a.mode),
            started_at: a.started_at,
            completed_at: a.completed_at,
            spent: a.spent,
            modules: a
                .course
                .modules
                .iter()
                .zip(&a.states)
                .zip(open)
                .map(|((m, s), o)| AttemptModule {
                    key: m.key.clone(),
                    title: m.title.clone(),
                    kind: code(&m.kind),
                    required: m.required,
                    estimated_minutes: m.estimated_minutes,
                    state: code(s),
                    open: o && a.under_way(),
                })
                .collect(),
            modules_done: progress.done,
            modules_total: progress.required,
            minutes_left: progress.minutes_left,
            next_module: progress.next.map(|i| a.course.modules[i].key.clone()),
            reference: a.reference(),
            certificate: a
                .completed_at
                .map(|_| format!("/orgs/{ods}/learning/attempts/{}/certificate.pdf", a.id)),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaperOption {
    pub id: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaperQuestionView {
    pub id: String,
    pub stem: String,
    /// More than one option may be right.
    pub multiple: bool,
    pub options: Vec<PaperOption>,
}

/// A paper as drawn, in order, without its answer key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaperView {
    pub id: i64,
    pub attempt_id: i64,
    pub module_key: String,
    pub questions: Vec<PaperQuestionView>,
    /// Submitted after this, it counts as a fail.
    pub deadline: Option<DateTime<Utc>>,
    pub attempt_number: u32,
    pub attempt_limit: Option<u32>,
    pub pass_percent: u8,
}

impl PaperView {
    pub fn new(attempt: i64, paper: Paper, pass_percent: u8) -> Self {
        PaperView {
            id: paper.id,
            attempt_id: attempt,
            module_key: paper.module_key,
            questions: paper
                .questions
                .into_iter()
                .map(|q| PaperQuestionView {
                    id: q.id,
                    stem: q.stem,
                    multiple: q.multiple,
                    options: q
                        .options
                        .into_iter()
                        .map(|(id, text)| PaperOption { id, text })
                        .collect(),
                })
                .collect(),
            deadline: paper.deadline,
            attempt_number: paper.attempt_number,
            attempt_limit: paper.attempt_limit,
            pass_percent,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FeedbackOption {
    pub id: String,
    pub text: String,
    pub correct: bool,
    pub chosen: bool,
    pub feedback: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Feedback {
    pub question_id: String,
    pub stem: String,
    pub right: bool,
    pub options: Vec<FeedbackOption>,
    pub explanation: Option<String>,
}

/// A marked paper: the first submission's mark (a replay returns it again and counts for nothing more).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub paper_id: i64,
    pub percent: u8,
    pub correct: usize,
    pub total: usize,
    pub passed: bool,
    /// Arrived after the deadline, so it could not pass.
    pub late: bool,
    pub feedback: Vec<Feedback>,
    /// The attempt after the submission (perhaps complete now).
    pub attempt: AttemptView,
}

impl SubmissionView {
    pub fn new(ods: &str, s: &Submission) -> Self {
        let chose = |q: &str, o: &str| s.answers.get(q).is_some_and(|set| set.contains(o));
        SubmissionView {
            paper_id: s.paper_id,
            percent: s.marked.percent,
            correct: s.marked.correct,
            total: s.marked.total,
            passed: s.marked.passed,
            late: s.late,
            feedback: s
                .questions
                .iter()
                .map(|q| Feedback {
                    question_id: q.id.clone(),
                    stem: q.stem.clone(),
                    right: s.marked.questions.iter().any(|(id, ok)| *ok && *id == q.id),
                    options: q
                        .options
                        .iter()
                        .map(|o| FeedbackOption {
                            id: o.id.clone(),
                            text: o.text.clone(),
                            correct: o.correct,
                            chosen: chose(&q.id, &o.id),
                            feedback: o.feedback.clone(),
                        })
                        .collect(),
                    explanation: q.explanation.clone(),
                })
                .collect(),
            attempt: AttemptView::new(ods, &s.attempt),
        }
    }
}

/// Answers to a paper: for each question id, the option ids chosen.
pub type AnswerSheet = Answers;
