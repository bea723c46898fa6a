use super::*;
use crate::cmi5::launch::tests::{spec_au, spec_setup};
use serde_json::json;

#[test]
fn learner_preferences_are_read_as_section_11_gives_them() {
    let p = LearnerPreferences::parse(
        br#"{"languagePreference": "en-US,fr-FR,fr-BE", "audioPreference": "on"}"#,
    )
    .unwrap();
    assert_eq!(p.language_preference.as_deref(), Some("en-US,fr-FR,fr-BE"));
    assert_eq!(p.audio_preference, Some(Audio::On));
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"languagePreference": "en-US,fr-FR,fr-BE", "audioPreference": "on"})
    );
    assert_eq!(
        LearnerPreferences::parse(b"{}").unwrap(),
        LearnerPreferences::default()
    );
    assert_eq!(
        serde_json::to_string(&LearnerPreferences::default()).unwrap(),
        "{}"
    );

    let bad: [(&[u8], &str, &str); 5] = [
        (br#"{"audioPreference": "loud"}"#, "11.2", "on"),
        (br#"{"languagePreference": "en-GB, cy"}"#, "11.1", "\" cy\""),
        (
            br#"{"languagePreference": "english please"}"#,
            "11.1",
            "language tag",
        ),
        (br#"{"volume": 3}"#, "11", "\"volume\""),
        (b"[1]", "11", "object"),
    ];
    for (body, section, word) in bad {
        let e = LearnerPreferences::parse(body).unwrap_err();
        assert_eq!(e.section, section, "{e}");
        assert!(e.reason.contains(word), "{e}");
    }
    // A whole document, as an AU stores it, has both properties and at least one language (ADL's cmi5 test 005-1).
    assert!(
        LearnerPreferences::parse_document(
            br#"{"languagePreference": "en-GB,cy", "audioPreference": "off"}"#
        )
        .is_ok()
    );
    let incomplete: [(&[u8], &str); 3] = [
        (br#"{"audioPreference": "on"}"#, "11"),
        (br#"{"languagePreference": "en-GB"}"#, "11"),
        (
            br#"{"languagePreference": "", "audioPreference": "on"}"#,
            "11.1",
        ),
    ];
    for (body, section) in incomplete {
        let e = LearnerPreferences::parse_document(body).unwrap_err();
        assert_eq!(e.section, section, "{e}");
    }
}

#[test]
fn a_session_credential_reaches_its_own_learner_au_and_registration_only() {
    let au = spec_au();
    let l = crate::cmi5::Launch::new(&au, spec_setup(&au)).unwrap();
    let me = l.au.actor.to_json();
    let other = json!({"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "42"}});
    let reg = l.au.registration.clone();
    let state = |activity_id, agent, registration, state_id, write| DocumentRequest::State {
        activity_id,
        agent,
        registration,
        state_id,
        write,
    };
    let own = l.au.activity_id.as_str();
    assert!(
        l.check_document_request(state(
            own,
            &me,
            Some(&reg),
            Some(LAUNCH_DATA_STATE_ID),
            false
        ))
        .is_ok()
    );
    assert!(
        l.check_document_request(state(own, &me, Some(&reg), Some("bookmark"), true))
            .is_ok()
    );
    let refusals = [
        (
            state(own, &me, Some(&reg), Some(LAUNCH_DATA_STATE_ID), true),
            "10.2.1",
        ),
        (state(own, &me, Some(&reg), None, true), "10.2.1"),
        (
            state(own, &other, Some(&reg), Some("bookmark"), false),
            "10.1",
        ),
        (
            state(
                "http://www.example.com/other",
                &me,
                Some(&reg),
                Some("bookmark"),
                false,
            ),
            "10.1",
        ),
        (state(own, &me, None, Some("bookmark"), false), "10.1"),
        (
            DocumentRequest::AgentProfile {
                agent: &me,
                profile_id: Some("secrets"),
                write: true,
            },
            "11",
        ),
        (
            DocumentRequest::AgentProfile {
                agent: &other,
                profile_id: Some(LEARNER_PREFERENCES_PROFILE_ID),
                write: false,
            },
            "11",
        ),
        (
            DocumentRequest::ActivityProfile {
                activity_id: "http://www.example.com/other",
                write: true,
            },
            "12",
        ),
    ];
    for (req, section) in refusals {
        let e = l.check_document_request(req).expect_err(section);
        assert_eq!(e.section, section, "{req:?}: {e}");
    }
    assert!(
        l.check_document_request(DocumentRequest::AgentProfile {
            agent: &me,
            profile_id: Some(LEARNER_PREFERENCES_PROFILE_ID),
            write: true
        })
        .is_ok()
    );
}
