//! cmi5 course structures (`cmi5.xml`) and when a course is satisfied.
//!
//! Source: the cmi5 specification (AICC/ADL, "cmi5 Quartz", 2016 and its 2nd edition), section 13 (the course
//! structure: course, blocks, assignable units with `moveOn`, `masteryScore`, `launchMethod`, `url`,
//! `launchParameters`, `entitlementKey`) and sections 9.3 and 10 (an AU is satisfied by its moveOn criteria or by a
//! waiver; a block when all its children are; the course when all its children are).
//!
//! - [`documents`]: the `cmi5LearnerPreferences` agent profile and what an AU's session credential may read and
//!   write besides statements (never `LMS.LaunchData`).
//! - [`launch`]: the launch URL, `LMS.LaunchData`, the fetch URL's bodies and the statements the LMS issues
//!   (launched, abandoned, waived, satisfied).
//! - [`package`]: a cmi5 course package (a zip with `cmi5.xml` at its root, checked as SCORM packages are) or a
//!   bare `cmi5.xml` whose AUs are all on other sites.
//! - [`registration`]: a registration's statements read back: each AU's result and the blocks and course already
//!   satisfied, so what to issue next.
//! - [`session`]: an AU session's statements checked in order, and the AU's result they add up to.
//! - [`vocab`]: the verbs, categories, extensions and activity types cmi5 defines.

pub mod documents;
pub mod launch;
pub mod package;
pub mod registration;
pub mod session;
pub mod vocab;

pub use launch::{
    Actor, AuInRegistration, FetchError, Launch, LaunchData, LaunchError, LaunchMode, LaunchSetup,
    NodeKind, Satisfied, WaiveReason,
};
pub use registration::RegistrationState;
pub use session::{Accepted, Phase, Rejection, Session};
pub use vocab::Verb;

use crate::scorm::manifest::package_path;
use crate::xml::{self, Element};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CourseStructure {
    pub id: String,
    pub title: String,
    pub description: String,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Block(Block),
    Au(Au),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub id: String,
    pub title: String,
    pub children: Vec<Node>,
}

/// An assignable unit: one launchable piece of content that reports by xAPI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Au {
    pub id: String,
    pub title: String,
    pub description: String,
    pub url: AuUrl,
    pub move_on: MoveOn,
    /// 0 to 1: the scaled score at which the AU is passed (given to it in LMS.LaunchData).
    pub mastery_score: Option<f64>,
    pub launch_method: LaunchMethod,
    pub launch_parameters: Option<String>,
    pub entitlement_key: Option<String>,
    pub activity_type: Option<String>,
}

/// Where an AU's content is: inside the imported package, or on another site (a cmi5 AU may be hosted anywhere).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "url", rename_all = "snake_case")]
pub enum AuUrl {
    Package(String),
    External(String),
}

impl AuUrl {
    /// The fully qualified URL to launch: an external URL as it is, a package path under `package_base` (where
    /// the LMS serves this package's files).
    pub fn resolve(&self, package_base: &str) -> String {
        match self {
            AuUrl::External(url) => url.clone(),
            AuUrl::Package(path) => format!("{}/{path}", package_base.trim_end_matches('/')),
        }
    }
}

/// What satisfies an AU (cmi5 13.1.4, `moveOn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveOn {
    Passed,
    Completed,
    CompletedAndPassed,
    CompletedOrPassed,
    NotApplicable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaunchMethod {
    AnyWindow,
    OwnWindow,
}

/// Why a course structure was refused: where (`courseStructure/block[ID]/au[ID]`), the line and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cmi5.xml line {line}, {element}: {reason}")]
pub struct Cmi5Error {
    pub element: String,
    pub line: usize,
    pub reason: String,
}

fn err(element: &str, el: &Element, reason: impl Into<String>) -> Cmi5Error {
    Cmi5Error {
        element: element.to_owned(),
        line: el.line,
        reason: reason.into(),
    }
}

impl CourseStructure {
    pub fn parse(bytes: &[u8]) -> Result<Self, Cmi5Error> {
        let root = xml::parse(bytes).map_err(|e| Cmi5Error {
            element: "cmi5.xml".into(),
            line: e.line,
            reason: e.reason,
        })?;
        if root.name != "courseStructure" {
            return Err(err(
                &root.name,
                &root,
                "the root element must be <courseStructure> (is this a cmi5 course?)",
            ));
        }
        let here = "courseStructure/course";
        let course = root
            .child("course")
            .ok_or_else(|| err("courseStructure", &root, "there is no <course> element"))?;
        let id = iri(here, course)?;
        let mut seen = HashSet::from([id.clone()]);
        let objectives = declared_objectives(&root, &mut seen)?;
        let children = nodes("courseStructure", &root, &mut seen, &objectives)?;
        if !children.iter().any(has_au) {
            return Err(err(
                "courseStructure",
                &root,
                "the course has no <au> to launch",
            ));
        }
        Ok(CourseStructure {
            id,
            title: langstring(course, "title").unwrap_or_default(),
            description: langstring(course, "description").unwrap_or_default(),
            children,
        })
    }

    /// The AUs in course order.
    pub fn aus(&self) -> Vec<&Au> {
        fn walk<'a>(nodes: &'a [Node], out: &mut Vec<&'a Au>) {
            for n in nodes {
                match n {
                    Node::Au(a) => out.push(a),
                    Node::Block(b) => walk(&b.children, out),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.children, &mut out);
        out
    }

    /// Which AUs, blocks and the course itself are satisfied, given each AU's results so far.
    pub fn satisfaction(&self, results: &BTreeMap<String, AuResult>) -> Satisfaction {
        let mut s = Satisfaction::default();
        // Every node is visited (not short-circuited), so each block and AU gets its own answer.
        let each: Vec<bool> = self
            .children
            .iter()
            .map(|n| node_satisfied(n, results, &mut s))
            .collect();
        s.course = each.into_iter().all(|b| b);
        s
    }

    /// The blocks and the course that `results` satisfy and that have had no "satisfied" statement yet
    /// (`already` holds their ids in the structure), inner blocks before outer ones and the course last, the order
    /// the LMS issues them in (9.3.9: at most one per block or course in a registration). At registration, with
    /// no results, this gives what NotApplicable AUs satisfy at once (9.6.1).
    pub fn newly_satisfied(
        &self,
        results: &BTreeMap<String, AuResult>,
        already: &BTreeSet<String>,
    ) -> Vec<Satisfied> {
        fn walk(
            nodes: &[Node],
            s: &Satisfaction,
            already: &BTreeSet<String>,
            out: &mut Vec<Satisfied>,
        ) {
            for n in nodes {
                if let Node::Block(b) = n {
                    walk(&b.children, s, already, out);
                    if s.blocks.get(&b.id) == Some(&true) && !already.contains(&b.id) {
                        out.push(Satisfied {
                            kind: NodeKind::Block,
                            publisher_id: b.id.clone(),
                        });
                    }
                }
            }
        }
        let s = self.satisfaction(results);
        let mut out = Vec::new();
        walk(&self.children, &s, already, &mut out);
        if s.course && !already.contains(&self.id) {
            out.push(Satisfied {
                kind: NodeKind::Course,
                publisher_id: self.id.clone(),
            });
        }
        out
    }
}

fn has_au(n: &Node) -> bool {
    match n {
        Node::Au(_) => true,
        Node::Block(b) => b.children.iter().any(has_au),
    }
}

/// What an AU's statements have said so far (cmi5 9.3: completed, passed, failed, waived); see
/// [`AuResult::from_statements`] and [`Session::result`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuResult {
    pub completed: bool,
    pub passed: bool,
    /// A fail satisfies nothing; kept so a learner's page can say so (and a later pass still counts).
    pub failed: bool,
    pub waived: bool,
}

impl AuResult {
    pub fn satisfies(self, move_on: MoveOn) -> bool {
        self.waived
            || match move_on {
                MoveOn::Passed => self.passed,
                MoveOn::Completed => self.completed,
                MoveOn::CompletedAndPassed => self.completed && self.passed,
                MoveOn::CompletedOrPassed => self.completed || self.passed,
                MoveOn::NotApplicable => true,
            }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Satisfaction {
    pub course: bool,
    pub blocks: BTreeMap<String, bool>,
    pub aus: BTreeMap<String, bool>,
}

fn node_satisfied(n: &Node, results: &BTreeMap<String, AuResult>, s: &mut Satisfaction) -> bool {
    match n {
        Node::Au(a) => {
            let ok = results
                .get(&a.id)
                .copied()
                .unwrap_or_default()
                .satisfies(a.move_on);
            s.aus.insert(a.id.clone(), ok);
            ok
        }
        Node::Block(b) => {
            let each: Vec<bool> = b
                .children
                .iter()
                .map(|c| node_satisfied(c, results, s))
                .collect();
            let ok = each.into_iter().all(|b| b);
            s.blocks.insert(b.id.clone(), ok);
            ok
        }
    }
}

fn nodes(
    path: &str,
    parent: &Element,
    seen: &mut HashSet<String>,
    objectives: &HashSet<String>,
) -> Result<Vec<Node>, Cmi5Error> {
    let mut out = Vec::new();
    for el in &parent.children {
        match el.name.as_str() {
            "block" => {
                let here = format!("{path}/block[{}]", el.attr("id").unwrap_or("?"));
                let id = unique(&here, el, seen)?;
                in_order(&here, el, BLOCK_ORDER)?;
                objective_refs(&here, el, objectives)?;
                let children = nodes(&here, el, seen, objectives)?;
                if children.is_empty() {
                    return Err(err(
                        &here,
                        el,
                        "a block must contain at least one <au> or <block>",
                    ));
                }
                out.push(Node::Block(Block {
                    id,
                    title: langstring(el, "title").unwrap_or_default(),
                    children,
                }));
            }
            "au" => {
                let here = format!("{path}/au[{}]", el.attr("id").unwrap_or("?"));
                out.push(Node::Au(au(&here, el, seen, objectives)?));
            }
            _ => {}
        }
    }
    Ok(out)
}

fn au(
    here: &str,
    el: &Element,
    seen: &mut HashSet<String>,
    objectives: &HashSet<String>,
) -> Result<Au, Cmi5Error> {
    let id = unique(here, el, seen)?;
    in_order(here, el, AU_ORDER)?;
    objective_refs(here, el, objectives)?;
    let url = el
        .child_text("url")
        .ok_or_else(|| err(here, el, "an <au> must have a <url>"))?;
    if let Some(name) = launch::reserved_query_name(url) {
        return Err(err(
            &format!("{here}/url"),
            el,
            format!("the query uses {name:?}, a name the cmi5 launch adds (cmi5 8.1)"),
        ));
    }
    let url = if url.starts_with("https://") || url.starts_with("http://") {
        if let Some(reason) = bad_absolute_url(url) {
            return Err(err(&format!("{here}/url"), el, reason));
        }
        AuUrl::External(url.to_owned())
    } else {
        // cmi5 13.1.4: a relative url is relative to the package; its query is kept for the launch.
        let (file, query) = match url.find(['?', '#']) {
            Some(i) => url.split_at(i),
            None => (url, ""),
        };
        AuUrl::Package(format!(
            "{}{query}",
            package_path(file).map_err(|r| err(&format!("{here}/url"), el, r))?
        ))
    };
    let move_on = match el.attr("moveOn").map(str::trim) {
        None | Some("NotApplicable") => MoveOn::NotApplicable,
        Some("Passed") => MoveOn::Passed,
        Some("Completed") => MoveOn::Completed,
        Some("CompletedAndPassed") => MoveOn::CompletedAndPassed,
        Some("CompletedOrPassed") => MoveOn::CompletedOrPassed,
        Some(v) => {
            return Err(err(
                here,
                el,
                format!(
                    "moveOn {v:?} is not one of Passed, Completed, CompletedAndPassed, CompletedOrPassed, NotApplicable"
                ),
            ));
        }
    };
    let mastery_score = match el.attr("masteryScore").map(str::trim) {
        None => None,
        Some(m) => Some(
            m.parse::<f64>()
                .ok()
                .filter(|m| (0.0..=1.0).contains(m))
                .ok_or_else(|| {
                    err(
                        here,
                        el,
                        format!("masteryScore {m:?} is not a number from 0 to 1"),
                    )
                })?,
        ),
    };
    let launch_method = match el.attr("launchMethod").map(str::trim) {
        None | Some("AnyWindow") => LaunchMethod::AnyWindow,
        Some("OwnWindow") => LaunchMethod::OwnWindow,
        Some(v) => {
            return Err(err(
                here,
                el,
                format!("launchMethod {v:?} is not AnyWindow or OwnWindow"),
            ));
        }
    };
    Ok(Au {
        id,
        title: langstring(el, "title").unwrap_or_default(),
        description: langstring(el, "description").unwrap_or_default(),
        url,
        move_on,
        mastery_score,
        launch_method,
        launch_parameters: el.child_text("launchParameters").map(str::to_owned),
        entitlement_key: el.child_text("entitlementKey").map(str::to_owned),
        activity_type: el.attr("activityType").map(str::to_owned),
    })
}

/// The element's `id`, an IRI, unique in the structure (cmi5 13.1: ids are the activity ids statements use).
/// The order of a block's and an AU's own elements in the course structure's XML schema (13.2: a course structure
/// must be valid against it); elements of other namespaces (extensions) may follow.
const BLOCK_ORDER: &[&str] = &["title", "description", "objectives"];
const AU_ORDER: &[&str] = &[
    "title",
    "description",
    "objectives",
    "url",
    "launchParameters",
    "entitlementKey",
];

/// Each of the schema's elements at most once and in the schema's order (13.2).
fn in_order(here: &str, el: &Element, order: &[&str]) -> Result<(), Cmi5Error> {
    let mut last: Option<usize> = None;
    for child in &el.children {
        let Some(at) = order.iter().position(|n| *n == child.name) else {
            continue;
        };
        if let Some(before) = last.filter(|b| *b >= at) {
            let reason = if before == at {
                format!("<{}> may appear only once", child.name)
            } else {
                format!(
                    "<{}> must come before <{}> (the course structure schema's order: {})",
                    child.name,
                    order[before],
                    order.join(", ")
                )
            };
            return Err(err(here, child, reason));
        }
        last = Some(at);
    }
    Ok(())
}

/// The course's objectives (13.1.2): each id an IRI, unique among every id in the course structure.
fn declared_objectives(
    root: &Element,
    seen: &mut HashSet<String>,
) -> Result<HashSet<String>, Cmi5Error> {
    let mut out = HashSet::new();
    for list in root.children_named("objectives") {
        for o in list.children_named("objective") {
            let here = format!(
                "courseStructure/objectives/objective[{}]",
                o.attr("id").unwrap_or("?")
            );
            out.insert(unique(&here, o, seen)?);
        }
    }
    Ok(out)
}

/// A block's or AU's objectives name the course's objectives by `idref` (13.1.3.1, 13.1.4.1).
fn objective_refs(here: &str, el: &Element, objectives: &HashSet<String>) -> Result<(), Cmi5Error> {
    for list in el.children_named("objectives") {
        for o in list.children_named("objective") {
            let idref = o.attr("idref").map(str::trim).unwrap_or("");
            if !objectives.contains(idref) {
                return Err(err(
                    &format!("{here}/objectives"),
                    o,
                    format!("the objective idref {idref:?} names no objective of the course"),
                ));
            }
        }
    }
    Ok(())
}

/// Why an AU's absolute URL (13.1.4: a valid URL) is not one: it needs a host, and no space, control character or
/// character a URL may not hold unescaped.
fn bad_absolute_url(url: &str) -> Option<String> {
    if let Some(c) = url
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(*c))
    {
        return Some(format!(
            "{url:?} is not a valid URL: {c:?} must be percent-encoded"
        ));
    }
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or("");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Some(format!("{url:?} is not a valid URL: it has no host"));
    }
    None
}

fn unique(here: &str, el: &Element, seen: &mut HashSet<String>) -> Result<String, Cmi5Error> {
    let id = iri(here, el)?;
    if !seen.insert(id.clone()) {
        return Err(err(here, el, format!("the id {id:?} is used twice")));
    }
    Ok(id)
}

fn iri(here: &str, el: &Element) -> Result<String, Cmi5Error> {
    let id = el
        .attr("id")
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| err(here, el, "the id attribute is missing"))?;
    // An IRI has a scheme: letters, then a colon.
    let scheme_ok = id.split_once(':').is_some_and(|(s, rest)| {
        !s.is_empty()
            && !rest.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !scheme_ok || id.chars().any(char::is_whitespace) {
        return Err(err(
            here,
            el,
            format!("the id {id:?} is not an IRI (for example https://example.org/course/1)"),
        ));
    }
    Ok(id.to_owned())
}

/// A `<title>`/`<description>` as langstrings: British English, then any English, then the first given.
fn langstring(el: &Element, name: &str) -> Option<String> {
    let holder = el.child(name)?;
    let strings: Vec<&Element> = holder.children_named("langstring").collect();
    let pick = |want: &dyn Fn(&str) -> bool| {
        strings
            .iter()
            .find(|s| {
                s.attr("lang")
                    .is_some_and(|l| want(&l.to_ascii_lowercase()))
            })
            .map(|s| s.text.trim().to_owned())
    };
    pick(&|l| l == "en-gb")
        .or_else(|| pick(&|l| l == "en" || l.starts_with("en-")))
        .or_else(|| strings.first().map(|s| s.text.trim().to_owned()))
        .or_else(|| Some(holder.text.trim().to_owned()).filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests;
