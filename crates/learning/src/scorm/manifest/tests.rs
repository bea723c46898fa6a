use super::*;

/// A single-SCO SCORM 1.2 package as the common authoring tools export it (Storyline, Captivate and iSpring write
/// this shape: one organisation, one item, one SCO with its files).
pub(crate) const SCORM12: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="fire_safety_course" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="fire_org">
    <organization identifier="fire_org">
      <title>Fire safety</title>
      <item identifier="fire_item" identifierref="fire_sco" isvisible="true">
        <title>Fire safety &amp; evacuation</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
        <adlcp:datafromlms>level=1</adlcp:datafromlms>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="fire_sco" type="webcontent" adlcp:scormtype="sco" href="story.html">
      <file href="story.html"/>
      <file href="story_content/user.js"/>
      <dependency identifierref="common"/>
    </resource>
    <resource identifier="common" type="webcontent" adlcp:scormtype="asset">
      <file href="lib/player.js"/>
    </resource>
  </resources>
</manifest>"#;

/// A multi-SCO SCORM 2004 4th edition package with flow navigation, as the ADL sample courses and Rise/Evolve
/// exports use: clusters, `xml:base`, parameters, a completion threshold.
pub(crate) const SCORM2004: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.ipc" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
  </metadata>
  <organizations default="ipc">
    <organization identifier="ipc" adlseq:objectivesGlobalToSystem="false">
      <title>Infection prevention and control</title>
      <item identifier="m1">
        <title>Module 1</title>
        <item identifier="m1_intro" identifierref="r_intro" parameters="?page=1">
          <title>Hand hygiene</title>
          <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
        </item>
        <item identifier="m1_quiz" identifierref="r_quiz">
          <title>Check your understanding</title>
          <imsss:sequencing>
            <imsss:objectives>
              <imsss:primaryObjective objectiveID="quiz_passed" satisfiedByMeasure="true">
                <imsss:minNormalizedMeasure>0.8</imsss:minNormalizedMeasure>
              </imsss:primaryObjective>
              <imsss:objective objectiveID="hand_hygiene"/>
            </imsss:objectives>
          </imsss:sequencing>
        </item>
        <imsss:sequencing>
          <imsss:controlMode choice="false" flow="true"/>
        </imsss:sequencing>
      </item>
      <item identifier="m2_hidden" identifierref="r_intro" isvisible="false">
        <title>Hidden recap</title>
      </item>
      <imsss:sequencing>
        <imsss:controlMode choice="true" flow="true"/>
      </imsss:sequencing>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="r_intro" type="webcontent" adlcp:scormType="sco" xml:base="intro/" href="index.html">
      <file href="index.html"/>
    </resource>
    <resource identifier="r_quiz" type="webcontent" adlcp:scormType="sco" href="quiz/index.html?mode=test">
      <file href="quiz/index.html"/>
    </resource>
  </resources>
</manifest>"#;

#[test]
fn a_scorm_12_package_is_read_as_authoring_tools_write_it() {
    let m = Manifest::parse(SCORM12.as_bytes()).expect("a valid manifest");
    assert_eq!(m.version, ScormVersion::Scorm12);
    assert_eq!(m.version.label(), "SCORM 1.2");
    assert_eq!(m.default_organization().title, "Fire safety");
    let items = m.launchable_items();
    assert_eq!(items.len(), 1);
    let item = items[0];
    assert_eq!(item.title, "Fire safety & evacuation");
    assert_eq!(item.mastery_score, Some(80.0));
    assert_eq!(item.launch_data.as_deref(), Some("level=1"));
    assert_eq!(m.launch_url(item).as_deref(), Some("story.html"));
    let sco = m.resource("fire_sco").unwrap();
    assert_eq!(sco.scorm_type, ScormType::Sco);
    assert_eq!(sco.files, vec!["story.html", "story_content/user.js"]);
    assert_eq!(m.resource("common").unwrap().scorm_type, ScormType::Asset);
}

#[test]
fn a_scorm_2004_package_has_its_tree_bases_parameters_and_sequencing() {
    let m = Manifest::parse(SCORM2004.as_bytes()).expect("a valid manifest");
    assert_eq!(m.version, ScormVersion::Scorm2004 { edition: 4 });
    assert_eq!(m.version.label(), "SCORM 2004 4th Edition");
    let org = m.default_organization();
    assert!(org.control.flow && org.control.choice);
    let cluster = &org.items[0];
    assert!(cluster.resource.is_none());
    assert!(cluster.control.flow && !cluster.control.choice);
    let items = m.launchable_items();
    let ids: Vec<&str> = items.iter().map(|i| i.identifier.as_str()).collect();
    assert_eq!(ids, ["m1_intro", "m1_quiz", "m2_hidden"]);
    assert!(!items[2].visible);
    assert_eq!(items[0].completion_threshold, Some(0.75));
    assert!(items[0].objectives.is_empty());
    assert_eq!(items[1].objectives, ["quiz_passed", "hand_hygiene"]);
    let unnamed = SCORM2004.replace(
        r#"<imsss:objective objectiveID="hand_hygiene"/>"#,
        "<imsss:objective/>",
    );
    let e = Manifest::parse(unnamed.as_bytes()).expect_err("an objective without an id");
    assert!(e.to_string().contains("needs an objectiveID"), "{e}");
    let twice = SCORM2004.replace(
        r#"objectiveID="hand_hygiene""#,
        r#"objectiveID="quiz_passed""#,
    );
    let e = Manifest::parse(twice.as_bytes()).expect_err("an objective declared twice");
    assert!(e.to_string().contains("declared twice"), "{e}");
    assert_eq!(
        m.launch_url(items[0]).as_deref(),
        Some("content/intro/index.html?page=1")
    );
    assert_eq!(
        m.launch_url(items[1]).as_deref(),
        Some("content/quiz/index.html?mode=test")
    );
}

#[test]
fn the_version_comes_from_the_namespace_when_schemaversion_is_missing() {
    let no_meta = SCORM12.replace("<schemaversion>1.2</schemaversion>", "");
    assert_eq!(
        Manifest::parse(no_meta.as_bytes()).unwrap().version,
        ScormVersion::Scorm12
    );
    let third = SCORM2004.replace("2004 4th Edition", "2004 3rd Edition");
    assert_eq!(
        Manifest::parse(third.as_bytes()).unwrap().version,
        ScormVersion::Scorm2004 { edition: 3 }
    );
    let cam = SCORM2004.replace("2004 4th Edition", "CAM 1.3");
    assert_eq!(
        Manifest::parse(cam.as_bytes()).unwrap().version,
        ScormVersion::Scorm2004 { edition: 2 }
    );
}

/// Each broken manifest is refused naming the element, the line and the reason.
#[test]
fn malformed_manifests_name_the_element_line_and_reason() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            r#"identifierref="fire_sco" isvisible"#,
            r#"identifierref="missing" isvisible"#,
            "manifest/organizations/organization[fire_org]/item[fire_item]",
            "identifierref \"missing\" names no resource",
        ),
        (
            r#"<organizations default="fire_org">"#,
            r#"<organizations default="other">"#,
            "manifest/organizations",
            "default \"other\" names no organization",
        ),
        (
            r#"<resource identifier="common""#,
            r#"<resource identifier="fire_sco""#,
            "manifest/resources/resource[fire_sco]",
            "used twice",
        ),
        (
            r#"href="story.html">"#,
            r#"href="../../etc/passwd">"#,
            "manifest/resources/resource[fire_sco]",
            "climbs out of the package",
        ),
        (
            r#"href="story.html">"#,
            r#"href="https://evil.example/x.html">"#,
            "manifest/resources/resource[fire_sco]",
            "outside the package",
        ),
        (
            r#"<file href="story_content/user.js"/>"#,
            r#"<file href="/etc/shadow"/>"#,
            "manifest/resources/resource[fire_sco]/file",
            "absolute path",
        ),
        (
            "<adlcp:masteryscore>80</adlcp:masteryscore>",
            "<adlcp:masteryscore>eighty</adlcp:masteryscore>",
            "manifest/organizations/organization[fire_org]/item[fire_item]",
            "not a number from 0 to 100",
        ),
        (
            "<schemaversion>1.2</schemaversion>",
            "<schemaversion>1.1</schemaversion>",
            "manifest/metadata/schemaversion",
            "is not SCORM 1.2 or SCORM 2004",
        ),
        (
            r#"adlcp:scormtype="sco" href="story.html""#,
            r#"adlcp:scormtype="sco""#,
            "manifest/resources/resource[fire_sco]",
            "must have an href",
        ),
        (
            r#"<dependency identifierref="common"/>"#,
            r#"<dependency identifierref="nowhere"/>"#,
            "manifest/resources/resource[fire_sco]/dependency",
            "names no resource",
        ),
    ];
    for (from, to, element, reason) in cases {
        assert!(
            SCORM12.contains(from),
            "the case's text {from:?} is in the sample"
        );
        let bad = SCORM12.replacen(from, to, 1);
        let e = Manifest::parse(bad.as_bytes()).expect_err(to);
        assert_eq!(&e.element, element, "{e}");
        assert!(e.reason.contains(reason), "{e}");
        // The line of the element that holds the change (an item is named at its start tag, a few lines up).
        let changed = SCORM12.find(from).unwrap();
        let line = bad[..changed].matches('\n').count() + 1;
        assert!(
            e.line <= line && e.line + 4 >= line,
            "line {} for a change on {line}: {e}",
            e.line
        );
    }
}

#[test]
fn an_xxe_manifest_is_refused_before_anything_is_read() {
    let bad = SCORM12.replacen(
        "<manifest",
        "<!DOCTYPE manifest [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<manifest",
        1,
    );
    let e = Manifest::parse(bad.as_bytes()).unwrap_err();
    assert!(e.reason.contains("DOCTYPE"), "{e}");
    assert_eq!(e.line, 2);
}

#[test]
fn an_empty_or_foreign_document_says_what_is_missing() {
    let e = Manifest::parse(b"<html><body/></html>").unwrap_err();
    assert!(e.reason.contains("<manifest>"), "{e}");
    let no_items = SCORM12.split("<item ").next().unwrap().to_owned()
        + "</organization></organizations><resources/></manifest>";
    let e = Manifest::parse(no_items.as_bytes()).unwrap_err();
    assert!(e.reason.contains("no <item>"), "{e}");
}

#[test]
fn package_paths_are_normalised_or_refused() {
    assert_eq!(package_path("a/./b/../c.html").unwrap(), "a/c.html");
    assert_eq!(package_path("a\\b.html").unwrap(), "a/b.html");
    assert!(package_path("%2e%2e/x").is_err());
    assert!(package_path("C:/windows").is_err());
    assert!(package_path("javascript:alert(1)").is_err());
    assert!(package_path("//evil.example/x").is_err());
    assert!(package_path("a/%00b").is_err());
    assert!(package_path("./").is_err());
}
