//! The Person object of the Agents resource (Communication 2.4).

use serde_json::json;

use crate::person_object;

#[test]
fn one_agent_gives_a_person_with_its_own_details() {
    // 2.4.s3.b3: with nothing else known, the Person holds the requested Agent's information.
    let p = person_object(&[
        json!({ "objectType": "Agent", "name": "Andrew Downes", "mbox": "mailto:andrew@example.co.uk" }),
    ]);
    assert_eq!(
        p,
        json!({ "objectType": "Person", "name": ["Andrew Downes"], "mbox": ["mailto:andrew@example.co.uk"] })
    );
}

#[test]
fn several_agents_are_combined_into_arrays_without_repeats() {
    let p = person_object(&[
        json!({ "name": "Andrew Downes", "mbox": "mailto:andrew@example.co.uk" }),
        json!({ "name": "Andrew Downes", "account": { "homePage": "http://www.example.com", "name": "13936749" } }),
        json!({ "name": "A. Downes", "mbox": "mailto:andrew@example.co.uk", "openid": "http://andrew.openid.example.org/" }),
        json!({ "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9" }),
        json!("not an agent"),
    ]);
    assert_eq!(
        p,
        json!({
            "objectType": "Person",
            "name": ["Andrew Downes", "A. Downes"],
            "mbox": ["mailto:andrew@example.co.uk"],
            "mbox_sha1sum": ["ebd31e95054c018b10727ccffd2ef2ec3a016ee9"],
            "openid": ["http://andrew.openid.example.org/"],
            "account": [ { "homePage": "http://www.example.com", "name": "13936749" } ]
        })
    );
}

#[test]
fn no_agents_give_an_empty_person() {
    assert_eq!(person_object(&[]), json!({ "objectType": "Person" }));
}
