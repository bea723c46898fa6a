//! Test data: the xAPI 1.0.3 specification's example statements (Data 2.3.2.s3, 2.4.s2, 2.4.4.3, Appendices A-D,
//! Communication 1.5.2.s6) and helpers to build variations.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Authority, PrepareContext, Prepared, Version, XapiError, prepare};

/// Data 2.4.s2: the simplest statement with all required and recommended properties.
pub fn simplest() -> Value {
    json!({
        "id": "12345678-1234-5678-1234-567812345678",
        "actor": { "mbox": "mailto:xapi@adlnet.gov" },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/created", "display": { "en-US": "created" } },
        "object": { "id": "http://example.adlnet.gov/xapi/example/activity" }
    })
}

/// Data Appendix A: the simple statement.
pub fn simple() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "timestamp": "2015-11-18T12:17:00+00:00",
        "actor": { "objectType": "Agent", "name": "Project Tin Can API", "mbox": "mailto:user@example.com" },
        "verb": { "id": "http://example.com/xapi/verbs#sent-a-statement", "display": { "en-US": "sent" } },
        "object": {
            "id": "http://example.com/xapi/activity/simplestatement",
            "definition": {
                "name": { "en-US": "simple statement" },
                "description": { "en-US": "A simple Experience API statement. Note that the LRS does not need to have any prior information about the Actor (learner), the verb, or the Activity/object." }
            }
        }
    })
}

/// Data Appendix A: completion with verb "attempted" and a duration in seconds.
pub fn attempted() -> Value {
    json!({
        "id": "7ccd3322-e1a5-411a-a67d-6a735c76f119",
        "timestamp": "2015-12-18T12:17:00+00:00",
        "actor": { "objectType": "Agent", "name": "Example Learner", "mbox": "mailto:example.learner@adlnet.gov" },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/attempted", "display": { "en-US": "attempted" } },
        "object": {
            "id": "http://example.adlnet.gov/xapi/example/simpleCBT",
            "definition": {
                "name": { "en-US": "simple CBT course" },
                "description": { "en-US": "A fictitious example CBT course." }
            }
        },
        "result": { "score": { "scaled": 0.95 }, "success": true, "completion": true, "duration": "PT1234S" }
    })
}

/// Data Appendix A: the long example showing most properties, as returned by an LRS.
pub fn long() -> Value {
    json!({
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {
            "name": "Team PB",
            "mbox": "mailto:teampb@example.com",
            "member": [
                { "name": "Andrew Downes", "account": { "homePage": "http://www.example.com", "name": "13936749" }, "objectType": "Agent" },
                { "name": "Toby Nichols", "openid": "http://toby.openid.example.org/", "objectType": "Agent" },
                { "name": "Ena Hills", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent" }
            ],
            "objectType": "Group"
        },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/attended", "display": { "en-GB": "attended", "en-US": "attended" } },
        "result": {
            "extensions": { "http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes\\examplemeeting.one" },
            "success": true,
            "completion": true,
            "response": "We agreed on some example actions.",
            "duration": "PT1H0M0S"
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {
                "parent": [ { "id": "http://www.example.com/meetings/series/267", "objectType": "Activity" } ],
                "category": [ {
                    "id": "http://www.example.com/meetings/categories/teammeeting",
                    "objectType": "Activity",
                    "definition": {
                        "name": { "en": "team meeting" },
                        "description": { "en": "A category of meeting used for regular team meetings." },
                        "type": "http://example.com/expapi/activities/meetingcategory"
                    }
                } ],
                "other": [
                    { "id": "http://www.example.com/meetings/occurances/34257", "objectType": "Activity" },
                    { "id": "http://www.example.com/meetings/occurances/3425567", "objectType": "Activity" }
                ]
            },
            "instructor": { "name": "Andrew Downes", "account": { "homePage": "http://www.example.com", "name": "13936749" }, "objectType": "Agent" },
            "team": { "name": "Team PB", "mbox": "mailto:teampb@example.com", "objectType": "Group" },
            "platform": "Example virtual meeting software",
            "language": "tlh",
            "statement": { "objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee" }
        },
        "timestamp": "2013-05-18T05:32:34.804+00:00",
        "stored": "2013-05-18T05:32:34.804+00:00",
        "authority": { "account": { "homePage": "http://cloud.scorm.com/", "name": "anonymous" }, "objectType": "Agent" },
        "version": "1.0.0",
        "object": {
            "id": "http://www.example.com/meetings/occurances/34534",
            "definition": {
                "extensions": { "http://example.com/profiles/meetings/activitydefinitionextensions/room": { "name": "Kilby", "id": "http://example.com/rooms/342" } },
                "name": { "en-GB": "example meeting", "en-US": "example meeting" },
                "description": {
                    "en-GB": "An example meeting that happened on a specific occasion with certain people present.",
                    "en-US": "An example meeting that happened on a specific occasion with certain people present."
                },
                "type": "http://adlnet.gov/expapi/activities/meeting",
                "moreInfo": "http://virtualmeeting.example.com/345256"
            },
            "objectType": "Activity"
        }
    })
}

/// Data 2.3.2.s3: voiding a statement.
pub fn voiding() -> Value {
    json!({
        "actor": { "objectType": "Agent", "name": "Example Admin", "mbox": "mailto:admin@example.adlnet.gov" },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/voided", "display": { "en-US": "voided" } },
        "object": { "objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0" }
    })
}

/// Data 2.4.4.3.s5: commenting on a statement through a StatementRef.
pub fn commented() -> Value {
    json!({
        "actor": { "objectType": "Agent", "mbox": "mailto:test@example.com" },
        "verb": { "id": "http://example.com/commented", "display": { "en-US": "commented" } },
        "object": { "objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0" },
        "result": { "response": "Wow, nice work!" }
    })
}

/// Data 2.4.4.3.s9: "I planned to visit 'Some Awesome Website'", with a SubStatement.
pub fn planned() -> Value {
    json!({
        "actor": { "objectType": "Agent", "mbox": "mailto:test@example.com" },
        "verb": { "id": "http://example.com/planned", "display": { "en-US": "planned" } },
        "object": {
            "objectType": "SubStatement",
            "actor": { "objectType": "Agent", "mbox": "mailto:test@example.com" },
            "verb": { "id": "http://example.com/visited", "display": { "en-US": "will visit" } },
            "object": {
                "objectType": "Activity",
                "id": "http://example.com/website",
                "definition": { "name": { "en-US": "Some Awesome Website" } }
            }
        }
    })
}

/// Data Appendix B: the example objects of each type.
pub fn appendix_b_activity() -> Value {
    json!({
        "id": "http://www.example.co.uk/exampleactivity",
        "definition": {
            "name": { "en-GB": "example activity", "en-US": "example activity" },
            "description": { "en-GB": "An example of an activity", "en-US": "An example of an activity" },
            "type": "http://www.example.co.uk/types/exampleactivitytype"
        },
        "objectType": "Activity"
    })
}

pub fn appendix_b_agent() -> Value {
    json!({ "name": "Andrew Downes", "mbox": "mailto:andrew@example.co.uk", "objectType": "Agent" })
}

pub fn appendix_b_group() -> Value {
    json!({
        "name": "Example Group",
        "account": { "homePage": "http://example.com/homePage", "name": "GroupAccount" },
        "objectType": "Group",
        "member": [
            { "name": "Andrew Downes", "mbox": "mailto:andrew@example.com", "objectType": "Agent" },
            { "name": "Aaron Silvers", "openid": "http://aaron.openid.example.org", "objectType": "Agent" }
        ]
    })
}

pub fn appendix_b_substatement() -> Value {
    json!({
        "objectType": "SubStatement",
        "actor": { "objectType": "Agent", "mbox": "mailto:agent@example.com" },
        "verb": { "id": "http://example.com/confirmed", "display": { "en": "confirmed" } },
        "object": { "objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb" }
    })
}

/// Data Appendix C: the example definition of each interaction type.
pub fn interactions() -> Vec<(&'static str, Value)> {
    let t = "http://adlnet.gov/expapi/activities/cmi.interaction";
    let c = |id: &str, text: &str| json!({ "id": id, "description": { "en-US": text } });
    vec![
        (
            "true-false",
            json!({
                "description": { "en-US": "Does the xAPI include the concept of statements?" },
                "type": t, "interactionType": "true-false", "correctResponsesPattern": ["true"]
            }),
        ),
        (
            "choice",
            json!({
                "description": { "en-US": "Which of these prototypes are available at the beta site?" },
                "type": t, "interactionType": "choice", "correctResponsesPattern": ["golf[,]tetris"],
                "choices": [c("golf", "Golf Example"), c("facebook", "Facebook App"), c("tetris", "Tetris Example"), c("scrabble", "Scrabble Example")]
            }),
        ),
        (
            "fill-in",
            json!({
                "description": { "en-US": "Ben is often heard saying: " },
                "type": t, "interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]
            }),
        ),
        (
            "long-fill-in",
            json!({
                "description": { "en-US": "What is the purpose of the xAPI?" },
                "type": t, "interactionType": "long-fill-in",
                "correctResponsesPattern": ["{case_matters=false}{lang=en}To store and provide access to learning experiences."]
            }),
        ),
        (
            "likert",
            json!({
                "description": { "en-US": "How awesome is Experience API?" },
                "type": t, "interactionType": "likert", "correctResponsesPattern": ["likert_3"],
                "scale": [c("likert_0", "It's OK"), c("likert_1", "It's Pretty Cool"), c("likert_2", "It's Damn Cool"), c("likert_3", "It's Gonna Change the World")]
            }),
        ),
        (
            "matching",
            json!({
                "description": { "en-US": "Match these people to their kickball team:" },
                "type": t, "interactionType": "matching",
                "correctResponsesPattern": ["ben[.]3[,]chris[.]2[,]troy[.]4[,]freddie[.]1"],
                "source": [c("ben", "Ben"), c("chris", "Chris"), c("troy", "Troy"), c("freddie", "Freddie")],
                "target": [c("1", "Swift Kick in the Grass"), c("2", "We got Runs"), c("3", "Duck"), c("4", "Van Delay Industries")]
            }),
        ),
        (
            "performance",
            json!({
                "description": { "en-US": "This interaction measures performance over a day of RS sports:" },
                "type": t, "interactionType": "performance", "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10[,]lunch[.]"],
                "steps": [c("pong", "Net pong matches won"), c("dg", "Strokes over par in disc golf at Liberty"), c("lunch", "Lunch having been eaten")]
            }),
        ),
        (
            "sequencing",
            json!({
                "description": { "en-US": "Order players by their pong ladder position:" },
                "type": t, "interactionType": "sequencing", "correctResponsesPattern": ["tim[,]mike[,]ells[,]ben"],
                "choices": [c("tim", "Tim"), c("ben", "Ben"), c("ells", "Ells"), c("mike", "Mike")]
            }),
        ),
        (
            "numeric",
            json!({
                "description": { "en-US": "How many jokes is Chris the butt of each day?" },
                "type": t, "interactionType": "numeric", "correctResponsesPattern": ["4[:]"]
            }),
        ),
        (
            "other",
            json!({
                "description": { "en-US": "On this map, please mark Franklin, TN" },
                "type": t, "interactionType": "other", "correctResponsesPattern": ["(35.937432,-86.868896)"]
            }),
        ),
    ]
}

/// A statement whose object is an Activity with this definition.
pub fn with_definition(def: Value) -> Value {
    let mut s = simplest();
    s["object"]["definition"] = def;
    s
}

/// Communication 1.5.2.s6: the statement of the multipart example, with its one attachment.
pub fn with_attachment() -> Value {
    json!({
        "actor": { "mbox": "mailto:sample.agent@example.com", "name": "Sample Agent", "objectType": "Agent" },
        "verb": { "id": "http://adlnet.gov/expapi/verbs/answered", "display": { "en-US": "answered" } },
        "object": {
            "id": "http://www.example.com/tincan/activities/multipart",
            "objectType": "Activity",
            "definition": { "name": { "en-US": "Multi Part Activity" }, "description": { "en-US": "Multi Part Activity Description" } }
        },
        "attachments": [ {
            "usageType": "http://example.com/attachment-usage/test",
            "display": { "en-US": "A test attachment" },
            "description": { "en-US": "A test attachment (description)" },
            "contentType": "text/plain; charset=ascii",
            "length": 27,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
        } ]
    })
}

/// A 2.0 context with contextAgents and contextGroups.
pub fn context_agents_2_0() -> Value {
    json!({
        "contextAgents": [ {
            "objectType": "contextAgent",
            "agent": { "objectType": "Agent", "mbox": "mailto:player-1@example.com" },
            "relevantTypes": [ "https://example.com/xapi/american-football/activity-types/personnel/player" ]
        } ],
        "contextGroups": [ {
            "objectType": "contextGroup",
            "group": { "objectType": "Group", "mbox": "mailto:team-1@example.com", "member": [ { "mbox": "mailto:player-2@example.com" } ] },
            "relevantTypes": [ "https://example.com/xapi/american-football/activity-types/team" ]
        } ]
    })
}

pub const STORED: &str = "2024-03-01T09:30:00.123Z";

pub fn stored() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789)
}

pub fn new_id() -> Uuid {
    Uuid::parse_str("0b2ed7c9-6b8e-4f0e-a9f4-5d1a5a9d2c11").unwrap()
}

pub fn authority() -> Value {
    json!({ "objectType": "Agent", "account": { "homePage": "https://lantern.example.nhs.uk", "name": "client-7" } })
}

pub fn ctx() -> PrepareContext {
    PrepareContext {
        new_id: new_id(),
        stored: stored(),
        authority: Authority::new(authority()).unwrap(),
    }
}

pub fn prep(v: &Value, version: Version) -> Prepared {
    match prepare(v.clone(), version, &ctx()) {
        Ok(p) => p,
        Err(e) => panic!("expected the statement to be accepted under {version}, got {e}\n{v:#}"),
    }
}

pub fn reject(v: &Value, version: Version) -> XapiError {
    match prepare(v.clone(), version, &ctx()) {
        Ok(_) => panic!("expected the statement to be rejected under {version}\n{v:#}"),
        Err(e) => e,
    }
}

/// Accepted under both versions.
pub fn accept_both(v: &Value) {
    prep(v, Version::V1_0_3);
    prep(v, Version::V2_0_0);
}

/// Rejected under both versions at `path`; returns the 2.0 error.
pub fn reject_both(v: &Value, path: &str) -> XapiError {
    let e1 = reject(v, Version::V1_0_3);
    let e2 = reject(v, Version::V2_0_0);
    assert_eq!(e1.path, path, "1.0.3 error: {e1}");
    assert_eq!(e2.path, path, "2.0 error: {e2}");
    e2
}

/// `v` with the value at a JSON pointer set (objects created on the way).
pub fn set(mut v: Value, pointer: &str, new: Value) -> Value {
    let mut cur = &mut v;
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        cur = match cur {
            Value::Array(items) => &mut items[seg.parse::<usize>().unwrap()],
            other => {
                if !other.is_object() {
                    *other = json!({});
                }
                let m = other.as_object_mut().unwrap();
                if last {
                    m.insert((*seg).to_owned(), new);
                    return v;
                }
                m.entry((*seg).to_owned()).or_insert_with(|| json!({}))
            }
        };
    }
    *cur = new;
    v
}

/// `v` without the value at a JSON pointer.
pub fn remove(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut v
    } else {
        v.pointer_mut(parent).unwrap()
    };
    target.as_object_mut().unwrap().remove(key);
    v
}
