//! The demo world's SCORM packages, built here from the project's own SCOs (`demo/scorm/`): a SCORM 1.2 package
//! (one SCO with a mastery score) and a SCORM 2004 4th edition package (two SCOs with flow and choice, rolled up).
//! Each is imported into every organisation through the same path as an admin's upload and published as a course
//! that satisfies a CSTF requirement, so a demo learner can go from overdue to compliant through a package. The cmi5
//! course (`demo/cmi5/`: `cmi5.xml` and one AU whose plain script follows the cmi5 launch protocol) is imported the
//! same way, as a course satisfying fire safety.

use lantern_domain::Timestamp;
use lantern_learning::course::Satisfies;
use lantern_store::Store;
use std::io::Write;

const SCO_JS: &str = include_str!("scorm/sco.js");
const SCO_CSS: &str = include_str!("scorm/sco.css");
const HSW: &str = include_str!("scorm/hsw.html");
const EDHR_1: &str = include_str!("scorm/edhr-1.html");
const EDHR_2: &str = include_str!("scorm/edhr-2.html");
const AU_JS: &str = include_str!("cmi5/au.js");
const AU_CSS: &str = include_str!("cmi5/au.css");
const FIRE: &str = include_str!("cmi5/fire.html");

/// cmi5 (section 13, the course structure): one block with one AU, passed at a scaled score of 0.8 and completed.
const CMI5_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://lantern.invalid/demo/cmi5/fire-safety">
    <title><langstring lang="en-GB">Fire safety</langstring></title>
    <description><langstring lang="en-GB">How a fire starts, what to do if you discover one, and how patients are moved to safety.</langstring></description>
  </course>
  <block id="https://lantern.invalid/demo/cmi5/fire-safety/essentials">
    <title><langstring lang="en-GB">Fire safety essentials</langstring></title>
    <au id="https://lantern.invalid/demo/cmi5/fire-safety/essentials/au" moveOn="CompletedAndPassed" masteryScore="0.8" launchMethod="OwnWindow">
      <title><langstring lang="en-GB">Fire safety in healthcare</langstring></title>
      <description><langstring lang="en-GB">Read the page and answer three questions.</langstring></description>
      <url>fire.html</url>
    </au>
  </block>
</courseStructure>
"#;

/// SCORM 1.2 Content Aggregation Model 3.4: one organisation, one SCO with `adlcp:masteryscore`.
const MANIFEST_12: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="lantern-demo-health-safety" version="1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG">
      <title>Health, safety and welfare</title>
      <item identifier="ITEM-HSW" identifierref="RES-HSW">
        <title>Health, safety and welfare</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-HSW" type="webcontent" adlcp:scormtype="sco" href="hsw.html">
      <file href="hsw.html"/><file href="sco.js"/><file href="sco.css"/>
    </resource>
  </resources>
</manifest>
"#;

/// SCORM 2004 4th Edition CAM 3.4 and SN 5.1.1: two SCOs under an organisation that allows flow and choice.
const MANIFEST_2004: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="lantern-demo-equality" version="1"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG">
      <title>Equality, diversity and human rights</title>
      <item identifier="ITEM-LAW" identifierref="RES-LAW"><title>The law</title></item>
      <item identifier="ITEM-CHECK" identifierref="RES-CHECK"><title>Check your understanding</title></item>
      <imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-LAW" type="webcontent" adlcp:scormType="sco" href="edhr-1.html">
      <file href="edhr-1.html"/><dependency identifierref="RES-COMMON"/>
    </resource>
    <resource identifier="RES-CHECK" type="webcontent" adlcp:scormType="sco" href="edhr-2.html">
      <file href="edhr-2.html"/><dependency identifierref="RES-COMMON"/>
    </resource>
    <resource identifier="RES-COMMON" type="webcontent" adlcp:scormType="asset">
      <file href="sco.js"/><file href="sco.css"/>
    </resource>
  </resources>
</manifest>
"#;

/// The cmi5 demo course: `cmi5.xml` and its one AU, a page whose script follows the cmi5 launch protocol.
pub fn cmi5_fire_safety() -> anyhow::Result<Vec<u8>> {
    zip_of(&[
        ("cmi5.xml", CMI5_XML.as_bytes()),
        ("fire.html", FIRE.as_bytes()),
        ("au.js", AU_JS.as_bytes()),
        ("au.css", AU_CSS.as_bytes()),
    ])
}

/// The cmi5 demo course's code.
pub const CMI5_COURSE: &str = "demo-cmi5-fire-safety";

/// A package's zip, from (path, content) pairs.
pub fn zip_of(entries: &[(&str, &[u8])]) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

/// The SCORM 1.2 demo package.
pub fn scorm_12() -> anyhow::Result<Vec<u8>> {
    zip_of(&[
        ("imsmanifest.xml", MANIFEST_12.as_bytes()),
        ("hsw.html", HSW.as_bytes()),
        ("sco.js", SCO_JS.as_bytes()),
        ("sco.css", SCO_CSS.as_bytes()),
    ])
}

/// The SCORM 2004 4th edition demo package.
pub fn scorm_2004() -> anyhow::Result<Vec<u8>> {
    zip_of(&[
        ("imsmanifest.xml", MANIFEST_2004.as_bytes()),
        ("edhr-1.html", EDHR_1.as_bytes()),
        ("edhr-2.html", EDHR_2.as_bytes()),
        ("sco.js", SCO_JS.as_bytes()),
        ("sco.css", SCO_CSS.as_bytes()),
    ])
}

/// A demo package's course: its code, title, the package's zip and the requirement it satisfies.
pub type DemoCourse = (&'static str, &'static str, Vec<u8>, Satisfies);

/// The demo packages' courses.
pub fn demo_courses() -> anyhow::Result<Vec<DemoCourse>> {
    Ok(vec![
        (
            "demo-scorm12-health-safety",
            "Health, safety and welfare (SCORM 1.2 e-learning)",
            scorm_12()?,
            Satisfies {
                subject: lantern_domain::Subject::from_static("cstf.health_safety_welfare"),
                level: 1,
            },
        ),
        (
            "demo-scorm2004-equality",
            "Equality, diversity and human rights (SCORM 2004 e-learning)",
            scorm_2004()?,
            Satisfies {
                subject: lantern_domain::Subject::from_static(
                    "cstf.equality_diversity_human_rights",
                ),
                level: 1,
            },
        ),
    ])
}

/// Imports both packages into every organisation and publishes their courses. Returns how many courses.
pub async fn publish(store: &dyn Store, now: Timestamp) -> anyhow::Result<usize> {
    let courses = demo_courses()?;
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for (code, _, zip, _) in &courses {
        let path = dir.path().join(format!("{code}.zip"));
        std::fs::write(&path, zip)?;
        files.push(path);
    }
    let cmi5 = dir.path().join("cmi5.zip");
    std::fs::write(&cmi5, cmi5_fire_safety()?)?;
    let mut published = 0;
    for o in store.list_orgs(&lantern_store::Scope::Platform).await? {
        for ((code, title, _, satisfies), path) in courses.iter().zip(&files) {
            lantern_web::learning::import_package(
                store,
                o.org.id,
                None,
                now,
                path,
                lantern_web::learning::CourseSettings {
                    title: (*title).into(),
                    code: (*code).into(),
                    satisfies: vec![satisfies.clone()],
                    estimated_minutes: 10,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo package {code}: {e}"))?;
            published += 1;
        }
        lantern_web::learning::cmi5::import_cmi5(
            store,
            o.org.id,
            None,
            now,
            &cmi5,
            lantern_web::learning::CourseSettings {
                title: "Fire safety (cmi5 e-learning)".into(),
                code: CMI5_COURSE.into(),
                satisfies: vec![Satisfies {
                    subject: lantern_domain::Subject::from_static("cstf.fire_safety"),
                    level: 1,
                }],
                estimated_minutes: 5,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo cmi5 course: {e}"))?;
        published += 1;
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use lantern_learning::scorm::package::{Limits, Package};

    #[test]
    fn the_demo_packages_open_and_check() {
        for (code, _, zip, _) in super::demo_courses().unwrap() {
            let p = Package::open(std::io::Cursor::new(zip), Limits::default())
                .unwrap_or_else(|e| panic!("{code}: {e}"));
            assert!(!p.manifest.launchable_items().is_empty(), "{code}");
        }
        let p = Package::open(
            std::io::Cursor::new(super::scorm_2004().unwrap()),
            Limits::default(),
        )
        .unwrap();
        let a = lantern_learning::scorm::sequencing::activities(&p.manifest);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].next, a[1].previous), (Some(1), Some(0)));
    }
}
