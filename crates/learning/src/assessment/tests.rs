use super::*;

fn q(id: &str, outcome: &str, kind: QuestionKind, correct: &[&str], options: &[&str]) -> Question {
    Question {
        id: id.into(),
        outcome: outcome.into(),
        kind,
        stem: format!("Question {id}?"),
        options: options
            .iter()
            .map(|o| AnswerOption {
                id: (*o).into(),
                text: format!("Option {o}"),
                correct: correct.contains(o),
                feedback: None,
            })
            .collect(),
        explanation: None,
    }
}

fn bank() -> Vec<Question> {
    let mut b = Vec::new();
    for outcome in ["raise the alarm", "evacuate", "extinguishers"] {
        for i in 0..4 {
            b.push(q(
                &format!("{outcome}-{i}"),
                outcome,
                QuestionKind::SingleAnswer,
                &["b"],
                &["a", "b", "c", "d"],
            ));
        }
    }
    b.push(q(
        "tf",
        "evacuate",
        QuestionKind::TrueFalse,
        &["true"],
        &["true", "false"],
    ));
    b
}

fn answers(pairs: &[(&str, &[&str])]) -> Answers {
    pairs
        .iter()
        .map(|(q, o)| ((*q).into(), o.iter().map(|s| (*s).into()).collect()))
        .collect()
}

#[test]
fn a_draw_takes_n_per_outcome_and_is_the_same_for_the_same_seed() {
    let rules = Rules::default();
    let paper = draw(&bank(), &rules, 7).expect("draws");
    assert_eq!(paper.len(), 6, "2 from each of 3 outcomes");
    let bank = bank();
    let outcome_of = |id: &str| bank.iter().find(|q| q.id == id).unwrap().outcome.clone();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in &paper {
        *counts.entry(outcome_of(&d.question)).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 2), "{counts:?}");
    assert_eq!(
        paper,
        draw(&bank, &rules, 7).unwrap(),
        "deterministic per seed"
    );
    let others: Vec<_> = (0..20).map(|s| draw(&bank, &rules, s).unwrap()).collect();
    assert!(
        others.iter().any(|p| *p != paper),
        "other seeds draw other papers"
    );
    assert!(
        others
            .iter()
            .flatten()
            .any(|d| d.option_order != ["a", "b", "c", "d"]),
        "options are shuffled"
    );
    for d in others.iter().flatten().filter(|d| d.question == "tf") {
        assert_eq!(
            d.option_order,
            ["true", "false"],
            "true/false keeps its order"
        );
    }
}

#[test]
fn a_bank_too_small_for_the_rules_or_with_a_broken_question_is_refused_by_name() {
    let rules = Rules {
        per_outcome: 5,
        ..Rules::default()
    };
    // Outcomes are drawn in name order: "evacuate" has 5 (with the true/false), "extinguishers" only 4.
    assert_eq!(
        draw(&bank(), &rules, 1).unwrap_err().to_string(),
        "learning outcome \"extinguishers\" has 4 questions; the draw takes 5 per outcome"
    );
    assert_eq!(
        draw(&[], &Rules::default(), 1).unwrap_err(),
        DrawError::Empty
    );
    let mut broken = bank();
    broken[0].options[0].correct = true;
    assert_eq!(
        draw(&broken, &Rules::default(), 1).unwrap_err().to_string(),
        "question raise the alarm-0: a single-answer question has exactly one correct option, not 2"
    );
    let tf3 = q("t", "o", QuestionKind::TrueFalse, &["a"], &["a", "b", "c"]);
    assert!(tf3.check().unwrap_err().reason.contains("exactly two"));
    let none = q("m", "o", QuestionKind::MultipleAnswer, &[], &["a", "b"]);
    assert!(
        none.check()
            .unwrap_err()
            .reason
            .contains("at least one correct")
    );
    let dup = q("d", "o", QuestionKind::SingleAnswer, &["a"], &["a", "a"]);
    assert!(dup.check().unwrap_err().reason.contains("used twice"));
}

#[test]
fn marking_needs_exactly_the_correct_options_and_passes_at_the_mark() {
    let bank = vec![
        q(
            "s",
            "o1",
            QuestionKind::SingleAnswer,
            &["b"],
            &["a", "b", "c"],
        ),
        q(
            "m",
            "o1",
            QuestionKind::MultipleAnswer,
            &["a", "c"],
            &["a", "b", "c"],
        ),
        q(
            "t",
            "o2",
            QuestionKind::TrueFalse,
            &["false"],
            &["true", "false"],
        ),
        q("u", "o2", QuestionKind::SingleAnswer, &["a"], &["a", "b"]),
        q("v", "o2", QuestionKind::SingleAnswer, &["a"], &["a", "b"]),
    ];
    let rules = Rules {
        per_outcome: 1,
        ..Rules::default()
    };
    let paper: Vec<Drawn> = bank
        .iter()
        .map(|q| Drawn {
            question: q.id.clone(),
            option_order: q.options.iter().map(|o| o.id.clone()).collect(),
        })
        .collect();
    let all_right = answers(&[
        ("s", &["b"]),
        ("m", &["a", "c"]),
        ("t", &["false"]),
        ("u", &["a"]),
        ("v", &["a"]),
    ]);
    let m = mark(&bank, &paper, &all_right, &rules).unwrap();
    assert_eq!((m.correct, m.total, m.percent, m.passed), (5, 5, 100, true));

    // Part of a multiple answer is wrong; 4 of 5 is 80%, a pass.
    let partial = answers(&[
        ("s", &["b"]),
        ("m", &["a"]),
        ("t", &["false"]),
        ("u", &["a"]),
        ("v", &["a"]),
    ]);
    let m = mark(&bank, &paper, &partial, &rules).unwrap();
    assert_eq!((m.correct, m.percent, m.passed), (4, 80, true));
    assert_eq!(m.questions[1], ("m".into(), false));
    assert_eq!(m.outcomes["o1"], (1, 2));

    // Unanswered counts wrong: 3 of 5 is 60%, a fail.
    let missing = answers(&[("s", &["b"]), ("t", &["false"]), ("u", &["a"])]);
    let m = mark(&bank, &paper, &missing, &rules).unwrap();
    assert_eq!((m.correct, m.percent, m.passed), (3, 60, false));

    // Tampered forms are refused, not marked.
    assert_eq!(
        mark(&bank, &paper, &answers(&[("zzz", &["a"])]), &rules).unwrap_err(),
        MarkError::NotOnPaper("zzz".into())
    );
    assert!(matches!(
        mark(&bank, &paper, &answers(&[("s", &["q"])]), &rules).unwrap_err(),
        MarkError::UnknownOption { .. }
    ));
    assert_eq!(
        mark(&bank, &paper, &answers(&[("s", &["a", "b"])]), &rules).unwrap_err(),
        MarkError::OneOnly("s".into())
    );
}

#[test]
fn percent_rounds_down_so_a_near_miss_is_not_a_pass() {
    // 79 of 99 would be 79.8%: never shown as 80%.
    let bank: Vec<Question> = (0..99)
        .map(|i| {
            q(
                &format!("q{i}"),
                "o",
                QuestionKind::SingleAnswer,
                &["a"],
                &["a", "b"],
            )
        })
        .collect();
    let paper: Vec<Drawn> = bank
        .iter()
        .map(|q| Drawn {
            question: q.id.clone(),
            option_order: vec!["a".into(), "b".into()],
        })
        .collect();
    let given: Answers = (0..79)
        .map(|i| (format!("q{i}"), ["a".to_string()].into()))
        .collect();
    let m = mark(&bank, &paper, &given, &Rules::default()).unwrap();
    assert_eq!((m.percent, m.passed), (79, false));
}

fn response(pairs: &[(&str, bool)]) -> Response {
    Response {
        questions: pairs.iter().map(|(q, ok)| ((*q).into(), *ok)).collect(),
    }
}

#[test]
fn item_statistics_match_a_hand_worked_example() {
    let rs = [
        response(&[("q1", true), ("q2", true), ("q3", true)]),
        response(&[("q1", true), ("q2", false), ("q3", true)]),
        response(&[("q1", false), ("q2", false), ("q3", false)]),
        response(&[("q1", false), ("q2", true), ("q3", false)]),
    ];
    let stats = item_statistics(&rs);
    let q1 = &stats[0];
    assert_eq!(
        (q1.question.as_str(), q1.attempts, q1.facility),
        ("q1", 4, 0.5)
    );
    // Rest scores 1, 0.5 (right) and 0, 0.5 (wrong): mean 0.5, population sd sqrt(1/8), so
    // r = (0.75 - 0.25) / sqrt(1/8) * sqrt(0.5 * 0.5) = 1/sqrt(2).
    assert!((q1.discrimination.unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
    // q2: right in attempts whose rest scored 1 and 0, wrong in 1 and 0: no discrimination.
    assert!(stats[1].discrimination.unwrap().abs() < 1e-12);
    assert_eq!(q1.flag, None, "too few attempts to judge");
    let all_right = item_statistics(&vec![response(&[("a", true), ("b", true)]); 3]);
    assert_eq!(all_right[0].discrimination, None);
}

#[test]
fn a_question_that_strong_candidates_get_wrong_is_flagged() {
    // 30 attempts: the stronger the rest of the attempt, the likelier "miskeyed" is marked wrong.
    let rs: Vec<Response> = (0..30)
        .map(|i| {
            let strong = i % 3 != 0;
            response(&[
                ("good1", strong),
                ("good2", strong || i % 2 == 0),
                ("good3", strong),
                ("miskeyed", !strong),
                ("easy", true),
            ])
        })
        .collect();
    let stats = item_statistics(&rs);
    let by = |q: &str| stats.iter().find(|s| s.question == q).unwrap();
    assert_eq!(by("miskeyed").flag, Some(ItemFlag::NegativeDiscrimination));
    assert!(by("good1").discrimination.unwrap() > 0.3);
    assert_eq!(by("good1").flag, None);
    assert_eq!(by("easy").flag, Some(ItemFlag::VeryEasy));
    assert_eq!(by("easy").attempts, 30);
}
