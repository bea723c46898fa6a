//! Question banks as CSV, for authors who keep questions in a spreadsheet: one row per answer option, the question's
//! own columns on its first row (later rows of the same question may repeat them or leave them blank). The columns
//! are described in docs/authoring.md. Import is all-or-nothing: every problem is reported at once by row (as a
//! spreadsheet numbers them, the header being row 1) and column, and no question is taken from a file with any.

use crate::assessment::{AnswerOption, Question, QuestionKind};

/// The columns, in the order export writes them. Import finds them by name, in any order.
pub const COLUMNS: [&str; 9] = [
    "question",
    "outcome",
    "kind",
    "stem",
    "explanation",
    "option",
    "text",
    "correct",
    "feedback",
];

/// One problem with an imported file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, column {column}: {reason}")]
pub struct CsvProblem {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

/// Writes a bank as CSV (with the header row), readable by [`import`].
pub fn export(questions: &[Question]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let row = |w: &mut csv::Writer<Vec<u8>>, cells: [&str; 9]| {
        w.write_record(cells)
            .expect("writing to memory cannot fail");
    };
    row(&mut w, COLUMNS);
    for q in questions {
        for (i, o) in q.options.iter().enumerate() {
            let first = i == 0;
            let pick = |s: &'_ str| if first { s.to_owned() } else { String::new() };
            row(
                &mut w,
                [
                    &q.id,
                    &pick(&q.outcome),
                    &pick(q.kind.code()),
                    &pick(&q.stem),
                    &pick(q.explanation.as_deref().unwrap_or("")),
                    &o.id,
                    &o.text,
                    if o.correct { "yes" } else { "no" },
                    o.feedback.as_deref().unwrap_or(""),
                ],
            );
        }
    }
    String::from_utf8(w.into_inner().expect("flushing to memory cannot fail"))
        .expect("the cells were UTF-8")
}

/// Reads a bank from CSV, checking every question as publishing would. Questions keep the order of their first
/// rows; a question's rows need not be adjacent.
pub fn import(bytes: &[u8]) -> Result<Vec<Question>, Vec<CsvProblem>> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text);
    let mut problems = Vec::new();
    let problem = |row: usize, column: &str, reason: String| CsvProblem {
        row,
        column: column.to_owned(),
        reason,
    };
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![problem(1, "header", e.to_string())]),
    };
    let mut index = [0usize; 9];
    for (n, name) in COLUMNS.iter().enumerate() {
        match headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
        {
            Some(i) => index[n] = i,
            None => problems.push(problem(
                1,
                name,
                format!("the header has no {name:?} column"),
            )),
        }
    }
    if let Some(extra) = headers
        .iter()
        .find(|h| !COLUMNS.iter().any(|c| h.trim().eq_ignore_ascii_case(c)))
    {
        problems.push(problem(
            1,
            extra,
            format!("{extra:?} is not a column of a bank file"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // (first row, question) in the order first seen.
    let mut questions: Vec<(usize, Question)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(row, "row", e.to_string()));
                continue;
            }
        };
        let cell = |n: usize| record.get(index[n]).unwrap_or("").trim();
        let id = cell(0);
        if id.is_empty() {
            problems.push(problem(row, "question", "the question id is empty".into()));
            continue;
        }
        let at = match questions.iter().position(|(_, q)| q.id == id) {
            Some(at) => at,
            None => {
                let kind = match QuestionKind::parse(cell(2)) {
                    Some(k) => k,
                    None => {
                        problems.push(problem(
                            row,
                            "kind",
                            format!(
                                "{:?} is not a kind: single, multiple or true_false",
                                cell(2)
                            ),
                        ));
                        QuestionKind::SingleAnswer
                    }
                };
                questions.push((
                    row,
                    Question {
                        id: id.to_owned(),
                        outcome: cell(1).to_owned(),
                        kind,
                        stem: cell(3).to_owned(),
                        options: Vec::new(),
                        explanation: Some(cell(4).to_owned()).filter(|e| !e.is_empty()),
                    },
                ));
                questions.len() - 1
            }
        };
        let q = &mut questions[at].1;
        // A later row may repeat the question's columns, but not contradict them.
        for (n, have) in [
            (1, q.outcome.clone()),
            (2, q.kind.code().to_owned()),
            (3, q.stem.clone()),
            (4, q.explanation.clone().unwrap_or_default()),
        ] {
            if questions[at].0 != row && !cell(n).is_empty() && cell(n) != have {
                problems.push(problem(
                    row,
                    COLUMNS[n],
                    format!(
                        "differs from the question's first row (row {})",
                        questions[at].0
                    ),
                ));
            }
        }
        let q = &mut questions[at].1;
        let correct = match cell(7).to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" | "correct" => true,
            "no" | "n" | "false" | "0" | "" => false,
            other => {
                problems.push(problem(
                    row,
                    "correct",
                    format!("{other:?} is not yes or no"),
                ));
                false
            }
        };
        if cell(5).is_empty() {
            problems.push(problem(row, "option", "the option id is empty".into()));
        }
        q.options.push(AnswerOption {
            id: cell(5).to_owned(),
            text: cell(6).to_owned(),
            correct,
            feedback: Some(cell(8).to_owned()).filter(|f| !f.is_empty()),
        });
    }
    if questions.is_empty() && problems.is_empty() {
        problems.push(problem(2, "question", "the file has no questions".into()));
    }
    for (row, q) in &questions {
        if let Err(e) = q.check() {
            let column = if e.reason.contains("option") {
                "option"
            } else if e.reason.contains("outcome") {
                "outcome"
            } else if e.reason.contains("text") {
                "stem"
            } else {
                "question"
            };
            problems.push(problem(*row, column, e.to_string()));
        }
    }
    if problems.is_empty() {
        Ok(questions.into_iter().map(|(_, q)| q).collect())
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> Vec<Question> {
        vec![
            Question {
                id: "q1".into(),
                outcome: "alarm".into(),
                kind: QuestionKind::SingleAnswer,
                stem: "What first, \"smoke\" seen?".into(),
                options: vec![
                    AnswerOption {
                        id: "a".into(),
                        text: "Raise the alarm".into(),
                        correct: true,
                        feedback: Some("Yes, so help comes".into()),
                    },
                    AnswerOption {
                        id: "b".into(),
                        text: "Open the door, then look".into(),
                        correct: false,
                        feedback: None,
                    },
                ],
                explanation: Some("RRO 2005, article 15".into()),
            },
            Question {
                id: "q2".into(),
                outcome: "moments".into(),
                kind: QuestionKind::MultipleAnswer,
                stem: "Which?\nPick all".into(),
                options: vec![
                    AnswerOption {
                        id: "a".into(),
                        text: "One".into(),
                        correct: true,
                        feedback: None,
                    },
                    AnswerOption {
                        id: "b".into(),
                        text: "Two".into(),
                        correct: true,
                        feedback: None,
                    },
                    AnswerOption {
                        id: "c".into(),
                        text: "Three".into(),
                        correct: false,
                        feedback: None,
                    },
                ],
                explanation: None,
            },
        ]
    }

    #[test]
    fn an_export_reads_back_as_the_same_bank() {
        let csv = export(&bank());
        assert!(
            csv.starts_with(
                "question,outcome,kind,stem,explanation,option,text,correct,feedback\n"
            )
        );
        assert_eq!(csv.lines().count(), 1 + 2 + 3 + 1, "{csv}");
        assert_eq!(import(csv.as_bytes()).expect("reads"), bank());
    }

    #[test]
    fn columns_may_come_in_any_order_and_repeat_the_question() {
        let csv = "correct,option,text,question,kind,outcome,stem,explanation,feedback\n\
                   no,a,True,t1,true_false,facts,Smoke rises,,\n\
                   yes,b,False,t1,true_false,facts,,,Heat rises\n";
        let q = import(csv.as_bytes()).expect("reads");
        assert_eq!(q[0].kind, QuestionKind::TrueFalse);
        assert_eq!(q[0].options[1].feedback.as_deref(), Some("Heat rises"));
    }

    #[test]
    fn every_problem_is_named_by_row_and_column_and_nothing_is_taken() {
        let csv = "question,outcome,kind,stem,explanation,option,text,correct,feedback\n\
                   q1,alarm,single,What first?,,a,Alarm,yes,\n\
                   q1,other,,,,b,Door,perhaps,\n\
                   q2,alarm,essay,Write,,a,x,yes,\n\
                   q2,,,,,b,y,no,\n\
                   ,alarm,single,No id,,a,x,yes,\n\
                   q3,alarm,single,Two right,,a,x,yes,\n\
                   q3,,,,,b,y,yes,\n";
        let problems = import(csv.as_bytes()).expect_err("refused");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "row 3, column outcome: differs from the question's first row (row 2)",
                "row 3, column correct: \"perhaps\" is not yes or no",
                "row 4, column kind: \"essay\" is not a kind: single, multiple or true_false",
                "row 6, column question: the question id is empty",
                "row 7, column option: question q3: a single-answer question has exactly one correct option, not 2",
            ]
        );
    }

    #[test]
    fn a_file_without_the_columns_says_which_are_missing() {
        let problems = import(b"question,stem,colour\nq1,x,red\n").expect_err("refused");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.contains(
                &"row 1, column outcome: the header has no \"outcome\" column".to_owned()
            ),
            "{text:?}"
        );
        assert!(
            text.contains(
                &"row 1, column colour: \"colour\" is not a column of a bank file".to_owned()
            ),
            "{text:?}"
        );
    }
}
