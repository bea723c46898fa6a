//! The course editor's form, to and from a course version. The form posts the whole course each time (no script
//! needed): modules are numbered fields (`m3_title`), put in order by their position field, and removed by a
//! checkbox; packages the editor does not edit (SCORM, cmi5, simulations) travel through it unchanged as JSON.

use super::{Fields, Problem, whole};
use lantern_domain::Subject;
use lantern_learning::assessment::Rules;
use lantern_learning::course::{
    CourseProblem, CourseVersion, Module, ModuleKind, ModuleOrder, Satisfies,
};

/// One module as the form shows it.
#[derive(Clone, Debug, Default)]
pub struct ModuleRow {
    pub key: String,
    pub title: String,
    /// "lesson", "assessment", or "other" for a kind kept as it is.
    pub kind: String,
    pub required: bool,
    pub minutes: String,
    pub markdown: String,
    pub bank: String,
    pub per_outcome: String,
    pub pass: String,
    pub attempts: String,
    pub time: String,
    /// A module of another kind, as JSON, with its label.
    pub other: String,
    pub other_label: String,
}

impl ModuleRow {
    pub fn lesson(n: usize) -> Self {
        ModuleRow {
            key: format!("lesson-{n}"),
            kind: "lesson".into(),
            required: true,
            minutes: "10".into(),
            ..ModuleRow::default()
        }
    }

    pub fn assessment(n: usize, bank: &str) -> Self {
        let rules = Rules::default();
        ModuleRow {
            key: format!("assessment-{n}"),
            title: "Assessment".into(),
            kind: "assessment".into(),
            required: true,
            minutes: "10".into(),
            bank: bank.to_owned(),
            per_outcome: rules.per_outcome.to_string(),
            pass: rules.pass_percent.to_string(),
            attempts: rules
                .attempt_limit
                .map(|a| a.to_string())
                .unwrap_or_default(),
            ..ModuleRow::default()
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct CourseForm {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub free_order: bool,
    /// (subject, level) rows; the editor adds one blank row.
    pub satisfies: Vec<(String, String)>,
    pub prerequisites: Vec<String>,
    pub modules: Vec<ModuleRow>,
}

impl CourseForm {
    pub fn from_course(c: &CourseVersion) -> Self {
        CourseForm {
            code: c.code.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            free_order: c.order == ModuleOrder::Free,
            satisfies: c
                .satisfies
                .iter()
                .map(|s| (s.subject.to_string(), s.level.to_string()))
                .collect(),
            prerequisites: c.prerequisites.clone(),
            modules: c
                .modules
                .iter()
                .map(|m| {
                    let mut row = ModuleRow {
                        key: m.key.clone(),
                        title: m.title.clone(),
                        required: m.required,
                        minutes: m.estimated_minutes.to_string(),
                        ..ModuleRow::default()
                    };
                    match &m.kind {
                        ModuleKind::Lesson { markdown } => {
                            row.kind = "lesson".into();
                            row.markdown = markdown.clone();
                        }
                        ModuleKind::Assessment { bank, rules } => {
                            row.kind = "assessment".into();
                            row.bank = bank.clone();
                            row.per_outcome = rules.per_outcome.to_string();
                            row.pass = rules.pass_percent.to_string();
                            row.attempts = rules
                                .attempt_limit
                                .map(|a| a.to_string())
                                .unwrap_or_default();
                            row.time = rules
                                .time_limit_minutes
                                .map(|a| a.to_string())
                                .unwrap_or_default();
                        }
                        other => {
                            row.kind = "other".into();
                            row.other = serde_json::to_string(other).unwrap_or_default();
                            row.other_label = other.label().to_owned();
                        }
                    }
                    row
                })
                .collect(),
        }
    }

    /// The form as posted (modules in the order of their position fields; removed ones left out).
    pub fn from_fields(f: &Fields) -> Self {
        let mut modules: Vec<(i64, usize, ModuleRow)> = f
            .indexes("m", "_key")
            .into_iter()
            .filter(|i| !f.has(&format!("m{i}_remove")))
            .map(|i| {
                let g = |name: &str| f.get(&format!("m{i}_{name}")).to_owned();
                let position = g("position").parse().unwrap_or(i as i64 + 1);
                let row = ModuleRow {
                    key: g("key"),
                    title: g("title"),
                    kind: g("kind"),
                    required: f.has(&format!("m{i}_required")),
                    minutes: g("minutes"),
                    markdown: f.raw(&format!("m{i}_markdown")),
                    bank: g("bank"),
                    per_outcome: g("per_outcome"),
                    pass: g("pass"),
                    attempts: g("attempts"),
                    time: g("time"),
                    other: g("other"),
                    other_label: g("other_label"),
                };
                (position, i, row)
            })
            .collect();
        modules.sort_by_key(|(p, i, _)| (*p, *i));
        CourseForm {
            code: f.get("code").to_owned(),
            title: f.get("title").to_owned(),
            summary: f.get("summary").to_owned(),
            free_order: f.get("order") == "free",
            satisfies: f
                .indexes("s", "_subject")
                .into_iter()
                .map(|i| {
                    (
                        f.get(&format!("s{i}_subject")).to_owned(),
                        f.get(&format!("s{i}_level")).to_owned(),
                    )
                })
                .filter(|(s, _)| !s.is_empty())
                .collect(),
            prerequisites: f
                .all("prerequisite")
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect(),
            modules: modules.into_iter().map(|(_, _, m)| m).collect(),
        }
    }

    /// The course the form describes, and what in it could not be read (numbers out of range).
    pub fn to_course(&self) -> (CourseVersion, Vec<Problem>) {
        let mut problems = Vec::new();
        let satisfies = self
            .satisfies
            .iter()
            .enumerate()
            .filter_map(|(i, (subject, level))| {
                let level = whole(
                    &mut problems,
                    &format!("s{i}_level"),
                    level,
                    "a level from 1 to 9",
                    |l: &u8| (1..=9).contains(l),
                    1,
                );
                match Subject::parse(subject) {
                    Ok(subject) => Some(Satisfies { subject, level }),
                    Err(e) => {
                        problems.push(Problem::new(
                            format!("s{i}_subject"),
                            format!("Choose a requirement from the list: {e}"),
                        ));
                        None
                    }
                }
            })
            .collect();
        let modules = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let field = |name: &str| format!("m{i}_{name}");
                let kind = match m.kind.as_str() {
                    "assessment" => ModuleKind::Assessment {
                        bank: m.bank.clone(),
                        rules: Rules {
                            per_outcome: whole(
                                &mut problems,
                                &field("per_outcome"),
                                &m.per_outcome,
                                "how many questions to draw per learning outcome, from 1 to 20",
                                |n: &usize| (1..=20).contains(n),
                                2,
                            ),
                            pass_percent: whole(
                                &mut problems,
                                &field("pass"),
                                &m.pass,
                                "a pass mark from 1 to 100 per cent",
                                |n: &u8| (1..=100).contains(n),
                                80,
                            ),
                            attempt_limit: optional(
                                &mut problems,
                                &field("attempts"),
                                &m.attempts,
                                "a number of tries from 1 to 20, or leave it empty for no limit",
                                1..=20,
                            ),
                            time_limit_minutes: optional(
                                &mut problems,
                                &field("time"),
                                &m.time,
                                "a time limit from 1 to 600 minutes, or leave it empty for none",
                                1..=600,
                            ),
                        },
                    },
                    "other" => match serde_json::from_str(&m.other) {
                        Ok(kind) => kind,
                        Err(_) => {
                            problems.push(Problem::new(
                                field("title"),
                                "This module's package could not be read back; remove it and add it again",
                            ));
                            ModuleKind::Lesson {
                                markdown: String::new(),
                            }
                        }
                    },
                    _ => ModuleKind::Lesson {
                        markdown: m.markdown.clone(),
                    },
                };
                Module {
                    key: m.key.clone(),
                    title: m.title.clone(),
                    kind,
                    required: m.required,
                    estimated_minutes: whole(
                        &mut problems,
                        &field("minutes"),
                        &m.minutes,
                        "the minutes it takes, from 1 to 600",
                        |n: &u32| (1..=600).contains(n),
                        10,
                    ),
                }
            })
            .collect();
        let course = CourseVersion {
            code: self.code.clone(),
            version: 0,
            title: self.title.clone(),
            summary: self.summary.clone(),
            satisfies,
            order: if self.free_order {
                ModuleOrder::Free
            } else {
                ModuleOrder::InOrder
            },
            modules,
            prerequisites: self.prerequisites.clone(),
        };
        (course, problems)
    }
}

fn optional(
    problems: &mut Vec<Problem>,
    field: &str,
    value: &str,
    what: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Option<u32> {
    if value.trim().is_empty() {
        return None;
    }
    match value.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            problems.push(Problem::new(field, format!("Enter {what}")));
            None
        }
    }
}

/// A course's problems (from its own checks or the store's) as form problems: "modules[2]" is the second module's
/// fieldset, a module named by key is found by its key.
pub fn course_problems(
    course: &CourseVersion,
    problems: impl IntoIterator<Item = (String, String)>,
) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|(field, message)| {
            let anchor = match field
                .strip_prefix("modules[")
                .and_then(|r| r.strip_suffix(']'))
            {
                Some(inner) => {
                    let i = inner
                        .parse::<usize>()
                        .ok()
                        .map(|n| n.saturating_sub(1))
                        .or_else(|| course.modules.iter().position(|m| m.key == inner));
                    match i {
                        Some(i) => format!("m{i}_title"),
                        None => "modules".to_owned(),
                    }
                }
                None => match field.as_str() {
                    "satisfies" => "s0_subject".to_owned(),
                    "prerequisites" => "prerequisites".to_owned(),
                    "modules" => "modules".to_owned(),
                    "summary" => "summary".to_owned(),
                    "code" => "code".to_owned(),
                    _ => "title".to_owned(),
                },
            };
            let message = match field.strip_prefix("modules[") {
                Some(_) => {
                    let title = anchor
                        .strip_prefix('m')
                        .and_then(|r| r.strip_suffix("_title"))
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|i| course.modules.get(i))
                        .map_or(String::new(), |m| format!("Module {:?}: ", m.title));
                    format!("{title}{message}")
                }
                None => capitalise(&message),
            };
            Problem::new(anchor, message)
        })
        .collect()
}

/// A course check's problems as (field, reason) pairs.
pub fn check_problems(p: Vec<CourseProblem>) -> Vec<(String, String)> {
    p.into_iter().map(|p| (p.field, p.reason)).collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_goes_through_the_form_unchanged() {
        let course = CourseVersion {
            code: "fire-1".into(),
            version: 0,
            title: "Fire".into(),
            summary: "Fire safety".into(),
            satisfies: vec![Satisfies {
                subject: Subject::from_static("cstf.fire_safety"),
                level: 1,
            }],
            order: ModuleOrder::InOrder,
            modules: vec![
                Module {
                    key: "intro".into(),
                    title: "Intro".into(),
                    kind: ModuleKind::Lesson {
                        markdown: "  # Heading\n\ntext".into(),
                    },
                    required: true,
                    estimated_minutes: 5,
                },
                Module {
                    key: "check".into(),
                    title: "Check".into(),
                    kind: ModuleKind::Assessment {
                        bank: "fire".into(),
                        rules: Rules {
                            time_limit_minutes: Some(20),
                            ..Rules::default()
                        },
                    },
                    required: true,
                    estimated_minutes: 10,
                },
                Module {
                    key: "pkg".into(),
                    title: "Package".into(),
                    kind: ModuleKind::Scorm {
                        package: "abc".into(),
                    },
                    required: false,
                    estimated_minutes: 15,
                },
            ],
            prerequisites: vec!["induction".into()],
        };
        let form = CourseForm::from_course(&course);
        // As the browser posts it: every field by name, positions as shown, unchecked boxes absent.
        let mut pairs: Vec<(String, String)> = vec![
            ("code".into(), form.code.clone()),
            ("title".into(), form.title.clone()),
            ("summary".into(), form.summary.clone()),
            ("order".into(), "in_order".into()),
            ("s0_subject".into(), "cstf.fire_safety".into()),
            ("s0_level".into(), "1".into()),
            ("s1_subject".into(), String::new()),
            ("s1_level".into(), String::new()),
            ("prerequisite".into(), "induction".into()),
        ];
        for (i, m) in form.modules.iter().enumerate() {
            let mut add = |k: &str, v: &str| pairs.push((format!("m{i}_{k}"), v.to_owned()));
            add("key", &m.key);
            add("title", &m.title);
            add("kind", &m.kind);
            add("position", &(i + 1).to_string());
            add("minutes", &m.minutes);
            add("markdown", &m.markdown.replace('\n', "\r\n"));
            add("bank", &m.bank);
            add("per_outcome", &m.per_outcome);
            add("pass", &m.pass);
            add("attempts", &m.attempts);
            add("time", &m.time);
            add("other", &m.other);
            if m.required {
                add("required", "on");
            }
        }
        let (back, problems) = CourseForm::from_fields(&Fields::new(pairs.clone())).to_course();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, course);

        // Moving the last module first and removing the lesson.
        pairs.retain(|(k, _)| k != "m2_position");
        pairs.push(("m2_position".into(), "0".into()));
        pairs.push(("m0_remove".into(), "on".into()));
        pairs.retain(|(k, _)| k != "m1_pass");
        pairs.push(("m1_pass".into(), "180".into()));
        let (moved, problems) = CourseForm::from_fields(&Fields::new(pairs)).to_course();
        let keys: Vec<&str> = moved.modules.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["pkg", "check"]);
        assert_eq!(
            problems,
            [Problem::new(
                "m1_pass",
                "Enter a pass mark from 1 to 100 per cent"
            )]
        );
    }

    #[test]
    fn check_problems_point_at_the_module_they_are_about() {
        let mut course = CourseVersion {
            code: "c".into(),
            version: 0,
            title: "C".into(),
            summary: String::new(),
            satisfies: vec![],
            order: ModuleOrder::Free,
            modules: vec![],
            prerequisites: vec![],
        };
        course.modules.push(Module {
            key: "quiz".into(),
            title: "Quiz".into(),
            kind: ModuleKind::Lesson {
                markdown: "x".into(),
            },
            required: true,
            estimated_minutes: 1,
        });
        let problems = course_problems(
            &course,
            [
                (
                    "modules[quiz]".to_owned(),
                    "no question bank \"x\"".to_owned(),
                ),
                ("modules[1]".to_owned(), "the lesson has no text".to_owned()),
                (
                    "prerequisites".to_owned(),
                    "these would make a cycle".to_owned(),
                ),
            ],
        );
        assert_eq!(
            problems,
            [
                Problem::new("m0_title", "Module \"Quiz\": no question bank \"x\""),
                Problem::new("m0_title", "Module \"Quiz\": the lesson has no text"),
                Problem::new("prerequisites", "These would make a cycle"),
            ]
        );
    }
}
