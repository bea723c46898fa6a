//! The project's own courses (`courses/*.toml`), compiled in and published to every organisation of the demo world,
//! so a demo learner with a gap can close it in Lantern. Each file is a course and the question bank its assessment
//! draws from; `lantern_learning` checks both when they are published.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use lantern_domain::Timestamp;
use lantern_learning::assessment::Question;
use lantern_learning::course::CourseVersion;
use lantern_store::{Backend, Store};

/// A course file under `courses/`, by name, with its text compiled in.
macro_rules! course_file {
    ($name:literal) => {
        ($name, include_str!(concat!("../../../../courses/", $name)))
    };
}

/// One course per subject of the Core Skills Training Framework at level 1, the level for all staff (and infection
/// prevention and control at level 2, for staff who give care, which a course can teach without a practical
/// session), AI in clinical practice for the AI and digital capability framework, and recognising and responding
/// to deterioration, whose simulations are played in Lantern's player.
const FILES: &[(&str, &str)] = &[
    course_file!("cstf-conflict-resolution-1.toml"),
    course_file!("cstf-equality-diversity-human-rights-1.toml"),
    course_file!("cstf-fire-safety-1.toml"),
    course_file!("cstf-health-safety-welfare-1.toml"),
    course_file!("cstf-infection-prevention-1.toml"),
    course_file!("cstf-infection-prevention-2.toml"),
    course_file!("cstf-information-governance-1.toml"),
    course_file!("cstf-moving-handling-1.toml"),
    course_file!("cstf-preventing-radicalisation-1.toml"),
    course_file!("cstf-resuscitation-1.toml"),
    course_file!("cstf-safeguarding-adults-1.toml"),
    course_file!("cstf-safeguarding-children-1.toml"),
    course_file!("ai-in-clinical-practice.toml"),
    course_file!("clinical-deterioration-1.toml"),
];

#[derive(serde::Deserialize)]
pub struct CourseFile {
    pub course: CourseVersion,
    pub bank: BankFile,
}

#[derive(serde::Deserialize)]
pub struct BankFile {
    pub code: String,
    pub questions: Vec<Question>,
}

/// The built-in course files, parsed; an error names the file.
pub fn built_in() -> anyhow::Result<Vec<CourseFile>> {
    FILES
        .iter()
        .map(|(name, text)| {
            toml::from_str(text).map_err(|e| anyhow::anyhow!("courses/{name}: {e}"))
        })
        .collect()
}

/// Publishes every built-in course (and its bank) to every organisation. Returns how many courses were published.
/// Each publication is its own transaction: one at a time, a dozen courses for the demo's 22 organisations took
/// seconds on PostgreSQL, so there organisations are published to several at a time (SQLite has one writer, and
/// writers waiting on its lock only slow each other). Within an organisation, a bank comes before the course that
/// draws from it.
pub async fn publish(store: &dyn Store, now: Timestamp) -> anyhow::Result<usize> {
    let at_once = match store.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => 8,
    };
    let files = built_in()?;
    let orgs = store.list_orgs(&lantern_store::Scope::Platform).await?;
    stream::iter(&orgs)
        .map(Ok)
        .try_for_each_concurrent(at_once, |o| {
            let files = &files;
            async move {
                for f in files {
                    store
                        .publish_bank(o.org.id, None, now, &f.bank.code, &f.bank.questions)
                        .await
                        .map_err(|e| anyhow::anyhow!("bank {}: {e:?}", f.bank.code))?;
                    store
                        .publish_course(o.org.id, None, now, &f.course)
                        .await
                        .map_err(|e| anyhow::anyhow!("course {}: {e:?}", f.course.code))?;
                }
                anyhow::Ok(())
            }
        })
        .await?;
    Ok(orgs.len() * files.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_learning::course::ModuleKind;
    use std::collections::BTreeSet;

    #[test]
    fn the_built_in_courses_parse_check_and_draw() {
        let files = built_in().expect("the course files parse");
        assert_eq!(files.len(), FILES.len());
        for (f, (name, _)) in files.iter().zip(FILES) {
            let code = &f.course.code;
            assert_eq!(
                format!("{code}.toml"),
                *name,
                "a file is named by its course"
            );
            assert_eq!(
                &f.bank.code, code,
                "{name}: the bank is named by its course"
            );
            f.course.check().unwrap_or_else(|p| panic!("{code}: {p:?}"));
            assert!(
                f.bank.questions.len() >= 10,
                "{code}: at least 10 questions"
            );
            let outcomes: BTreeSet<&str> = f
                .bank
                .questions
                .iter()
                .map(|q| q.outcome.as_str())
                .collect();
            assert!(outcomes.len() >= 3, "{code}: at least 3 learning outcomes");
            for q in &f.bank.questions {
                q.check().unwrap_or_else(|e| panic!("{code}: {e}"));
                assert!(
                    q.explanation
                        .as_deref()
                        .is_some_and(|e| !e.trim().is_empty()),
                    "{code}: question {} explains its answer",
                    q.id
                );
                // As the national e-learning does: every wrong answer says why it is wrong.
                for o in q.options.iter().filter(|o| !o.correct) {
                    assert!(
                        o.feedback.as_deref().is_some_and(|f| !f.trim().is_empty()),
                        "{code}: question {} option {} gives feedback",
                        q.id,
                        o.id
                    );
                }
            }
            let mut assessed = false;
            for m in &f.course.modules {
                match &m.kind {
                    ModuleKind::Assessment { bank, rules } => {
                        assert_eq!(bank, &f.bank.code);
                        let paper = lantern_learning::assessment::draw(&f.bank.questions, rules, 1)
                            .expect("draws");
                        assert_eq!(paper.len(), rules.per_outcome * outcomes.len());
                        assessed = true;
                    }
                    // Content written for Lantern cites where its facts come from.
                    ModuleKind::Lesson { markdown } => assert!(
                        markdown.contains("\nSources: "),
                        "{code}: lesson {} cites its sources",
                        m.key
                    ),
                    // `check` above has made sure the scenario is one Lantern ships.
                    ModuleKind::Simulation { .. } => {}
                    other => panic!(
                        "{code}: a built-in course is lessons, simulations and assessments, not {other:?}"
                    ),
                }
            }
            assert!(assessed, "{code}: the course ends in an assessment");
        }
    }

    /// Each course names a subject and level exactly as a built-in framework file does, or its completion would
    /// make a record no rule reads; and every CSTF subject has a course at the level all staff need.
    #[test]
    fn the_built_in_courses_satisfy_the_frameworks_subjects() {
        let frameworks = lantern_domain::framework::built_in().expect("the frameworks parse");
        let levels = |subject: &str| {
            frameworks
                .iter()
                .flat_map(|f| &f.competencies)
                .find(|c| c.code == subject)
                .map(|c| c.levels.len())
        };
        let ruled: BTreeSet<(&str, u8)> = frameworks
            .iter()
            .flat_map(|f| &f.rules)
            .map(|r| (r.subject.as_str(), r.level))
            .collect();
        let files = built_in().expect("the course files parse");
        let mut satisfied = BTreeSet::new();
        for f in &files {
            assert!(!f.course.satisfies.is_empty(), "{}", f.course.code);
            for s in &f.course.satisfies {
                let n = levels(&s.subject)
                    .unwrap_or_else(|| panic!("{}: no framework has {}", f.course.code, s.subject));
                assert!(
                    (1..=n).contains(&usize::from(s.level)),
                    "{}: {} has no level {}",
                    f.course.code,
                    s.subject,
                    s.level
                );
                assert!(
                    ruled.contains(&(s.subject.as_str(), s.level)),
                    "{}: no rule asks for {} level {}",
                    f.course.code,
                    s.subject,
                    s.level
                );
                satisfied.insert((s.subject.clone(), s.level));
            }
        }
        let cstf = frameworks
            .iter()
            .find(|f| f.framework.code == "cstf-england")
            .expect("the CSTF");
        assert_eq!(
            cstf.competencies.len(),
            11,
            "the CSTF England has 11 subjects"
        );
        for c in &cstf.competencies {
            assert!(
                satisfied.contains(&(c.code.clone(), 1)),
                "no built-in course for {} level 1",
                c.code
            );
        }
        assert!(
            satisfied.iter().any(|(s, _)| s.starts_with("ai.")),
            "a course for the AI and digital capability framework"
        );
    }
}
