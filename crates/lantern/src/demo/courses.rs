//! The project's own courses (`courses/*.toml`), compiled in and published to every organisation of the demo world,
//! so a demo learner with a gap can close it in Lantern. Each file is a course and the question bank its assessment
//! draws from; `lantern_learning` checks both when they are published.

use lantern_domain::Timestamp;
use lantern_learning::assessment::Question;
use lantern_learning::course::CourseVersion;
use lantern_store::Store;

const FILES: &[(&str, &str)] = &[
    (
        "cstf-fire-safety-1.toml",
        include_str!("../../../../courses/cstf-fire-safety-1.toml"),
    ),
    (
        "cstf-infection-prevention-1.toml",
        include_str!("../../../../courses/cstf-infection-prevention-1.toml"),
    ),
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
pub async fn publish(store: &dyn Store, now: Timestamp) -> anyhow::Result<usize> {
    let files = built_in()?;
    let mut published = 0;
    for o in store.list_orgs(&lantern_store::Scope::Platform).await? {
        for f in &files {
            store
                .publish_bank(o.org.id, None, now, &f.bank.code, &f.bank.questions)
                .await
                .map_err(|e| anyhow::anyhow!("bank {}: {e:?}", f.bank.code))?;
            store
                .publish_course(o.org.id, None, now, &f.course)
                .await
                .map_err(|e| anyhow::anyhow!("course {}: {e:?}", f.course.code))?;
            published += 1;
        }
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_courses_parse_check_and_draw() {
        let files = built_in().expect("the course files parse");
        assert!(!files.is_empty());
        for f in &files {
            f.course
                .check()
                .unwrap_or_else(|p| panic!("{}: {p:?}", f.course.code));
            assert!(
                f.bank.questions.len() >= 10,
                "{}: at least 10 questions",
                f.bank.code
            );
            let outcomes: std::collections::BTreeSet<&str> = f
                .bank
                .questions
                .iter()
                .map(|q| q.outcome.as_str())
                .collect();
            assert!(
                outcomes.len() >= 3,
                "{}: at least 3 learning outcomes",
                f.bank.code
            );
            for m in &f.course.modules {
                if let lantern_learning::course::ModuleKind::Assessment { bank, rules } = &m.kind {
                    assert_eq!(bank, &f.bank.code);
                    let paper = lantern_learning::assessment::draw(&f.bank.questions, rules, 1)
                        .expect("draws");
                    assert_eq!(paper.len(), rules.per_outcome * outcomes.len());
                }
            }
        }
    }
}
