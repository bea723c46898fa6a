//! Authoring in the browser, on every backend: an author builds a bank (by hand, from CSV and from QTI), a course
//! with a lesson and an assessment, previews and publishes it, and a learner takes it; lesson images are checked by
//! their content; a prerequisite cycle is refused; item statistics come from submissions; a course shared with
//! another organisation makes its records there with the author's organisation as provider; the API publishes too.

use crate::auth::{ADMIN, AUTHOR, LEARNER, MANAGER, world};
use crate::backends;
use crate::web::Client;
use axum::http::StatusCode;
use lantern_domain::access::{Grant, Reach};
use lantern_learning::course::ModuleState;
use lantern_store::learning::At;
use lantern_store::*;

/// A bank of two questions on each of three outcomes, as the editor posts it, with `bad` making one question have
/// two correct answers.
fn bank_form(code: &str, bad: bool) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("code".into(), code.into()),
        ("existing".into(), "no".into()),
    ];
    let mut n = 0;
    for outcome in ["raise-the-alarm", "evacuate", "extinguishers"] {
        for k in 0..2 {
            let q = |name: &str| format!("q{n}_{name}");
            f.push((q("id"), format!("{outcome}-{k}")));
            f.push((q("outcome"), outcome.into()));
            f.push((q("kind"), "single".into()));
            f.push((q("stem"), format!("About {outcome}, question {k}?")));
            f.push((
                q("explanation"),
                "Regulatory Reform (Fire Safety) Order 2005".into(),
            ));
            for (j, text) in ["Right", "Wrong", "Also wrong"].iter().enumerate() {
                f.push((format!("q{n}_o{j}_id"), String::new()));
                f.push((format!("q{n}_o{j}_text"), (*text).into()));
                f.push((format!("q{n}_o{j}_feedback"), format!("Feedback on {text}")));
                if j == 0 || (bad && n == 3 && j == 1) {
                    f.push((format!("q{n}_o{j}_correct"), "on".into()));
                }
            }
            n += 1;
        }
    }
    f
}

fn course_form(code: &str, bank: &str, prerequisite: Option<&str>) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("code", code),
        ("existing", "no"),
        ("title", "Fire safety for wards"),
        ("summary", "What to do when the alarm sounds"),
        ("order", "in_order"),
        ("s0_subject", "cstf.fire_safety"),
        ("s0_level", "1"),
        ("m0_key", "lesson"),
        ("m0_kind", "lesson"),
        ("m0_title", "Raising the alarm"),
        ("m0_markdown", "# Raise the alarm\n\nBreak the glass. ![Fire exit sign](exit.png)\n\n<script>alert(1)</script>"),
        ("m0_minutes", "15"),
        ("m0_position", "1"),
        ("m0_required", "on"),
        ("m1_key", "check"),
        ("m1_kind", "assessment"),
        ("m1_title", "Check your understanding"),
        ("m1_bank", bank),
        ("m1_per_outcome", "1"),
        ("m1_pass", "80"),
        ("m1_attempts", "3"),
        ("m1_time", ""),
        ("m1_minutes", "10"),
        ("m1_position", "2"),
        ("m1_required", "on"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if let Some(p) = prerequisite {
        f.push(("prerequisite".into(), p.into()));
    }
    f
}

fn with(mut f: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in extra {
        f.retain(|(x, _)| x != k);
        f.push(((*k).into(), (*v).into()));
    }
    f
}

async fn post(c: &mut Client, uri: &str, fields: &[(String, String)]) -> crate::web::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(uri, &pairs, None).await
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

const QTI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="qti-door" title="Doors" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>close</value><value>leave</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0">
      <prompt>Which help contain a fire?</prompt>
      <simpleChoice identifier="close">Closing doors behind you<feedbackInline outcomeIdentifier="FEEDBACK" identifier="close" showHide="show">Doors hold back smoke.</feedbackInline></simpleChoice>
      <simpleChoice identifier="leave">Leaving by the nearest exit</simpleChoice>
      <simpleChoice identifier="prop">Propping fire doors open</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>"#;

#[tokio::test]
async fn an_author_builds_a_bank_and_a_course_in_the_browser_and_a_learner_takes_it() {
    for (name, store, _dir) in backends().await {
        let foreign_ods = world(&store).await;
        let (app, _state) = crate::app_with(&store, crate::test_auth());
        let mut author = Client::signed_in(&app, AUTHOR.0, AUTHOR.1).await;

        // The author's home is authoring; people's data is not theirs.
        let res = author.get("/").await;
        assert_eq!(res.location(), "/authoring", "{name}");
        assert_eq!(
            author.get("/authoring").await.location(),
            "/orgs/RJ1/authoring",
            "{name}"
        );
        assert_eq!(
            author.get("/orgs/RJ1").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        let res = author.get("/orgs/RJ1/authoring").await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(res.body.contains("Authoring"), "{name}");

        // A bank with a question that has two right answers is refused, naming it; nothing is published.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/bank",
            &with(bank_form("ward-fire", true), &[("action", "publish")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains(
                "Question 4: a single-answer question has exactly one correct option, not 2"
            ),
            "{name}: {}",
            res.body
        );
        let org = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap().id;
        assert!(
            matches!(
                store.bank(org, "ward-fire").await,
                Err(StoreError::NotFound)
            ),
            "{name}"
        );
        // Saved as a draft it is kept, unfinished, and listed as a draft.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/bank",
            &with(bank_form("ward-fire", true), &[("action", "save")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        assert!(
            author
                .get("/orgs/RJ1/authoring")
                .await
                .body
                .contains("Draft"),
            "{name}"
        );
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/bank",
            &with(
                bank_form("ward-fire", false),
                &[("action", "publish"), ("existing", "yes")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let bank = store.bank(org, "ward-fire").await.expect("published");
        assert_eq!((bank.version, bank.questions.len()), (1, 6), "{name}");
        assert_eq!(
            bank.questions[0].options[1].id, "b",
            "{name}: new options get letters"
        );

        // Its CSV export reads back as the same bank.
        let (status, csv) = author
            .get_bytes("/orgs/RJ1/authoring/banks/ward-fire/export.csv")
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(
            lantern_learning::bank_csv::import(&csv).expect("reads back"),
            bank.questions,
            "{name}"
        );

        // A CSV with problems imports nothing and names each row and column; a QTI item goes into the draft.
        let bad = b"question,outcome,kind,stem,explanation,option,text,correct,feedback\nx1,o,single,Which?,,a,A,yes,\nx1,o,,,,b,B,perhaps,\n";
        let res = author
            .post_files(
                "/orgs/RJ1/authoring/bank/import",
                &[("code", "ward-fire"), ("outcome", "")],
                &[("files", "bad.csv", bad)],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("bad.csv: row 3, column correct:")
                && res.body.contains("perhaps")
                && res.body.contains("is not yes or no"),
            "{name}: {}",
            res.body
        );
        let res = author
            .post_files(
                "/orgs/RJ1/authoring/bank/import",
                &[("code", "ward-fire"), ("outcome", "contain")],
                &[("files", "door.xml", QTI.as_bytes())],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let res = author.get(res.location()).await;
        assert!(
            res.body.contains("1 questions imported")
                && res.body.contains("Which help contain a fire?"),
            "{name}"
        );
        let draft = store
            .drafts(org, lantern_store::learning::authoring::DraftKind::Bank)
            .await
            .unwrap();
        let draft: Vec<lantern_learning::assessment::Question> =
            serde_json::from_str(&draft.iter().find(|d| d.code == "ward-fire").unwrap().body)
                .unwrap();
        assert_eq!(draft.len(), 7, "{name}: the imported item joins the draft");
        assert_eq!(
            store.bank(org, "ward-fire").await.unwrap().version,
            1,
            "{name}: import publishes nothing"
        );

        // Lesson images: content decides, SVG and text are refused.
        let res = author
            .post_files(
                "/orgs/RJ1/authoring/images",
                &[("name", "exit.svg")],
                &[(
                    "image",
                    "exit.svg",
                    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                )],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("not a PNG, JPEG, GIF or WebP image"),
            "{name}"
        );

        // A course whose lesson shows an image not uploaded yet is not published.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/course",
            &with(
                course_form("ward-fire-1", "ward-fire", None),
                &[("action", "publish")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("exit.png") && res.body.contains("is not uploaded"),
            "{name}: {}",
            res.body
        );
        let res = author
            .post_files(
                "/orgs/RJ1/authoring/images",
                &[("name", "")],
                &[("image", "Exit.PNG", PNG)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let image = store.lesson_images(org).await.unwrap();
        assert_eq!(image.len(), 1, "{name}");
        assert_eq!(
            (image[0].name.as_str(), image[0].content_type.as_str()),
            ("exit.png", "image/png")
        );

        // The preview renders the lesson as a learner sees it: script shown as text, the image from Lantern.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/course",
            &with(
                course_form("ward-fire-1", "ward-fire", None),
                &[("action", "preview")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            res.body.contains("<h1>Raise the alarm</h1>"),
            "{name}: {}",
            res.body
        );
        assert!(
            res.body.contains("&lt;script&gt;") && !res.body.contains("<script>alert"),
            "{name}"
        );
        assert!(
            res.body.contains(&format!(
                "src=\"/orgs/RJ1/learning/images/{}\"",
                image[0].id
            )),
            "{name}"
        );
        assert!(
            res.body.contains("3 questions drawn from bank ward-fire"),
            "{name}"
        );
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/lesson-preview",
            &[("markdown".into(), "**Bold** <b>x</b>".into())],
        )
        .await;
        assert_eq!(
            res.body.trim(),
            "<p><strong>Bold</strong> &lt;b&gt;x&lt;/b&gt;</p>",
            "{name}"
        );

        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/course",
            &with(
                course_form("ward-fire-1", "ward-fire", None),
                &[("action", "publish")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        assert_eq!(
            store
                .course(org, "ward-fire-1")
                .await
                .unwrap()
                .course
                .version,
            1,
            "{name}"
        );
        // A second course requiring the first, then the first requiring the second: the cycle is refused.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/course",
            &with(
                course_form("ward-fire-2", "ward-fire", Some("ward-fire-1")),
                &[("action", "publish")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}: {}", res.body);
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/course",
            &with(
                course_form("ward-fire-1", "ward-fire", Some("ward-fire-2")),
                &[("action", "publish"), ("existing", "yes")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(
            res.body.contains("would make a cycle") && res.body.contains("ward-fire-2 requires"),
            "{name}: {}",
            res.body
        );
        // The editor opens on the published course.
        let res = author
            .get("/orgs/RJ1/authoring/course?code=ward-fire-1")
            .await;
        assert!(
            res.body.contains("Version 1 is published") && res.body.contains("Raising the alarm"),
            "{name}"
        );

        // A learner sees and takes it; the image is theirs to see, with the type from its content.
        let mut learner = Client::signed_in(&app, LEARNER.0, LEARNER.1).await;
        let res = learner.get("/orgs/RJ1/learning/courses/ward-fire-1").await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(res.body.contains("Fire safety for wards"), "{name}");
        let res = learner
            .get(&format!("/orgs/RJ1/learning/images/{}", image[0].id))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert_eq!(res.headers["content-type"], "image/png");
        assert_eq!(res.headers["x-content-type-options"], "nosniff");
        assert_eq!(
            learner.get("/orgs/RJ1/authoring").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
        let mut manager = Client::signed_in(&app, MANAGER.0, MANAGER.1).await;
        assert_eq!(
            manager
                .get(&format!("/orgs/RJ1/learning/images/{}", image[0].id))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{name}"
        );

        // A submission, then the item statistics count it.
        let account = store.account_by_email(LEARNER.0).await.unwrap().unwrap();
        let person = account.person_id.expect("linked");
        let me = Scope::Grants(vec![Grant {
            org,
            reach: Reach::Person(person),
        }]);
        let now = chrono::Utc::now();
        let at = At {
            now,
            today: crate::d("2026-12-06"),
        };
        let a = store
            .start_attempt(&me, org, person, "ward-fire-1", now)
            .await
            .unwrap();
        store
            .record_module(&me, org, a.id, "lesson", ModuleState::Completed, at)
            .await
            .unwrap();
        let paper = store.paper(&me, org, a.id, "check", 7, now).await.unwrap();
        let answers = paper
            .questions
            .iter()
            .map(|q| {
                (
                    q.id.clone(),
                    [q.options.iter().find(|o| o.1 == "Right").unwrap().0.clone()].into(),
                )
            })
            .collect();
        let done = store
            .submit_paper(&me, org, a.id, paper.id, &answers, at)
            .await
            .unwrap();
        assert!(
            done.marked.passed && done.attempt.completed_at.is_some(),
            "{name}"
        );
        let res = author
            .get("/orgs/RJ1/authoring/banks/ward-fire/statistics")
            .await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert!(
            res.body.contains("From 1 submitted paper.") && res.body.contains("100%"),
            "{name}: {}",
            res.body
        );

        // Shared with another organisation: its learners take it there, and the record names RJ1 as provider.
        let res = post(
            &mut author,
            "/orgs/RJ1/authoring/courses/ward-fire-1/sharing",
            &[
                ("everyone".into(), "no".into()),
                (
                    "org".into(),
                    store
                        .org_by_code(&Scope::Platform, &foreign_ods)
                        .await
                        .unwrap()
                        .id
                        .0
                        .to_string(),
                ),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{name}");
        let other = store
            .org_by_code(&Scope::Platform, &foreign_ods)
            .await
            .unwrap();
        let shared = store
            .courses_for(other.id, "cstf.fire_safety", 1)
            .await
            .unwrap();
        let entry = shared
            .iter()
            .find(|c| c.course.code == "ward-fire-1")
            .expect("shared");
        assert_eq!(entry.address(other.id), "ward-fire-1@RJ1", "{name}");
        assert!(
            matches!(
                store.course(other.id, "ward-fire-2@RJ1").await,
                Err(StoreError::NotFound)
            ),
            "{name}: not shared"
        );
        let stranger = store.person_ids(&Scope::Platform, other.id).await.unwrap()[0];
        let them = Scope::Grants(vec![Grant {
            org: other.id,
            reach: Reach::Person(stranger),
        }]);
        let a = store
            .start_attempt(&them, other.id, stranger, "ward-fire-1@RJ1", now)
            .await
            .expect("start a shared course");
        store
            .record_module(&them, other.id, a.id, "lesson", ModuleState::Completed, at)
            .await
            .unwrap();
        let paper = store
            .paper(&them, other.id, a.id, "check", 9, now)
            .await
            .expect("drawn from RJ1's bank");
        let answers = paper
            .questions
            .iter()
            .map(|q| {
                (
                    q.id.clone(),
                    [q.options.iter().find(|o| o.1 == "Right").unwrap().0.clone()].into(),
                )
            })
            .collect();
        store
            .submit_paper(&them, other.id, a.id, paper.id, &answers, at)
            .await
            .unwrap();
        let bundle = store
            .person(&Scope::Platform, other.id, stranger)
            .await
            .unwrap();
        let record = bundle
            .records
            .iter()
            .find(|r| {
                r.record
                    .evidence_ref
                    .as_deref()
                    .is_some_and(|e| e.contains("ward-fire-1"))
            })
            .expect("a record");
        assert_eq!(
            record.record.provider,
            store
                .org_by_code(&Scope::Platform, "RJ1")
                .await
                .unwrap()
                .name,
            "{name}"
        );
        // RJ1's lesson image is there for the other organisation's learners; a stranger organisation's is not.
        assert!(
            store.lesson_image(other.id, image[0].id).await.is_ok(),
            "{name}"
        );
        let third = store
            .list_orgs(&Scope::Platform)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.org.id != org && o.org.id != other.id)
            .unwrap();
        assert!(
            matches!(
                store.lesson_image(third.org.id, image[0].id).await,
                Err(StoreError::NotFound)
            ),
            "{name}"
        );

        // The API publishes too, with the same checks; an admin may author, a learner may not.
        let mut admin = Client::signed_in(&app, ADMIN.0, ADMIN.1).await;
        let questions = serde_json::to_value(&bank.questions).unwrap();
        let res = admin
            .post_json(
                "/api/v1/organisations/RJ1/banks/api-bank",
                &serde_json::json!({ "questions": questions }),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        assert_eq!(res.json()["version"], 1);
        let mut broken = bank.questions.clone();
        broken[2].options.iter_mut().for_each(|o| o.correct = false);
        let res = admin
            .post_json(
                "/api/v1/organisations/RJ1/banks/api-bank",
                &serde_json::json!({ "questions": broken }),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            res.json()["problems"][0]["field"],
            "questions[3]",
            "{name}: {}",
            res.body
        );
        let mut course = store.course(org, "ward-fire-1").await.unwrap().course;
        course.code = "api-course".into();
        course.prerequisites.clear();
        let res = admin
            .post_json(
                "/api/v1/organisations/RJ1/courses",
                &serde_json::to_value(&course).unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{name}: {}", res.body);
        course.prerequisites = vec!["no-such".into()];
        let res = admin
            .post_json(
                "/api/v1/organisations/RJ1/courses",
                &serde_json::to_value(&course).unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            res.json()["problems"][0]["field"],
            "prerequisites",
            "{name}"
        );
        let res = learner
            .post_json(
                "/api/v1/organisations/RJ1/courses",
                &serde_json::to_value(&course).unwrap(),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}");
    }
}
