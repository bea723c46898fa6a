//! IMS QTI 2.1 choice items, the interchange format authoring tools and item banks export, read into [`Question`]s.
//!
//! What is read, by the QTI 2.1 information model (IMS Question and Test Interoperability Assessment Test, Section,
//! and Item Information Model v2.1, sections "assessmentItem", "responseDeclaration", "choiceInteraction",
//! "feedbackInline" and "modalFeedback"):
//! - one `assessmentItem` per file, holding exactly one `choiceInteraction`;
//! - its `responseDeclaration` (identifier matching the interaction's `responseIdentifier`, `baseType` identifier,
//!   `cardinality` single or multiple) and its `correctResponse` values, which are the correct options;
//! - the item body's text and the interaction's `prompt`, which make the stem;
//! - each `simpleChoice`: its identifier and text, and feedback for it from a `feedbackInline` inside it, or a
//!   `modalFeedback` or `feedbackBlock` whose identifier is the choice's;
//! - any other `modalFeedback` (for "correct" or "incorrect", say), which becomes the explanation.
//!
//! Anything else an item can hold (other interactions, templates, custom response processing, media) is refused with
//! the reason, rather than imported as something it is not. The XML is read by [`crate::xml`], so a document type
//! declaration is refused and no entity is declared, expanded or fetched.

use crate::assessment::{AnswerOption, Question, QuestionKind};
use crate::xml::{self, Element};

/// The namespaces of QTI 2.1 (and 2.2, whose choice items are the same).
const NAMESPACES: [&str; 2] = [
    "http://www.imsglobal.org/xsd/imsqti_v2p1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
];

/// Why an item could not be imported, with the line where it went wrong where there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct QtiError {
    pub line: usize,
    pub reason: String,
}

fn fail<T>(line: usize, reason: impl Into<String>) -> Result<T, QtiError> {
    Err(QtiError {
        line,
        reason: reason.into(),
    })
}

/// Reads one QTI 2.1 choice item into a question for the learning outcome given (QTI items carry no outcome of
/// ours). The question is checked as any question is before it is returned.
pub fn parse_choice_item(bytes: &[u8], outcome: &str) -> Result<Question, QtiError> {
    let root = xml::parse(bytes).map_err(|e| QtiError {
        line: e.line,
        reason: e.reason,
    })?;
    if root.name != "assessmentItem" {
        return fail(
            root.line,
            format!(
                "the root element is <{}>, not <assessmentItem>: only single QTI items are read",
                root.name
            ),
        );
    }
    let ns = root
        .namespaces()
        .find(|(p, _)| *p == root.prefix)
        .map(|(_, uri)| uri);
    if !ns.is_some_and(|uri| NAMESPACES.contains(&uri)) {
        return fail(
            root.line,
            "the item is not in the QTI 2.1 namespace (http://www.imsglobal.org/xsd/imsqti_v2p1)",
        );
    }
    let id = root.attr("identifier").unwrap_or("").trim();
    if id.is_empty() {
        return fail(root.line, "the assessmentItem has no identifier");
    }
    if root.attr("adaptive") == Some("true") {
        return fail(
            root.line,
            "adaptive items are not supported: only one-try choice items",
        );
    }
    let body = root
        .child("itemBody")
        .map_or_else(|| fail(root.line, "the item has no <itemBody>"), Ok)?;
    let mut interactions = Vec::new();
    find_interactions(body, &mut interactions);
    let choice = match interactions.as_slice() {
        [one] if one.name == "choiceInteraction" => *one,
        [one] => {
            return fail(
                one.line,
                format!(
                    "<{}> is not a choice interaction: only choiceInteraction items are read",
                    one.name
                ),
            );
        }
        [] => return fail(body.line, "the item body has no <choiceInteraction>"),
        [_, second, ..] => {
            return fail(
                second.line,
                "the item has more than one interaction: only items with one choiceInteraction are read",
            );
        }
    };
    let response_id = choice.attr("responseIdentifier").unwrap_or("RESPONSE");
    let declaration = root
        .children_named("responseDeclaration")
        .find(|d| d.attr("identifier") == Some(response_id))
        .map_or_else(
            || {
                fail(
                    choice.line,
                    format!("no <responseDeclaration> with identifier {response_id:?}"),
                )
            },
            Ok,
        )?;
    if declaration.attr("baseType") != Some("identifier") {
        return fail(
            declaration.line,
            "the response's baseType must be identifier (the chosen options)",
        );
    }
    let multiple = match declaration.attr("cardinality") {
        Some("single") => false,
        Some("multiple") => true,
        other => {
            return fail(
                declaration.line,
                format!(
                    "cardinality {:?} is not supported: single or multiple",
                    other.unwrap_or("")
                ),
            );
        }
    };
    let correct: Vec<String> = declaration
        .child("correctResponse")
        .map(|c| {
            c.children_named("value")
                .map(|v| v.text.trim().to_owned())
                .collect()
        })
        .unwrap_or_default();
    if correct.is_empty() {
        return fail(
            declaration.line,
            "the response declares no <correctResponse>: there is nothing to mark against",
        );
    }
    let is_feedback = |e: &Element| e.name == "feedbackInline" || e.name == "feedbackBlock";
    let choices: Vec<&Element> = choice.children_named("simpleChoice").collect();
    if choices.is_empty() {
        return fail(choice.line, "the choiceInteraction has no <simpleChoice>");
    }
    // Feedback kept outside the choices: modalFeedback after the body, feedbackBlock within it.
    let mut outside = Vec::new();
    outside.extend(root.children_named("modalFeedback"));
    find_named(body, "feedbackBlock", &mut outside);
    let mut options = Vec::new();
    for c in &choices {
        let cid = c.attr("identifier").unwrap_or("").trim();
        if cid.is_empty() {
            return fail(c.line, "a <simpleChoice> has no identifier");
        }
        let text = c.inner_text(&is_feedback);
        let inline = c
            .children
            .iter()
            .filter(|e| is_feedback(e))
            .map(|e| e.inner_text(&|_| false))
            .find(|t| !t.is_empty());
        let feedback = inline.or_else(|| {
            outside
                .iter()
                .find(|f| f.attr("identifier") == Some(cid))
                .map(|f| f.inner_text(&|_| false))
                .filter(|t| !t.is_empty())
        });
        options.push(AnswerOption {
            id: cid.to_owned(),
            text,
            correct: correct.iter().any(|v| v == cid),
            feedback,
        });
    }
    if let Some(v) = correct
        .iter()
        .find(|v| !options.iter().any(|o| &o.id == *v))
    {
        return fail(
            declaration.line,
            format!("the correct response {v:?} is not one of the choices"),
        );
    }
    let explanation: Vec<String> = outside
        .iter()
        .filter(|f| {
            let fid = f.attr("identifier").unwrap_or("");
            !options.iter().any(|o| o.id == fid)
        })
        .map(|f| f.inner_text(&|_| false))
        .filter(|t| !t.is_empty())
        .collect();
    let mut stem_parts =
        vec![body.inner_text(&|e| e.name == "choiceInteraction" || e.name == "feedbackBlock")];
    if let Some(p) = choice.child("prompt") {
        stem_parts.push(p.inner_text(&|_| false));
    }
    let stem = stem_parts
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let true_false = !multiple
        && options.len() == 2
        && options[0].text.eq_ignore_ascii_case("true")
        && options[1].text.eq_ignore_ascii_case("false");
    let question = Question {
        id: id.to_owned(),
        outcome: outcome.trim().to_owned(),
        kind: if multiple {
            QuestionKind::MultipleAnswer
        } else if true_false {
            QuestionKind::TrueFalse
        } else {
            QuestionKind::SingleAnswer
        },
        stem,
        options,
        explanation: (!explanation.is_empty()).then(|| explanation.join(" ")),
    };
    question.check().map_err(|e| QtiError {
        line: choice.line,
        reason: e.reason,
    })?;
    Ok(question)
}

/// Interactions anywhere in the body (they may sit inside paragraphs or divs).
fn find_interactions<'a>(e: &'a Element, out: &mut Vec<&'a Element>) {
    for c in &e.children {
        if c.name.ends_with("Interaction") {
            out.push(c);
        } else {
            find_interactions(c, out);
        }
    }
}

fn find_named<'a>(e: &'a Element, name: &str, out: &mut Vec<&'a Element>) {
    for c in &e.children {
        if c.name == name {
            out.push(c);
        }
        find_named(c, name, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A single-answer item written for these tests after the shape of the QTI 2.1 specification's choice example:
    /// a stem paragraph, a prompt, inline feedback on two choices, and modal feedback for a wrong answer.
    const SINGLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.imsglobal.org/xsd/imsqti_v2p1 http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
    identifier="fire-raise-alarm" title="Raising the alarm" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>alarm</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <outcomeDeclaration identifier="FEEDBACK" cardinality="single" baseType="identifier"/>
  <itemBody>
    <p>You find smoke coming from under a <em>closed</em> door on the ward.</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <prompt>What do you do first?</prompt>
      <simpleChoice identifier="open">Open the door to see how big the fire is<feedbackInline outcomeIdentifier="FEEDBACK" identifier="open" showHide="show">Opening it feeds the fire with air.</feedbackInline></simpleChoice>
      <simpleChoice identifier="alarm">Raise the alarm at the nearest call point</simpleChoice>
      <simpleChoice identifier="water">Fetch a water extinguisher</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="water" showHide="show">Fight a fire only if trained, and after the alarm.</modalFeedback>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="incorrect" showHide="show">Raise the alarm first, so everyone is warned &amp; help comes.</modalFeedback>
</assessmentItem>"#;

    /// Multiple cardinality, two correct values.
    const MULTIPLE: &str = r#"<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="ipc-moments" title="Hand hygiene" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>before</value><value>after-fluids</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">
      <prompt>Which are among the WHO five moments for hand hygiene?</prompt>
      <simpleChoice identifier="before">Before touching a patient</simpleChoice>
      <simpleChoice identifier="after-fluids">After body fluid exposure risk</simpleChoice>
      <simpleChoice identifier="lunch">Only before lunch</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>"#;

    #[test]
    fn a_single_answer_item_reads_with_its_stem_key_and_feedback() {
        let q = parse_choice_item(SINGLE.as_bytes(), "raise-the-alarm").expect("reads");
        assert_eq!(q.id, "fire-raise-alarm");
        assert_eq!(q.outcome, "raise-the-alarm");
        assert_eq!(q.kind, QuestionKind::SingleAnswer);
        assert_eq!(
            q.stem,
            "You find smoke coming from under a closed door on the ward. What do you do first?"
        );
        let ids: Vec<(&str, bool)> = q
            .options
            .iter()
            .map(|o| (o.id.as_str(), o.correct))
            .collect();
        assert_eq!(ids, [("open", false), ("alarm", true), ("water", false)]);
        assert_eq!(
            q.options[0].text,
            "Open the door to see how big the fire is"
        );
        assert_eq!(
            q.options[0].feedback.as_deref(),
            Some("Opening it feeds the fire with air.")
        );
        assert_eq!(
            q.options[2].feedback.as_deref(),
            Some("Fight a fire only if trained, and after the alarm.")
        );
        assert_eq!(q.options[1].feedback, None);
        assert_eq!(
            q.explanation.as_deref(),
            Some("Raise the alarm first, so everyone is warned & help comes.")
        );
    }

    #[test]
    fn a_multiple_answer_item_keeps_every_correct_value() {
        let q = parse_choice_item(MULTIPLE.as_bytes(), "moments").expect("reads");
        assert_eq!(q.kind, QuestionKind::MultipleAnswer);
        assert_eq!(
            q.stem,
            "Which are among the WHO five moments for hand hygiene?"
        );
        let correct: Vec<&str> = q
            .options
            .iter()
            .filter(|o| o.correct)
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(correct, ["before", "after-fluids"]);
    }

    #[test]
    fn true_and_false_choices_make_a_true_false_question() {
        let item = MULTIPLE
            .replace("cardinality=\"multiple\"", "cardinality=\"single\"")
            .replace("<value>after-fluids</value>", "")
            .replace("Before touching a patient", "True")
            .replace("After body fluid exposure risk", "False")
            .replace(
                "<simpleChoice identifier=\"lunch\">Only before lunch</simpleChoice>",
                "",
            );
        let q = parse_choice_item(item.as_bytes(), "moments").expect("reads");
        assert_eq!(q.kind, QuestionKind::TrueFalse);
    }

    #[test]
    fn what_is_not_a_choice_item_is_refused_with_the_reason() {
        let cases = [
            (
                SINGLE.replace("imsqti_v2p1\"\n", "imsqti_v1\"\n"),
                "not in the QTI 2.1 namespace",
            ),
            (
                SINGLE.replace(
                    "<correctResponse><value>alarm</value></correctResponse>",
                    "",
                ),
                "no <correctResponse>",
            ),
            (
                SINGLE.replace("<value>alarm</value>", "<value>nowhere</value>"),
                "\"nowhere\" is not one of the choices",
            ),
            (
                SINGLE.replace("choiceInteraction", "textEntryInteraction"),
                "not a choice interaction",
            ),
            (
                SINGLE.replace(
                    "cardinality=\"single\" baseType=\"identifier\"",
                    "cardinality=\"ordered\" baseType=\"identifier\"",
                ),
                "cardinality \"ordered\"",
            ),
            (
                SINGLE.replace(
                    "<value>alarm</value>",
                    "<value>alarm</value><value>water</value>",
                ),
                "exactly one correct option",
            ),
            (
                MULTIPLE.replace("assessmentItem", "assessmentTest"),
                "not <assessmentItem>",
            ),
        ];
        for (xml, reason) in cases {
            let e = parse_choice_item(xml.as_bytes(), "o").expect_err(reason);
            assert!(e.to_string().contains(reason), "{e} / {reason}");
        }
    }

    #[test]
    fn a_doctype_is_refused_so_no_entity_is_ever_expanded() {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n{}",
            MULTIPLE.replace("Only before lunch", "&e;")
        );
        let e = parse_choice_item(xml.as_bytes(), "o").expect_err("refused");
        assert!(e.reason.contains("DOCTYPE"), "{e}");
    }
}
