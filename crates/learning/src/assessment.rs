//! Assessments: question banks tagged by learning outcome, a seeded random draw, marking, and item statistics for
//! authors.
//!
//! The national statutory and mandatory e-learning draws a couple of questions per learning outcome and passes at
//! 80%; those are the defaults here, and an organisation may change them per assessment. A question is right only
//! when the chosen options are exactly the correct ones (no part marks: a half-right answer on infection control is
//! not safe practice). Nothing here sees a clock or a random source it is not handed: the draw takes its seed.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One correct option among several.
    SingleAnswer,
    /// One or more correct options; all of them, and only them, must be chosen.
    MultipleAnswer,
    /// Two options, "True" and "False", one correct.
    TrueFalse,
}

impl QuestionKind {
    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::SingleAnswer => "single",
            QuestionKind::MultipleAnswer => "multiple",
            QuestionKind::TrueFalse => "true_false",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::SingleAnswer, Self::MultipleAnswer, Self::TrueFalse]
            .into_iter()
            .find(|k| k.code() == text.trim())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerOption {
    /// Stable within its question ("a", "b", ... or an author's id).
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub correct: bool,
    /// Shown after submission beside this option: why it is right or wrong.
    #[serde(default)]
    pub feedback: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    /// The learning outcome it tests (draws take questions per outcome).
    pub outcome: String,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<AnswerOption>,
    /// Shown after submission: the reasoning, with its source.
    #[serde(default)]
    pub explanation: Option<String>,
}

/// A question that cannot be asked as written, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("question {question}: {reason}")]
pub struct QuestionError {
    pub question: String,
    pub reason: String,
}

impl Question {
    /// Checks that the question can be asked and marked.
    pub fn check(&self) -> Result<(), QuestionError> {
        let fail = |reason: String| {
            Err(QuestionError {
                question: self.id.clone(),
                reason,
            })
        };
        if self.id.trim().is_empty() {
            return fail("the question has no id".into());
        }
        if self.stem.trim().is_empty() {
            return fail("the question has no text".into());
        }
        if self.outcome.trim().is_empty() {
            return fail("the question names no learning outcome".into());
        }
        let mut ids = BTreeSet::new();
        for o in &self.options {
            if o.text.trim().is_empty() {
                return fail(format!("option {} has no text", o.id));
            }
            if !ids.insert(o.id.as_str()) {
                return fail(format!("option id {} is used twice", o.id));
            }
        }
        let correct = self.options.iter().filter(|o| o.correct).count();
        match self.kind {
            QuestionKind::TrueFalse if self.options.len() != 2 => {
                fail("a true/false question has exactly two options".into())
            }
            _ if self.options.len() < 2 => fail("a question needs at least two options".into()),
            QuestionKind::SingleAnswer | QuestionKind::TrueFalse if correct != 1 => fail(format!(
                "a {} question has exactly one correct option, not {correct}",
                if self.kind == QuestionKind::TrueFalse {
                    "true/false"
                } else {
                    "single-answer"
                }
            )),
            QuestionKind::MultipleAnswer if correct == 0 => {
                fail("a multiple-answer question needs at least one correct option".into())
            }
            _ => Ok(()),
        }
    }

    fn correct_ids(&self) -> BTreeSet<&str> {
        self.options
            .iter()
            .filter(|o| o.correct)
            .map(|o| o.id.as_str())
            .collect()
    }
}

/// How an assessment is drawn and passed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub per_outcome: usize,
    pub pass_percent: u8,
    /// Attempts a person may make before they must take the course again; None for no limit.
    pub attempt_limit: Option<u32>,
    /// Minutes allowed, enforced by the server from the attempt's start; None for no limit.
    pub time_limit_minutes: Option<u32>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            per_outcome: 2,
            pass_percent: 80,
            attempt_limit: Some(3),
            time_limit_minutes: None,
        }
    }
}

/// One question as drawn for one attempt, with its options in the order shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawn {
    pub question: String,
    pub option_order: Vec<String>,
}

/// Why a bank cannot give a paper under these rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("the bank has no questions")]
    Empty,
    #[error("{0}")]
    BadQuestion(#[from] QuestionError),
    #[error("learning outcome {outcome:?} has {has} questions; the draw takes {wants} per outcome")]
    TooFew {
        outcome: String,
        has: usize,
        wants: usize,
    },
}

/// Draws a paper: `per_outcome` questions from each learning outcome (outcomes in name order), each question's
/// options shuffled; true/false options keep their order (True, False), as people expect.
pub fn draw(bank: &[Question], rules: &Rules, seed: u64) -> Result<Vec<Drawn>, DrawError> {
    if bank.is_empty() {
        return Err(DrawError::Empty);
    }
    let mut by_outcome: BTreeMap<&str, Vec<&Question>> = BTreeMap::new();
    for q in bank {
        q.check()?;
        by_outcome.entry(q.outcome.as_str()).or_default().push(q);
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut paper = Vec::new();
    for (outcome, mut questions) in by_outcome {
        if questions.len() < rules.per_outcome {
            return Err(DrawError::TooFew {
                outcome: outcome.to_owned(),
                has: questions.len(),
                wants: rules.per_outcome,
            });
        }
        rng.shuffle(&mut questions);
        for q in questions.into_iter().take(rules.per_outcome) {
            let mut order: Vec<String> = q.options.iter().map(|o| o.id.clone()).collect();
            if q.kind != QuestionKind::TrueFalse {
                rng.shuffle(&mut order);
            }
            paper.push(Drawn {
                question: q.id.clone(),
                option_order: order,
            });
        }
    }
    Ok(paper)
}

/// The options a person chose, per question id.
pub type Answers = BTreeMap<String, BTreeSet<String>>;

/// A marked attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Marked {
    pub correct: usize,
    pub total: usize,
    /// Whole percent, rounded down (79.9% is not 80%).
    pub percent: u8,
    pub passed: bool,
    /// Per question in paper order: right or not.
    pub questions: Vec<(String, bool)>,
    /// Per learning outcome: (right, asked), for "you may want to revisit ...".
    pub outcomes: BTreeMap<String, (usize, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarkError {
    #[error("question {0} was not on this paper")]
    NotOnPaper(String),
    #[error("question {question}: option {option} is not one of its options")]
    UnknownOption { question: String, option: String },
    #[error("question {0}: only one option may be chosen")]
    OneOnly(String),
    #[error("question {0} is on the paper but no longer in the bank")]
    Missing(String),
}

/// Marks answers to a drawn paper. An unanswered question is wrong; an answer to a question not on the paper, or
/// an option the question does not have, is refused (a tampered form, not a mistake).
pub fn mark(
    bank: &[Question],
    paper: &[Drawn],
    answers: &Answers,
    rules: &Rules,
) -> Result<Marked, MarkError> {
    let on_paper: BTreeSet<&str> = paper.iter().map(|d| d.question.as_str()).collect();
    if let Some(q) = answers.keys().find(|q| !on_paper.contains(q.as_str())) {
        return Err(MarkError::NotOnPaper(q.clone()));
    }
    let mut marked = Marked {
        correct: 0,
        total: paper.len(),
        percent: 0,
        passed: false,
        questions: Vec::new(),
        outcomes: BTreeMap::new(),
    };
    for d in paper {
        let q = bank
            .iter()
            .find(|q| q.id == d.question)
            .ok_or_else(|| MarkError::Missing(d.question.clone()))?;
        let chosen: BTreeSet<&str> = answers
            .get(&q.id)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        if let Some(o) = chosen
            .iter()
            .find(|o| !q.options.iter().any(|x| x.id == **o))
        {
            return Err(MarkError::UnknownOption {
                question: q.id.clone(),
                option: (*o).to_owned(),
            });
        }
        if q.kind != QuestionKind::MultipleAnswer && chosen.len() > 1 {
            return Err(MarkError::OneOnly(q.id.clone()));
        }
        let right = chosen == q.correct_ids();
        marked.correct += usize::from(right);
        marked.questions.push((q.id.clone(), right));
        let o = marked.outcomes.entry(q.outcome.clone()).or_default();
        o.0 += usize::from(right);
        o.1 += 1;
    }
    marked.percent = (marked.correct * 100)
        .checked_div(marked.total)
        .unwrap_or(0) as u8;
    marked.passed = marked.total > 0 && marked.percent >= rules.pass_percent;
    Ok(marked)
}

/// One attempt as item statistics see it: which questions it asked, whether each was right, and the attempt's
/// score.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub questions: Vec<(String, bool)>,
}

/// A question's statistics over the attempts that asked it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemStatistics {
    pub question: String,
    pub attempts: usize,
    /// Share answered right (0 to 1): the classical facility index.
    pub facility: f64,
    /// Point-biserial correlation between getting this question right and the rest of the attempt's score (the
    /// corrected item-total correlation); None when it cannot be computed (everyone right, everyone wrong, or no
    /// spread in the rest).
    pub discrimination: Option<f64>,
    pub flag: Option<ItemFlag>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFlag {
    /// Stronger candidates get it wrong more often than weaker ones: a wrong key or a misleading stem.
    NegativeDiscrimination,
    /// Fewer than one in five get it right: check the key and the wording.
    VeryHard,
    /// Nearly everyone gets it right: it tells nothing apart.
    VeryEasy,
}

/// Attempts below which no flag is raised: the figures are shown, but too noisy to judge.
pub const MIN_ATTEMPTS_FOR_FLAGS: usize = 20;

/// Facility and discrimination per question, in question id order.
pub fn item_statistics(responses: &[Response]) -> Vec<ItemStatistics> {
    // Each attempt's score as a share of the questions it asked.
    let mut per_question: BTreeMap<&str, Vec<(bool, f64)>> = BTreeMap::new();
    for r in responses {
        let n = r.questions.len();
        if n < 2 {
            continue;
        }
        let right = r.questions.iter().filter(|(_, ok)| *ok).count();
        for (q, ok) in &r.questions {
            // The rest of the attempt, without this question (so an item does not correlate with itself).
            let rest = (right - usize::from(*ok)) as f64 / (n - 1) as f64;
            per_question
                .entry(q.as_str())
                .or_default()
                .push((*ok, rest));
        }
    }
    per_question
        .into_iter()
        .map(|(q, rows)| {
            let n = rows.len() as f64;
            let p = rows.iter().filter(|(ok, _)| *ok).count() as f64 / n;
            let mean = rows.iter().map(|(_, s)| s).sum::<f64>() / n;
            let sd = (rows.iter().map(|(_, s)| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
            let group_mean = |want: bool| {
                let g: Vec<f64> = rows
                    .iter()
                    .filter(|(ok, _)| *ok == want)
                    .map(|(_, s)| *s)
                    .collect();
                g.iter().sum::<f64>() / g.len() as f64
            };
            let discrimination = (p > 0.0 && p < 1.0 && sd > 1e-12)
                .then(|| (group_mean(true) - group_mean(false)) / sd * (p * (1.0 - p)).sqrt());
            let flag = (rows.len() >= MIN_ATTEMPTS_FOR_FLAGS)
                .then(|| {
                    if discrimination.is_some_and(|d| d < 0.0) {
                        Some(ItemFlag::NegativeDiscrimination)
                    } else if p < 0.2 {
                        Some(ItemFlag::VeryHard)
                    } else if p > 0.95 {
                        Some(ItemFlag::VeryEasy)
                    } else {
                        None
                    }
                })
                .flatten();
            ItemStatistics {
                question: q.to_owned(),
                attempts: rows.len(),
                facility: p,
                discrimination,
                flag,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
