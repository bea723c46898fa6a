//! Courses: versions, modules, what a learner may open next, and when the course is complete.
//!
//! A course is published as numbered versions. An attempt belongs to the version it started on, so publishing a
//! new version never rewrites an attempt or the training record it made; the next attempt takes the newest version.
//! Completing a course is what turns into a training record for each requirement it satisfies (by the store, in
//! the same transaction as the last module's result): its source is `assessment` when the course is only
//! assessments, or when it was completed by testing out, else `elearning`.
//!
//! Test-out (assess first): an organisation may let a person whose requirement is expiring or expired take the
//! course's assessment before the course. In a test-out attempt ([`Mode::TestOut`]) the required assessments are
//! open at once and passing them completes the course without its other modules (a record with source
//! `assessment`); a fail ends the test-out ([`Mode::TestOutFailed`]) and the attempt goes on as the course, the
//! assessment waiting for the modules before it again.

use crate::assessment::Rules;
use lantern_domain::Subject;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A requirement a course satisfies: a competency subject at a level (the same key the compliance engine uses).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Satisfies {
    pub subject: Subject,
    pub level: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleOrder {
    /// Each required module opens when the required ones before it are complete.
    InOrder,
    /// Any module, any order.
    Free,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModuleKind {
    Lesson { markdown: String },
    Scorm { package: String },
    Cmi5 { package: String },
    Assessment { bank: String, rules: Rules },
    Simulation { scenario: String },
}

impl ModuleKind {
    pub fn label(&self) -> &'static str {
        match self {
            ModuleKind::Lesson { .. } => "Lesson",
            ModuleKind::Scorm { .. } => "E-learning package (SCORM)",
            ModuleKind::Cmi5 { .. } => "E-learning course (cmi5)",
            ModuleKind::Assessment { .. } => "Assessment",
            ModuleKind::Simulation { .. } => "Simulation",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// Stable across versions (`fire-intro`), so progress can be shown against the right module.
    pub key: String,
    pub title: String,
    /// Flattened, so a course file says `kind = "lesson"` and `markdown = ...` beside the title.
    #[serde(flatten)]
    pub kind: ModuleKind,
    /// Optional modules (further reading) do not hold back completion.
    #[serde(default = "yes")]
    pub required: bool,
    pub estimated_minutes: u32,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseVersion {
    /// The course's code (`cstf-fire-safety-1`), stable across versions.
    pub code: String,
    /// Given by the store when the version is published.
    #[serde(default)]
    pub version: u32,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub satisfies: Vec<Satisfies>,
    pub order: ModuleOrder,
    pub modules: Vec<Module>,
    /// Courses to complete first (their codes).
    #[serde(default)]
    pub prerequisites: Vec<String>,
}

/// Where a learner is with one module of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModuleState {
    NotStarted,
    InProgress,
    /// Done: for an assessment or a package with a mastery score, passed.
    Completed,
    /// Finished without passing (an assessment or package failed); may be tried again within its limits.
    Failed,
}

/// How an attempt is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The course, module by module.
    #[default]
    Course,
    /// Assessment first: the required assessments are open at once, and passing them all completes the course.
    TestOut,
    /// A test-out whose assessment was failed: the attempt goes on as the course.
    TestOutFailed,
}

/// A problem with a course draft, naming the module where there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CourseProblem {
    pub field: String,
    pub reason: String,
}

impl CourseVersion {
    /// Checks a draft before it is published: every problem at once, so an author fixes them in one go.
    pub fn check(&self) -> Result<(), Vec<CourseProblem>> {
        let mut problems = Vec::new();
        let mut add = |field: &str, reason: String| {
            problems.push(CourseProblem {
                field: field.into(),
                reason,
            })
        };
        if self.title.trim().is_empty() {
            add("title", "a course needs a title".into());
        }
        if !valid_code(&self.code) {
            add(
                "code",
                format!(
                    "{:?} is not a course code: use lower-case letters, digits and dashes",
                    self.code
                ),
            );
        }
        if self.modules.is_empty() {
            add("modules", "a course needs at least one module".into());
        } else if !self.modules.iter().any(|m| m.required) {
            add(
                "modules",
                "at least one module must be required, or the course completes itself".into(),
            );
        }
        let mut keys = BTreeSet::new();
        for (i, m) in self.modules.iter().enumerate() {
            let field = format!("modules[{}]", i + 1);
            if !keys.insert(m.key.as_str()) {
                add(&field, format!("the module key {:?} is used twice", m.key));
            }
            if !valid_code(&m.key) {
                add(
                    &field,
                    format!(
                        "{:?} is not a module key: use lower-case letters, digits and dashes",
                        m.key
                    ),
                );
            }
            if m.title.trim().is_empty() {
                add(&field, "a module needs a title".into());
            }
            if let ModuleKind::Lesson { markdown } = &m.kind
                && markdown.trim().is_empty()
            {
                add(&field, "the lesson has no text".into());
            }
            // The simulations a course may include are the ones Lantern ships (lantern_sim::shipped) for one learner.
            let team = |id: &str| {
                lantern_sim::shipped::find(id)
                    .and_then(|(name, text)| lantern_sim::scenario::parse(name, text).ok())
                    .is_some_and(|s| !s.roles.is_empty())
            };
            if let ModuleKind::Simulation { scenario } = &m.kind
                && team(scenario)
            {
                add(
                    &field,
                    format!(
                        "{scenario:?} is played by a team, which a course module cannot be yet"
                    ),
                );
            } else if let ModuleKind::Simulation { scenario } = &m.kind
                && lantern_sim::shipped::find(scenario).is_none()
            {
                let known: Vec<&str> = lantern_sim::shipped::SHIPPED
                    .iter()
                    .map(|(name, _)| name.trim_end_matches(".toml"))
                    .collect();
                add(
                    &field,
                    format!(
                        "{scenario:?} is not a simulation Lantern has (it has {})",
                        known.join(", ")
                    ),
                );
            }
        }
        let mut seen = BTreeSet::new();
        for s in &self.satisfies {
            if !seen.insert(s) {
                add(
                    "satisfies",
                    format!("{} level {} is listed twice", s.subject, s.level),
                );
            }
        }
        if self.prerequisites.contains(&self.code) {
            add("prerequisites", "a course cannot require itself".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    pub fn estimated_minutes(&self) -> u32 {
        self.modules.iter().map(|m| m.estimated_minutes).sum()
    }

    /// The next version of this course from a checked draft: the number goes up, the code stays.
    pub fn next_version(&self, mut draft: CourseVersion) -> CourseVersion {
        draft.code = self.code.clone();
        draft.version = self.version + 1;
        draft
    }

    /// Whether a person may test out of this course: it has a required assessment, and something besides.
    pub fn can_test_out(&self) -> bool {
        let required = || self.modules.iter().filter(|m| m.required);
        required().any(|m| matches!(m.kind, ModuleKind::Assessment { .. }))
            && required().any(|m| !matches!(m.kind, ModuleKind::Assessment { .. }))
    }

    /// Which modules a learner may open, given each module's state (in module order).
    pub fn open(&self, states: &[ModuleState]) -> Vec<bool> {
        self.open_in(Mode::Course, states)
    }

    /// Which modules a learner may open in an attempt of this mode: in a live test-out, the required assessments
    /// too, whatever comes before them.
    pub fn open_in(&self, mode: Mode, states: &[ModuleState]) -> Vec<bool> {
        let mut open = self.course_open(states);
        if mode == Mode::TestOut {
            for (i, m) in self.modules.iter().enumerate() {
                if m.required && matches!(m.kind, ModuleKind::Assessment { .. }) {
                    open[i] = true;
                }
            }
        }
        open
    }

    fn course_open(&self, states: &[ModuleState]) -> Vec<bool> {
        let mut blocked = false;
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let state = states.get(i).copied().unwrap_or(ModuleState::NotStarted);
                let open = self.order == ModuleOrder::Free || !blocked;
                if self.order == ModuleOrder::InOrder
                    && m.required
                    && state != ModuleState::Completed
                {
                    blocked = true;
                }
                open
            })
            .collect()
    }

    /// Where an attempt stands.
    pub fn progress(&self, states: &[ModuleState]) -> Progress {
        self.progress_in(Mode::Course, states)
    }

    /// Where an attempt of this mode stands: a live test-out needs only its required assessments.
    pub fn progress_in(&self, mode: Mode, states: &[ModuleState]) -> Progress {
        let state = |i: usize| states.get(i).copied().unwrap_or(ModuleState::NotStarted);
        let counts = |m: &Module| {
            m.required && (mode != Mode::TestOut || matches!(m.kind, ModuleKind::Assessment { .. }))
        };
        let required: Vec<usize> = (0..self.modules.len())
            .filter(|&i| counts(&self.modules[i]))
            .collect();
        let done = required
            .iter()
            .filter(|&&i| state(i) == ModuleState::Completed)
            .count();
        let open = self.open_in(mode, states);
        let next = (0..self.modules.len())
            .find(|&i| open[i] && counts(&self.modules[i]) && state(i) != ModuleState::Completed);
        let minutes_left = (0..self.modules.len())
            .filter(|&i| counts(&self.modules[i]) && state(i) != ModuleState::Completed)
            .map(|i| self.modules[i].estimated_minutes)
            .sum();
        Progress {
            complete: done == required.len() && !required.is_empty(),
            required: required.len(),
            done,
            next,
            minutes_left,
        }
    }

    /// The record source a completion in this mode carries: `assessment` for a test-out passed, else the course's.
    pub fn record_source_in(&self, mode: Mode) -> RecordSource {
        match mode {
            Mode::TestOut => RecordSource::Assessment,
            Mode::Course | Mode::TestOutFailed => self.record_source(),
        }
    }

    /// The record source a completion of this course carries: `assessment` when every required module is an
    /// assessment, else `elearning`.
    pub fn record_source(&self) -> RecordSource {
        let all_assessments = self
            .modules
            .iter()
            .filter(|m| m.required)
            .all(|m| matches!(m.kind, ModuleKind::Assessment { .. }));
        if all_assessments {
            RecordSource::Assessment
        } else {
            RecordSource::Elearning
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSource {
    Elearning,
    Assessment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub complete: bool,
    pub required: usize,
    pub done: usize,
    /// The first open required module not yet complete: the "continue" button.
    pub next: Option<usize>,
    pub minutes_left: u32,
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 80
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !code.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(key: &str, kind: ModuleKind, required: bool) -> Module {
        Module {
            key: key.into(),
            title: format!("Module {key}"),
            kind,
            required,
            estimated_minutes: 10,
        }
    }

    fn lesson(key: &str) -> Module {
        module(
            key,
            ModuleKind::Lesson {
                markdown: "# Text".into(),
            },
            true,
        )
    }

    fn assessment(key: &str) -> Module {
        module(
            key,
            ModuleKind::Assessment {
                bank: "fire".into(),
                rules: Rules::default(),
            },
            true,
        )
    }

    fn course(order: ModuleOrder, modules: Vec<Module>) -> CourseVersion {
        CourseVersion {
            code: "cstf-fire-safety-1".into(),
            version: 1,
            title: "Fire safety".into(),
            summary: "What to do in a fire".into(),
            satisfies: vec![Satisfies {
                subject: Subject::from_static("cstf.fire_safety"),
                level: 1,
            }],
            order,
            modules,
            prerequisites: vec![],
        }
    }

    use ModuleState::*;

    #[test]
    fn in_order_modules_open_one_after_another_and_optional_ones_never_block() {
        let mut reading = lesson("reading");
        reading.required = false;
        let c = course(
            ModuleOrder::InOrder,
            vec![lesson("intro"), reading, assessment("check")],
        );
        assert_eq!(
            c.open(&[NotStarted, NotStarted, NotStarted]),
            [true, false, false]
        );
        assert_eq!(
            c.open(&[Completed, NotStarted, NotStarted]),
            [true, true, true]
        );
        let p = c.progress(&[Completed, NotStarted, Failed]);
        assert_eq!(
            (p.complete, p.done, p.required, p.next, p.minutes_left),
            (false, 1, 2, Some(2), 10)
        );
        let p = c.progress(&[Completed, NotStarted, Completed]);
        assert!(
            p.complete,
            "the optional module does not hold completion back"
        );
        assert_eq!(p.next, None);
        let free = course(ModuleOrder::Free, c.modules.clone());
        assert_eq!(free.open(&[]), [true, true, true]);
    }

    #[test]
    fn a_test_out_opens_the_assessment_first_and_a_pass_completes_without_the_lesson() {
        let c = course(
            ModuleOrder::InOrder,
            vec![lesson("intro"), lesson("more"), assessment("check")],
        );
        assert!(c.can_test_out());
        assert!(!course(ModuleOrder::InOrder, vec![assessment("a")]).can_test_out());
        assert!(!course(ModuleOrder::InOrder, vec![lesson("l")]).can_test_out());
        let none = [NotStarted, NotStarted, NotStarted];
        assert_eq!(c.open_in(Mode::TestOut, &none), [true, false, true]);
        let p = c.progress_in(Mode::TestOut, &none);
        assert_eq!((p.next, p.required, p.minutes_left), (Some(2), 1, 10));
        let passed = [NotStarted, NotStarted, Completed];
        assert!(c.progress_in(Mode::TestOut, &passed).complete);
        assert!(!c.progress(&passed).complete, "the course itself is not");
        assert_eq!(c.record_source_in(Mode::TestOut), RecordSource::Assessment);
        // A fail ends the test-out: the assessment waits for the lessons, and the course is needed whole.
        let failed = [NotStarted, NotStarted, Failed];
        assert_eq!(
            c.open_in(Mode::TestOutFailed, &failed),
            [true, false, false]
        );
        let p = c.progress_in(Mode::TestOutFailed, &failed);
        assert_eq!((p.next, p.required), (Some(0), 3));
        assert_eq!(
            c.record_source_in(Mode::TestOutFailed),
            RecordSource::Elearning
        );
    }

    #[test]
    fn the_record_source_is_assessment_only_for_a_course_of_assessments() {
        assert_eq!(
            course(ModuleOrder::InOrder, vec![assessment("a")]).record_source(),
            RecordSource::Assessment
        );
        assert_eq!(
            course(ModuleOrder::InOrder, vec![lesson("l"), assessment("a")]).record_source(),
            RecordSource::Elearning
        );
    }

    #[test]
    fn a_draft_with_problems_lists_them_all_by_field() {
        let mut c = course(
            ModuleOrder::InOrder,
            vec![
                lesson("intro"),
                lesson("intro"),
                module(
                    "Bad Key",
                    ModuleKind::Lesson {
                        markdown: " ".into(),
                    },
                    true,
                ),
            ],
        );
        c.title = " ".into();
        c.satisfies.push(c.satisfies[0].clone());
        c.prerequisites.push(c.code.clone());
        let problems = c.check().unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "title: a course needs a title",
                "modules[2]: the module key \"intro\" is used twice",
                "modules[3]: \"Bad Key\" is not a module key: use lower-case letters, digits and dashes",
                "modules[3]: the lesson has no text",
                "satisfies: cstf.fire_safety level 1 is listed twice",
                "prerequisites: a course cannot require itself",
            ]
        );
        let sim = |scenario: &str| {
            module(
                "practice",
                ModuleKind::Simulation {
                    scenario: scenario.into(),
                },
                true,
            )
        };
        assert!(
            course(ModuleOrder::Free, vec![sim("sepsis-post-op")])
                .check()
                .is_ok()
        );
        let problems = course(ModuleOrder::Free, vec![sim("sepsis")])
            .check()
            .unwrap_err();
        assert_eq!(problems[0].field, "modules[1]");
        assert!(
            problems[0]
                .reason
                .starts_with("\"sepsis\" is not a simulation Lantern has (it has sepsis-post-op, "),
            "{problems:?}"
        );
        let problems = course(ModuleOrder::Free, vec![sim("sepsis-post-op-team")])
            .check()
            .unwrap_err();
        assert!(
            problems[0].reason.contains("played by a team"),
            "{problems:?}"
        );
        assert!(course(ModuleOrder::Free, vec![]).check().is_err());
        assert!(
            course(ModuleOrder::Free, vec![lesson("ok")])
                .check()
                .is_ok()
        );
    }

    #[test]
    fn a_new_version_keeps_the_code_and_counts_up() {
        let v1 = course(ModuleOrder::InOrder, vec![lesson("intro")]);
        let mut draft = v1.clone();
        draft.code = "something-else".into();
        draft.title = "Fire safety (2027)".into();
        let v2 = v1.next_version(draft);
        assert_eq!(
            (v2.code.as_str(), v2.version, v2.title.as_str()),
            ("cstf-fire-safety-1", 2, "Fire safety (2027)")
        );
        assert_eq!(v1.version, 1, "the published version is untouched");
    }
}
