//! The bank editor's form, to and from questions. Like the course editor's, it posts the whole bank each time:
//! questions are numbered fields (`q2_stem`), options within them (`q2_o3_text`); a blank option slot is ignored.

use super::{Fields, Problem};
use lantern_learning::assessment::{AnswerOption, Question, QuestionKind};

#[derive(Clone, Debug, Default)]
pub struct OptionRow {
    pub id: String,
    pub text: String,
    pub correct: bool,
    pub feedback: String,
}

#[derive(Clone, Debug, Default)]
pub struct QuestionRow {
    pub id: String,
    pub outcome: String,
    pub kind: String,
    pub stem: String,
    pub explanation: String,
    pub options: Vec<OptionRow>,
}

impl QuestionRow {
    pub fn blank(n: usize) -> Self {
        QuestionRow {
            id: format!("q{n}"),
            kind: QuestionKind::SingleAnswer.code().to_owned(),
            ..QuestionRow::default()
        }
    }

    /// The options with blank slots to add more: at least four in all, and one spare.
    pub fn slots(&self) -> Vec<OptionRow> {
        let mut out = self.options.clone();
        let want = (out.len() + 1).max(4);
        while out.len() < want {
            out.push(OptionRow::default());
        }
        out
    }
}

#[derive(Clone, Debug, Default)]
pub struct BankForm {
    pub code: String,
    pub questions: Vec<QuestionRow>,
}

impl BankForm {
    pub fn from_questions(code: &str, questions: &[Question]) -> Self {
        BankForm {
            code: code.to_owned(),
            questions: questions
                .iter()
                .map(|q| QuestionRow {
                    id: q.id.clone(),
                    outcome: q.outcome.clone(),
                    kind: q.kind.code().to_owned(),
                    stem: q.stem.clone(),
                    explanation: q.explanation.clone().unwrap_or_default(),
                    options: q
                        .options
                        .iter()
                        .map(|o| OptionRow {
                            id: o.id.clone(),
                            text: o.text.clone(),
                            correct: o.correct,
                            feedback: o.feedback.clone().unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    pub fn from_fields(f: &Fields) -> Self {
        let questions = f
            .indexes("q", "_stem")
            .into_iter()
            .filter(|i| !f.has(&format!("q{i}_remove")))
            .map(|i| {
                let g = |name: &str| f.get(&format!("q{i}_{name}")).to_owned();
                let prefix = format!("q{i}_o");
                let options = f
                    .indexes(&prefix, "_text")
                    .into_iter()
                    .map(|j| {
                        let o = |name: &str| f.get(&format!("{prefix}{j}_{name}")).to_owned();
                        OptionRow {
                            id: o("id"),
                            text: o("text"),
                            correct: f.has(&format!("{prefix}{j}_correct")),
                            feedback: o("feedback"),
                        }
                    })
                    .filter(|o| !o.text.is_empty() || !o.feedback.is_empty())
                    .collect();
                QuestionRow {
                    id: g("id"),
                    outcome: g("outcome"),
                    kind: g("kind"),
                    stem: g("stem"),
                    explanation: g("explanation"),
                    options,
                }
            })
            .collect();
        BankForm {
            code: f.get("code").to_owned(),
            questions,
        }
    }

    /// The questions, with every problem that would stop the bank being published.
    pub fn to_questions(&self) -> (Vec<Question>, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        let questions: Vec<Question> = self
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let kind = QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::SingleAnswer);
                let mut options: Vec<AnswerOption> = Vec::new();
                for (j, o) in q.options.iter().enumerate() {
                    let mut text = o.text.clone();
                    if kind == QuestionKind::TrueFalse && text.is_empty() {
                        text = ["True", "False"].get(j).unwrap_or(&"").to_string();
                    }
                    // A new option gets the next free letter; an existing one keeps its id across versions.
                    let id = if o.id.is_empty() {
                        ('a'..='z')
                            .map(String::from)
                            .find(|l| {
                                !options.iter().any(|x| &x.id == l)
                                    && !q.options.iter().any(|x| &x.id == l)
                            })
                            .unwrap_or_else(|| format!("o{j}"))
                    } else {
                        o.id.clone()
                    };
                    options.push(AnswerOption {
                        id,
                        text,
                        correct: o.correct,
                        feedback: Some(o.feedback.clone()).filter(|f| !f.is_empty()),
                    });
                }
                let question = Question {
                    id: q.id.clone(),
                    outcome: q.outcome.clone(),
                    kind,
                    stem: q.stem.clone(),
                    options,
                    explanation: Some(q.explanation.clone()).filter(|e| !e.is_empty()),
                };
                if let Err(e) = question.check() {
                    problems.push(Problem::new(
                        format!("q{i}_stem"),
                        format!("Question {}: {}", i + 1, e.reason),
                    ));
                }
                if !q.id.is_empty() && !ids.insert(q.id.clone()) {
                    problems.push(Problem::new(
                        format!("q{i}_id"),
                        format!("Question {}: the id {:?} is used twice", i + 1, q.id),
                    ));
                }
                question
            })
            .collect();
        if questions.is_empty() {
            problems.push(Problem::new(
                "questions",
                "A bank needs at least one question",
            ));
        }
        (questions, problems)
    }
}

/// Whether a code can name a bank or course: lower-case letters, digits, dashes and dots.
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 80
        && !code.starts_with('-')
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_goes_through_the_form_and_blank_slots_are_ignored() {
        let pairs: Vec<(String, String)> = [
            ("code", "fire"),
            ("q0_id", "alarm"),
            ("q0_outcome", "raise-the-alarm"),
            ("q0_kind", "single"),
            ("q0_stem", "What first?"),
            ("q0_explanation", "Fire Safety Order 2005"),
            ("q0_o0_id", "a"),
            ("q0_o0_text", "Raise the alarm"),
            ("q0_o0_correct", "on"),
            ("q0_o0_feedback", "Yes"),
            ("q0_o1_id", ""),
            ("q0_o1_text", "Open the door"),
            ("q0_o1_feedback", ""),
            ("q0_o2_id", ""),
            ("q0_o2_text", ""),
            ("q0_o2_feedback", ""),
            ("q1_id", "rises"),
            ("q1_outcome", "smoke"),
            ("q1_kind", "true_false"),
            ("q1_stem", "Smoke rises"),
            ("q1_explanation", ""),
            ("q1_o0_text", ""),
            ("q1_o0_correct", "on"),
            ("q1_o0_feedback", "It does"),
            ("q1_o1_text", ""),
            ("q1_o1_feedback", "Hot gases rise"),
            ("q2_id", "gone"),
            ("q2_stem", "Removed"),
            ("q2_remove", "on"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = BankForm::from_fields(&Fields::new(pairs));
        let (questions, problems) = form.to_questions();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(questions.len(), 2);
        let ids: Vec<(&str, &str, bool)> = questions[0]
            .options
            .iter()
            .map(|o| (o.id.as_str(), o.text.as_str(), o.correct))
            .collect();
        assert_eq!(
            ids,
            [
                ("a", "Raise the alarm", true),
                ("b", "Open the door", false)
            ]
        );
        assert_eq!(questions[1].kind, QuestionKind::TrueFalse);
        assert_eq!(questions[1].options[0].text, "True");
        assert_eq!(
            questions[1].options[1].feedback.as_deref(),
            Some("Hot gases rise")
        );
        let back = BankForm::from_questions("fire", &questions);
        assert_eq!(back.questions[0].options.len(), 2);
        assert_eq!(back.questions[0].slots().len(), 4);
    }

    #[test]
    fn problems_name_the_question() {
        let form = BankForm {
            code: "x".into(),
            questions: vec![QuestionRow {
                id: "q1".into(),
                outcome: "o".into(),
                kind: "single".into(),
                stem: "Which?".into(),
                explanation: String::new(),
                options: vec![
                    OptionRow {
                        text: "A".into(),
                        ..OptionRow::default()
                    },
                    OptionRow {
                        text: "B".into(),
                        ..OptionRow::default()
                    },
                ],
            }],
        };
        let (_, problems) = form.to_questions();
        assert_eq!(
            problems,
            [Problem::new(
                "q0_stem",
                "Question 1: a single-answer question has exactly one correct option, not 0"
            )]
        );
        assert!(valid_code("fire-1") && !valid_code("Fire") && !valid_code("a@b"));
    }
}
