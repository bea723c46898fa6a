//! The model's checked codes: organisation codes, competency subjects and the requirement key's text form.

use super::*;

#[test]
fn organisation_codes_are_checked_and_read_in_upper_case() {
    assert_eq!(OdsCode::parse("RJ1").unwrap(), "RJ1");
    assert_eq!(OdsCode::parse(" rj1 ").unwrap().as_str(), "RJ1");
    assert_eq!(OdsCode::parse("LPH01").unwrap().to_string(), "LPH01");
    for bad in ["", "R1", "RJ-1", "RJ1/../x", "ABCDEFGHIJK", "RJ 1"] {
        let e = OdsCode::parse(bad).unwrap_err();
        assert!(e.contains("not an organisation code"), "{bad}: {e}");
    }
    let from_toml: Result<std::collections::BTreeMap<String, OdsCode>, _> =
        toml::from_str("code = \"x/y\"");
    assert!(from_toml.is_err(), "deserialising checks too");
}

#[test]
fn subjects_are_checked_codes() {
    for good in [
        "cstf.fire_safety",
        "omt.learning_disability_autism",
        "resuscitation",
        "x.a",
        "7day-sepsis",
    ] {
        let s = Subject::parse(good).unwrap();
        assert_eq!(s, good);
        assert_eq!(s.to_string(), good);
    }
    assert_eq!(
        Subject::parse(" fire_safety ").unwrap().as_str(),
        "fire_safety"
    );
    let longest = "a".repeat(Subject::MAX_LEN);
    assert_eq!(Subject::parse(&longest).unwrap().len(), Subject::MAX_LEN);
    for bad in [
        "",
        "  ",
        "Fire_Safety",
        "fire safety",
        "resuscitation:2",
        "cstf/fire",
        ".hidden",
        "_x",
        "séance",
        &"a".repeat(Subject::MAX_LEN + 1),
    ] {
        let e = Subject::parse(bad).unwrap_err();
        assert!(
            e.contains("not a competency subject") && e.contains(&format!("{bad:?}")),
            "{bad}: {e}"
        );
    }
    // Read as the same code a map of strings would have: looked up by `&str`, printed and written as the string.
    let s = Subject::from_static("cstf.fire_safety");
    let map: std::collections::HashMap<Subject, u8> = [(s.clone(), 1)].into();
    assert_eq!(map.get("cstf.fire_safety"), Some(&1));
    let row: std::collections::BTreeMap<String, Subject> =
        toml::from_str("subject = \"cstf.fire_safety\"").unwrap();
    assert_eq!(row["subject"], s);
    assert_eq!(
        toml::to_string(&row).unwrap().trim(),
        "subject = \"cstf.fire_safety\""
    );
    let e =
        toml::from_str::<std::collections::BTreeMap<String, Subject>>("subject = \"Fire Safety\"")
            .unwrap_err()
            .to_string();
    assert!(e.contains("not a competency subject"), "{e}");
}

#[test]
#[should_panic(expected = "not a competency subject")]
fn a_subject_in_the_code_must_be_valid_too() {
    Subject::from_static("Fire safety");
}

#[test]
fn a_requirement_has_one_text_form() {
    let k = RequirementKey::new(Subject::from_static("cstf.resuscitation"), 2);
    assert_eq!(k.to_string(), "cstf.resuscitation:2");
    assert_eq!("cstf.resuscitation:2".parse::<RequirementKey>().unwrap(), k);
    assert!("cstf.resuscitation".parse::<RequirementKey>().is_err());
    assert!("cstf.resuscitation:two".parse::<RequirementKey>().is_err());
    assert!(":2".parse::<RequirementKey>().is_err());
    let e = "Resuscitation:2".parse::<RequirementKey>().unwrap_err();
    assert!(e.contains("not a competency subject"), "{e}");
    let e = "a:b:2".parse::<RequirementKey>().unwrap_err();
    assert!(e.contains("\"a:b\""), "{e}");
}
