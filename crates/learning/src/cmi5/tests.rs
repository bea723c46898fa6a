use super::*;

/// A course in the shape of the cmi5 specification's examples and ADL's CATAPULT test courses: a block of two
/// AUs and a third AU at the top level.
const COURSE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://lantern.example/courses/sepsis">
    <title>
      <langstring lang="en-US">Sepsis recognition</langstring>
      <langstring lang="en-GB">Sepsis recognition (UK)</langstring>
    </title>
    <description><langstring lang="en-US">Spotting sepsis early.</langstring></description>
  </course>
  <block id="https://lantern.example/courses/sepsis/block/1">
    <title><langstring lang="en-US">Recognise</langstring></title>
    <au id="https://lantern.example/courses/sepsis/au/1" moveOn="Completed">
      <title><langstring lang="en-US">Red flags</langstring></title>
      <url>au1/index.html?lang=en</url>
    </au>
    <au id="https://lantern.example/courses/sepsis/au/2" moveOn="CompletedAndPassed" masteryScore="0.8"
        launchMethod="OwnWindow" activityType="http://adlnet.gov/expapi/activities/assessment">
      <title><langstring lang="en-US">Check</langstring></title>
      <url>au2/index.html</url>
      <launchParameters>{"mode":"exam"}</launchParameters>
    </au>
  </block>
  <au id="https://lantern.example/courses/sepsis/au/3" moveOn="NotApplicable">
    <title><langstring lang="en-US">Further reading</langstring></title>
    <url>https://content.example.org/reading</url>
  </au>
</courseStructure>"#;

#[test]
fn a_course_structure_is_read_with_blocks_aus_and_their_rules() {
    let c = CourseStructure::parse(COURSE.as_bytes()).expect("valid");
    assert_eq!(c.id, "https://lantern.example/courses/sepsis");
    assert_eq!(
        c.title, "Sepsis recognition (UK)",
        "British English preferred"
    );
    assert_eq!(c.description, "Spotting sepsis early.");
    let aus = c.aus();
    assert_eq!(aus.len(), 3);
    assert_eq!(aus[0].url, AuUrl::Package("au1/index.html?lang=en".into()));
    assert_eq!(aus[0].move_on, MoveOn::Completed);
    assert_eq!(aus[1].mastery_score, Some(0.8));
    assert_eq!(aus[1].launch_method, LaunchMethod::OwnWindow);
    assert_eq!(
        aus[1].launch_parameters.as_deref(),
        Some(r#"{"mode":"exam"}"#)
    );
    assert_eq!(
        aus[2].url,
        AuUrl::External("https://content.example.org/reading".into())
    );
    assert!(matches!(&c.children[0], Node::Block(b) if b.children.len() == 2));
}

#[test]
fn the_course_is_satisfied_when_every_block_and_au_is() {
    let c = CourseStructure::parse(COURSE.as_bytes()).unwrap();
    let au = |n: u8| format!("https://lantern.example/courses/sepsis/au/{n}");
    let block = "https://lantern.example/courses/sepsis/block/1".to_string();
    let mut results = BTreeMap::new();
    let s = c.satisfaction(&results);
    assert!(!s.course);
    assert!(s.aus[&au(3)], "NotApplicable is satisfied from the start");

    results.insert(
        au(1),
        AuResult {
            completed: true,
            ..AuResult::default()
        },
    );
    results.insert(
        au(2),
        AuResult {
            completed: true,
            ..AuResult::default()
        },
    );
    let s = c.satisfaction(&results);
    assert!(
        s.aus[&au(1)] && !s.aus[&au(2)],
        "CompletedAndPassed needs the pass too"
    );
    assert!(!s.blocks[&block] && !s.course);

    results.insert(
        au(2),
        AuResult {
            completed: true,
            passed: true,
            ..AuResult::default()
        },
    );
    let s = c.satisfaction(&results);
    assert!(s.blocks[&block] && s.course);

    // A waiver satisfies whatever the moveOn.
    let mut waived = BTreeMap::new();
    waived.insert(
        au(1),
        AuResult {
            waived: true,
            ..AuResult::default()
        },
    );
    waived.insert(
        au(2),
        AuResult {
            waived: true,
            ..AuResult::default()
        },
    );
    assert!(c.satisfaction(&waived).course);
}

#[test]
fn each_move_on_rule_means_what_cmi5_says() {
    let done = AuResult {
        completed: true,
        ..AuResult::default()
    };
    let pass = AuResult {
        passed: true,
        ..AuResult::default()
    };
    let both = AuResult {
        completed: true,
        passed: true,
        ..AuResult::default()
    };
    let none = AuResult::default();
    let table = [
        (MoveOn::Passed, [false, false, true, true]),
        (MoveOn::Completed, [false, true, false, true]),
        (MoveOn::CompletedAndPassed, [false, false, false, true]),
        (MoveOn::CompletedOrPassed, [false, true, true, true]),
        (MoveOn::NotApplicable, [true, true, true, true]),
    ];
    for (rule, want) in table {
        let got = [none, done, pass, both].map(|r| r.satisfies(rule));
        assert_eq!(got, want, "{rule:?}");
    }
}

#[test]
fn bad_structures_name_the_element_and_reason() {
    let cases = [
        (
            "moveOn=\"Completed\"",
            "moveOn=\"Finished\"",
            "au[https://lantern.example/courses/sepsis/au/1]",
            "moveOn \"Finished\"",
        ),
        (
            "masteryScore=\"0.8\"",
            "masteryScore=\"80\"",
            "au[https://lantern.example/courses/sepsis/au/2]",
            "from 0 to 1",
        ),
        (
            "<url>au2/index.html</url>",
            "<url>../../secret</url>",
            "au[https://lantern.example/courses/sepsis/au/2]/url",
            "climbs out",
        ),
        (
            "<url>au2/index.html</url>",
            "",
            "au[https://lantern.example/courses/sepsis/au/2]",
            "must have a <url>",
        ),
        (
            "sepsis/au/3\"",
            "sepsis/au/1\"",
            "au[https://lantern.example/courses/sepsis/au/1]",
            "used twice",
        ),
        (
            "<course id=\"https://lantern.example/courses/sepsis\">",
            "<course id=\"sepsis course\">",
            "courseStructure/course",
            "not an IRI",
        ),
        (
            "launchMethod=\"OwnWindow\"",
            "launchMethod=\"Popup\"",
            "au[https://lantern.example/courses/sepsis/au/2]",
            "launchMethod",
        ),
    ];
    for (from, to, element, reason) in cases {
        assert!(COURSE.contains(from), "{from}");
        let bad = COURSE.replacen(from, to, 1);
        let e = CourseStructure::parse(bad.as_bytes()).expect_err(to);
        assert!(e.element.ends_with(element), "{e}");
        assert!(e.reason.contains(reason), "{e}");
    }
    let e = CourseStructure::parse(b"<manifest/>").unwrap_err();
    assert!(e.reason.contains("<courseStructure>"), "{e}");
    let xxe = COURSE.replacen(
        "<courseStructure",
        "<!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><courseStructure",
        1,
    );
    assert!(
        CourseStructure::parse(xxe.as_bytes())
            .unwrap_err()
            .reason
            .contains("DOCTYPE")
    );
}
