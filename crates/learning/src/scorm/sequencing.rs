//! SCORM 2004 sequencing as far as the multi-SCO packages of the common authoring tools use it: a table of contents
//! to choose from, flow (continue and previous), and simple rollup of completion and success to the package.
//!
//! Sources: ADL SCORM 2004 4th Edition Sequencing and Navigation (SN) book (2009): 3.2.1 (sequencing control modes:
//! `choice`, `flow` and `forwardOnly` are set on a cluster and govern navigation among its children), 4.2 (the
//! navigation requests `continue`, `previous` and `choice`), and 3.7 and 4.6 (rollup: with no rollup rules, a
//! cluster is satisfied when all its children are, not satisfied when any is not, and completed when all its children
//! are). Not supported: sequencing rules (pre-, post- and exit conditions), limit conditions, rollup rules other than
//! the default, objective maps shared between SCOs and randomisation; a package that relies on them plays with
//! choice and flow only. SCORM 1.2 has no sequencing: its SCOs may be taken in any order, and the player offers
//! previous and next among them, as 1.2 players do.

use super::ScormVersion;
use super::manifest::{ControlMode, Item, Manifest, ScormType};
use super::runtime::ScoOutcome;
use serde::Serialize;
use std::collections::BTreeMap;

/// One launchable item (a SCO or an asset) in the order a learner meets it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    pub identifier: String,
    pub title: String,
    /// How deep in the tree (0 for a child of the organisation), for the table of contents.
    pub depth: usize,
    /// False for an asset: it does not talk to the runtime, and counts as completed once launched (SN 4.2.1).
    pub sco: bool,
    /// Shown in the table of contents and may be chosen from it (`choice` on every ancestor, and `isvisible`).
    pub choosable: bool,
    /// The activity `continue` goes to, if flow allows it.
    pub next: Option<usize>,
    /// The activity `previous` goes to, if flow allows it and no ancestor is forward only.
    pub previous: Option<usize>,
}

/// The activities of a package's default organisation, with where choice and flow may take a learner.
pub fn activities(manifest: &Manifest) -> Vec<Activity> {
    let org = manifest.default_organization();
    let free = manifest.version == ScormVersion::Scorm12;
    // (item, depth, the control modes of its ancestors, innermost last)
    let mut leaves: Vec<(&Item, usize, Vec<ControlMode>)> = Vec::new();
    fn walk<'a>(
        items: &'a [Item],
        depth: usize,
        ancestors: &mut Vec<ControlMode>,
        out: &mut Vec<(&'a Item, usize, Vec<ControlMode>)>,
    ) {
        for i in items {
            if i.resource.is_some() {
                out.push((i, depth, ancestors.clone()));
            } else {
                ancestors.push(i.control);
                walk(&i.children, depth + 1, ancestors, out);
                ancestors.pop();
            }
        }
    }
    walk(&org.items, 0, &mut vec![org.control], &mut leaves);
    let n = leaves.len();
    leaves
        .iter()
        .enumerate()
        .map(|(i, (item, depth, ancestors))| {
            let parent = ancestors.last().copied().unwrap_or_default();
            let sco = item
                .resource
                .as_deref()
                .and_then(|r| manifest.resource(r))
                .is_some_and(|r| r.scorm_type == ScormType::Sco);
            // Flow leaves a cluster and enters the next only where both allow it; SCORM 1.2 always flows.
            let flows = |other: usize| {
                free || (parent.flow && leaves[other].2.last().copied().unwrap_or_default().flow)
            };
            let forward_only = !free && ancestors.iter().any(|c| c.forward_only);
            Activity {
                identifier: item.identifier.clone(),
                title: item.title.clone(),
                depth: *depth,
                sco,
                choosable: item.visible && (free || ancestors.iter().all(|c| c.choice)),
                next: (i + 1 < n && flows(i + 1)).then_some(i + 1),
                previous: (i > 0 && !forward_only && flows(i - 1)).then(|| i - 1),
            }
        })
        .collect()
}

/// The package's outcome rolled up from its activities' outcomes (SN 4.6, the default rollup): completed when every
/// activity is completed, passed when every one is satisfied and none failed, failed when any failed. An activity
/// with no outcome yet counts as not attempted.
pub fn rollup(manifest: &Manifest, outcomes: &BTreeMap<String, ScoOutcome>) -> ScoOutcome {
    fn roll(items: &[Item], outcomes: &BTreeMap<String, ScoOutcome>) -> ScoOutcome {
        let children: Vec<ScoOutcome> = items
            .iter()
            .map(|i| {
                if i.resource.is_some() {
                    outcomes.get(&i.identifier).copied().unwrap_or_default()
                } else {
                    roll(&i.children, outcomes)
                }
            })
            .collect();
        let completed = children.iter().all(|c| c.completed);
        let passed = if children.iter().any(|c| c.passed == Some(false)) {
            Some(false)
        } else if children.iter().all(|c| c.satisfied()) {
            // Every child done and none failed: satisfied, whether or not the SCOs judged success themselves.
            Some(true)
        } else {
            None
        };
        let scores: Vec<f64> = children.iter().filter_map(|c| c.scaled_score).collect();
        ScoOutcome {
            completed,
            passed,
            scaled_score: (!scores.is_empty())
                .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        }
    }
    roll(&manifest.default_organization().items, outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorm::manifest::tests::{SCORM12, SCORM2004};

    fn done(passed: Option<bool>) -> ScoOutcome {
        ScoOutcome {
            completed: true,
            passed,
            scaled_score: None,
        }
    }

    #[test]
    fn a_scorm_12_package_is_free_to_choose_and_flows_both_ways() {
        let m = Manifest::parse(SCORM12.as_bytes()).unwrap();
        let a = activities(&m);
        assert!(!a.is_empty());
        assert!(a.iter().all(|x| x.choosable));
        if a.len() > 1 {
            assert_eq!(a[0].next, Some(1));
            assert_eq!(a[1].previous, Some(0));
        }
    }

    #[test]
    fn flow_choice_and_forward_only_follow_the_control_modes() {
        let xml = r#"<manifest identifier="M" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
          <metadata><schemaversion>2004 4th Edition</schemaversion></metadata>
          <organizations default="O"><organization identifier="O"><title>Course</title>
            <item identifier="A" identifierref="R"><title>One</title></item>
            <item identifier="C"><title>Cluster</title>
              <item identifier="B" identifierref="R"><title>Two</title></item>
              <item identifier="D" identifierref="R" isvisible="false"><title>Three</title></item>
              <imsss:sequencing><imsss:controlMode choice="false" flow="true" forwardOnly="true"/></imsss:sequencing>
            </item>
            <imsss:sequencing><imsss:controlMode flow="true"/></imsss:sequencing>
          </organization></organizations>
          <resources><resource identifier="R" type="webcontent" adlcp:scormType="sco" href="a.html"
            xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"/></resources></manifest>"#;
        let m = Manifest::parse(xml.as_bytes()).unwrap();
        let a = activities(&m);
        let ids: Vec<&str> = a.iter().map(|x| x.identifier.as_str()).collect();
        assert_eq!(ids, ["A", "B", "D"]);
        assert_eq!(
            (a[0].choosable, a[1].choosable, a[2].choosable),
            (true, false, false)
        );
        assert_eq!(
            a[0].next,
            Some(1),
            "the organisation and the cluster both flow"
        );
        assert_eq!(a[1].previous, None, "the cluster is forward only");
        assert_eq!(a[1].next, Some(2));
        assert_eq!(a[2].next, None);
        assert_eq!(a[1].depth, 1);

        let mut outcomes = BTreeMap::new();
        outcomes.insert("A".to_string(), done(None));
        outcomes.insert("B".to_string(), done(Some(true)));
        let r = rollup(&m, &outcomes);
        assert!(
            !r.completed && r.passed.is_none(),
            "D is not attempted: {r:?}"
        );
        outcomes.insert("D".to_string(), done(None));
        let r = rollup(&m, &outcomes);
        assert!(r.completed && r.satisfied(), "{r:?}");
        outcomes.insert("D".to_string(), done(Some(false)));
        let r = rollup(&m, &outcomes);
        assert!(
            r.completed && !r.satisfied(),
            "one failed SCO fails the package: {r:?}"
        );
    }

    #[test]
    fn the_2004_sample_manifest_rolls_up_when_every_sco_is_done() {
        let m = Manifest::parse(SCORM2004.as_bytes()).unwrap();
        let a = activities(&m);
        let mut outcomes = BTreeMap::new();
        for x in &a[..a.len() - 1] {
            outcomes.insert(x.identifier.clone(), done(None));
        }
        assert_eq!(rollup(&m, &outcomes).completed, a.len() == 1);
        outcomes.insert(a[a.len() - 1].identifier.clone(), done(None));
        assert!(rollup(&m, &outcomes).satisfied());
    }
}
