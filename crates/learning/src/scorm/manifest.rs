//! `imsmanifest.xml`: what a SCORM package contains and launches.
//!
//! Sources: ADL SCORM 1.2 Content Aggregation Model (2001), section 3.4 (the manifest, `adlcp:scormtype`,
//! `adlcp:masteryscore`, `adlcp:datafromlms`); ADL SCORM 2004 4th Edition CAM (2009), sections 3.4-3.5 (the
//! manifest, `adlcp:scormType`, `adlcp:completionThreshold`, `adlcp:dataFromLMS`, `xml:base`) and the Sequencing and
//! Navigation book, section 5 (`imsss:sequencing`, `controlMode`); IMS Content Packaging 1.1.4 (organisations, items,
//! resources, `identifierref`, `parameters`).
//!
//! A malformed manifest is refused with the element (as a path of identifiers), its line and the reason, so an
//! author can fix it in the authoring tool's export or by hand.

use crate::xml::{self, Element};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The SCORM version a package is written for, which decides the runtime API it talks to (`API` for 1.2,
/// `API_1484_11` for 2004).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "version")]
pub enum ScormVersion {
    Scorm12,
    /// SCORM 2004, with its edition (2 for "CAM 1.3", 3 and 4).
    Scorm2004 {
        edition: u8,
    },
}

impl ScormVersion {
    pub fn label(self) -> String {
        match self {
            ScormVersion::Scorm12 => "SCORM 1.2".into(),
            ScormVersion::Scorm2004 { edition } => {
                format!("SCORM 2004 {}", ordinal_edition(edition))
            }
        }
    }
}

fn ordinal_edition(e: u8) -> &'static str {
    match e {
        2 => "2nd Edition",
        3 => "3rd Edition",
        _ => "4th Edition",
    }
}

/// A resource is a SCO (it talks to the runtime) or an asset (it does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScormType {
    Sco,
    Asset,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub identifier: String,
    pub version: ScormVersion,
    /// Index into `organizations` of the default organisation.
    pub default_organization: usize,
    pub organizations: Vec<Organization>,
    pub resources: Vec<Resource>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub identifier: String,
    pub title: String,
    pub items: Vec<Item>,
    pub control: ControlMode,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub identifier: String,
    pub title: String,
    /// The resource it launches (`identifierref`); None for an item that only groups others.
    pub resource: Option<String>,
    /// Query or fragment appended to the launch URL (`parameters`).
    pub parameters: Option<String>,
    pub visible: bool,
    /// SCORM 1.2 `adlcp:masteryscore`, 0-100: the raw score at or above which the SCO is passed.
    pub mastery_score: Option<f64>,
    /// SCORM 2004 `adlcp:completionThreshold`, 0-1: the progress measure at which it is complete.
    pub completion_threshold: Option<f64>,
    /// `adlcp:datafromlms` / `adlcp:dataFromLMS`: given to the SCO as `cmi.launch_data`.
    pub launch_data: Option<String>,
    /// The flow and choice this item's children allow (SCORM 2004 sequencing; defaults otherwise).
    pub control: ControlMode,
    /// SCORM 2004: the ids of the objectives its sequencing declares (`imsss:objectives`, the primary objective
    /// first when it has an id), which the LMS gives the SCO as `cmi.objectives.n.id` before it starts (RTE
    /// 4.2.17). Packages stored before this was read have none.
    #[serde(default)]
    pub objectives: Vec<String>,
    pub children: Vec<Item>,
}

/// `imsss:controlMode` (SCORM 2004 SN 5.1.1): how a learner may move among a cluster's children. The defaults are the
/// specification's: choice and choiceExit on, flow and forwardOnly off. SCORM 1.2 has no sequencing; its packages
/// get the defaults, which is how 1.2 players behave (the learner picks from the table of contents).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlMode {
    pub choice: bool,
    pub choice_exit: bool,
    pub flow: bool,
    pub forward_only: bool,
}

impl Default for ControlMode {
    fn default() -> Self {
        ControlMode {
            choice: true,
            choice_exit: true,
            flow: false,
            forward_only: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub identifier: String,
    pub scorm_type: ScormType,
    /// The launch file relative to the package root, `xml:base` applied; None for a resource that is only files.
    pub href: Option<String>,
    pub files: Vec<String>,
    pub dependencies: Vec<String>,
}

/// Why a manifest was refused: where (an element path such as `manifest/organizations/organization[ORG]/item[I2]`),
/// the line, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("imsmanifest.xml line {line}, {element}: {reason}")]
pub struct ManifestError {
    pub element: String,
    pub line: usize,
    pub reason: String,
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let root = xml::parse(bytes).map_err(|e| ManifestError {
            element: "imsmanifest.xml".into(),
            line: e.line,
            reason: e.reason,
        })?;
        Parser::default().manifest(&root)
    }

    pub fn default_organization(&self) -> &Organization {
        &self.organizations[self.default_organization]
    }

    pub fn resource(&self, identifier: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.identifier == identifier)
    }

    /// The items a learner launches, in the default organisation's order (a depth-first walk of its tree).
    pub fn launchable_items(&self) -> Vec<&Item> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for i in items {
                if i.resource.is_some() {
                    out.push(i);
                }
                walk(&i.children, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.default_organization().items, &mut out);
        out
    }

    /// The path (relative to the package root, with the item's parameters) at which an item is launched.
    pub fn launch_url(&self, item: &Item) -> Option<String> {
        let href = self.resource(item.resource.as_deref()?)?.href.as_deref()?;
        Some(match item.parameters.as_deref().map(str::trim) {
            None | Some("") => href.to_owned(),
            // IMS CP 1.1.4: parameters beginning with ? or # are appended; otherwise joined with ? (or & when the
            // href already has a query).
            Some(p) if p.starts_with('?') && href.contains('?') => format!("{href}&{}", &p[1..]),
            Some(p) if p.starts_with('?') || p.starts_with('#') => format!("{href}{p}"),
            Some(p) if href.contains('?') => format!("{href}&{p}"),
            Some(p) => format!("{href}?{p}"),
        })
    }
}

#[derive(Default)]
struct Parser {
    seen: HashSet<String>,
}

type Res<T> = Result<T, ManifestError>;

fn err(element: &str, el: &Element, reason: impl Into<String>) -> ManifestError {
    ManifestError {
        element: element.to_owned(),
        line: el.line,
        reason: reason.into(),
    }
}

impl Parser {
    fn manifest(&mut self, root: &Element) -> Res<Manifest> {
        if root.name != "manifest" {
            return Err(err(
                &root.name,
                root,
                "the root element must be <manifest> (is this a SCORM package?)",
            ));
        }
        let here = "manifest";
        let identifier = self.identifier(here, root)?;
        let version = version(root)?;
        if root.child("manifest").is_some() {
            return Err(err(
                here,
                root,
                "sub-manifests (a <manifest> inside the manifest) are not supported; export the course as one package",
            ));
        }
        let base = root.attr("base").unwrap_or("");
        let resources_el = root
            .child("resources")
            .ok_or_else(|| err(here, root, "there is no <resources> element"))?;
        let res_base = join_base(base, resources_el.attr("base").unwrap_or(""));
        let mut resources = Vec::new();
        for r in resources_el.children_named("resource") {
            resources.push(self.resource("manifest/resources", r, &res_base)?);
        }
        let ids: HashMap<&str, &Resource> = resources
            .iter()
            .map(|r| (r.identifier.as_str(), r))
            .collect();
        for r in &resources {
            for d in &r.dependencies {
                if !ids.contains_key(d.as_str()) {
                    let el = resources_el
                        .children_named("resource")
                        .find(|e| e.attr("identifier") == Some(&r.identifier))
                        .unwrap_or(resources_el);
                    return Err(err(
                        &format!("manifest/resources/resource[{}]/dependency", r.identifier),
                        el,
                        format!("identifierref {d:?} names no resource"),
                    ));
                }
            }
        }

        let orgs_el = root
            .child("organizations")
            .ok_or_else(|| err(here, root, "there is no <organizations> element"))?;
        let mut organizations = Vec::new();
        for o in orgs_el.children_named("organization") {
            organizations.push(self.organization(o, &ids)?);
        }
        let orgs_path = "manifest/organizations";
        if organizations.is_empty() {
            return Err(err(
                orgs_path,
                orgs_el,
                "there is no <organization>, so nothing to launch",
            ));
        }
        let default_organization = match orgs_el.attr("default") {
            None => 0,
            Some(d) => organizations
                .iter()
                .position(|o| o.identifier == d)
                .ok_or_else(|| {
                    err(
                        orgs_path,
                        orgs_el,
                        format!("default {d:?} names no organization"),
                    )
                })?,
        };
        let manifest = Manifest {
            identifier,
            version,
            default_organization,
            organizations,
            resources,
        };
        if manifest.launchable_items().is_empty() {
            return Err(err(
                orgs_path,
                orgs_el,
                "the default organization has no item that launches a resource",
            ));
        }
        Ok(manifest)
    }

    fn identifier(&mut self, path: &str, el: &Element) -> Res<String> {
        let id = el
            .attr("identifier")
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .ok_or_else(|| err(path, el, "the identifier attribute is missing"))?;
        // Identifiers are unique within the manifest (IMS CP: xs:ID).
        if !self.seen.insert(id.to_owned()) {
            return Err(err(
                path,
                el,
                format!("the identifier {id:?} is used twice"),
            ));
        }
        Ok(id.to_owned())
    }

    fn resource(&mut self, parent: &str, el: &Element, base: &str) -> Res<Resource> {
        let path = format!(
            "{parent}/resource[{}]",
            el.attr("identifier").unwrap_or("?")
        );
        let identifier = self.identifier(&path, el)?;
        let scorm_type = match el.attr("scormtype").map(|t| t.trim().to_ascii_lowercase()) {
            Some(t) if t == "sco" => ScormType::Sco,
            Some(t) if t == "asset" => ScormType::Asset,
            None => ScormType::Asset,
            Some(t) => {
                return Err(err(
                    &path,
                    el,
                    format!("scormType {t:?} is neither sco nor asset"),
                ));
            }
        };
        let base = join_base(base, el.attr("base").unwrap_or(""));
        let href = match el.attr("href").map(str::trim).filter(|h| !h.is_empty()) {
            None if scorm_type == ScormType::Sco => {
                return Err(err(&path, el, "a SCO must have an href to launch"));
            }
            None => None,
            Some(h) => Some(package_path(&format!("{base}{h}")).map_err(|r| err(&path, el, r))?),
        };
        let mut files = Vec::new();
        for f in el.children_named("file") {
            let h = f
                .attr("href")
                .ok_or_else(|| err(&format!("{path}/file"), f, "a <file> without href"))?;
            // Files may carry a query or fragment in odd exports; the file is the path before it.
            let file = h.split(['?', '#']).next().unwrap_or(h);
            files.push(
                package_path(&format!("{base}{file}"))
                    .map_err(|r| err(&format!("{path}/file"), f, r))?,
            );
        }
        let dependencies = el
            .children_named("dependency")
            .filter_map(|d| d.attr("identifierref").map(str::to_owned))
            .collect();
        Ok(Resource {
            identifier,
            scorm_type,
            href,
            files,
            dependencies,
        })
    }

    fn organization(
        &mut self,
        el: &Element,
        resources: &HashMap<&str, &Resource>,
    ) -> Res<Organization> {
        let path = format!(
            "manifest/organizations/organization[{}]",
            el.attr("identifier").unwrap_or("?")
        );
        let identifier = self.identifier(&path, el)?;
        let title = el.child_text("title").unwrap_or(&identifier).to_owned();
        let mut items = Vec::new();
        for i in el.children_named("item") {
            items.push(self.item(&path, i, resources)?);
        }
        if items.is_empty() {
            return Err(err(&path, el, "the organization has no <item>"));
        }
        Ok(Organization {
            identifier,
            title,
            items,
            control: control_mode(el, &path)?,
        })
    }

    fn item(
        &mut self,
        parent: &str,
        el: &Element,
        resources: &HashMap<&str, &Resource>,
    ) -> Res<Item> {
        let path = format!("{parent}/item[{}]", el.attr("identifier").unwrap_or("?"));
        let identifier = self.identifier(&path, el)?;
        let title = el.child_text("title").unwrap_or(&identifier).to_owned();
        let resource = match el
            .attr("identifierref")
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            None => None,
            Some(r) => match resources.get(r) {
                None => {
                    return Err(err(
                        &path,
                        el,
                        format!("identifierref {r:?} names no resource"),
                    ));
                }
                Some(res) if res.href.is_none() => {
                    return Err(err(
                        &path,
                        el,
                        format!("resource {r:?} has no href to launch"),
                    ));
                }
                Some(_) => Some(r.to_owned()),
            },
        };
        let mut children = Vec::new();
        for c in el.children_named("item") {
            children.push(self.item(&path, c, resources)?);
        }
        if resource.is_none() && children.is_empty() {
            return Err(err(
                &path,
                el,
                "the item neither launches a resource (identifierref) nor contains items",
            ));
        }
        if resource.is_some() && !children.is_empty() {
            return Err(err(
                &path,
                el,
                "an item that contains items cannot also launch a resource",
            ));
        }
        let mastery_score = match el.child_text("masteryscore") {
            None => None,
            Some(t) => Some(
                t.parse::<f64>()
                    .ok()
                    .filter(|m| (0.0..=100.0).contains(m))
                    .ok_or_else(|| {
                        err(
                            &path,
                            el,
                            format!("masteryscore {t:?} is not a number from 0 to 100"),
                        )
                    })?,
            ),
        };
        let completion_threshold = match el.child("completionThreshold") {
            None => None,
            Some(c) => {
                // 3rd edition: the value is the element's text; 4th: the minProgressMeasure attribute, used when
                // completedByMeasure is true.
                let text = c
                    .attr("minProgressMeasure")
                    .filter(|_| {
                        c.attr("completedByMeasure")
                            .is_some_and(|b| b.trim() == "true")
                    })
                    .or(Some(c.text.trim()).filter(|t| !t.is_empty()));
                match text {
                    None => None,
                    Some(t) => Some(
                        t.parse::<f64>()
                            .ok()
                            .filter(|m| (0.0..=1.0).contains(m))
                            .ok_or_else(|| {
                                err(
                                    &path,
                                    c,
                                    format!(
                                        "completionThreshold {t:?} is not a number from 0 to 1"
                                    ),
                                )
                            })?,
                    ),
                }
            }
        };
        Ok(Item {
            identifier,
            title,
            resource,
            parameters: el.attr("parameters").map(str::to_owned),
            visible: el.attr("isvisible").is_none_or(|v| v.trim() != "false"),
            mastery_score,
            completion_threshold,
            launch_data: el
                .child_text("datafromlms")
                .or_else(|| el.child_text("dataFromLMS"))
                .map(str::to_owned),
            control: control_mode(el, &path)?,
            objectives: objectives(el, &path)?,
            children,
        })
    }
}

/// `<imsss:sequencing><imsss:objectives>`: the primary objective's id (optional) and every other objective's
/// (required), in the manifest's order, each once.
fn objectives(el: &Element, path: &str) -> Res<Vec<String>> {
    let Some(o) = el.child("sequencing").and_then(|s| s.child("objectives")) else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<String> = Vec::new();
    let declared = o
        .children_named("primaryObjective")
        .map(|c| (c, false))
        .chain(o.children_named("objective").map(|c| (c, true)));
    for (c, required) in declared {
        match c
            .attr("objectiveID")
            .map(str::trim)
            .filter(|id| !id.is_empty())
        {
            Some(id) if ids.iter().any(|x| x == id) => {
                return Err(err(
                    &format!("{path}/sequencing/objectives"),
                    c,
                    format!("the objectiveID {id:?} is declared twice"),
                ));
            }
            Some(id) => ids.push(id.to_owned()),
            None if required => {
                return Err(err(
                    &format!("{path}/sequencing/objectives"),
                    c,
                    "an objective needs an objectiveID",
                ));
            }
            None => {}
        }
    }
    Ok(ids)
}

/// `<imsss:sequencing><imsss:controlMode choice=".." flow=".."/></imsss:sequencing>` on an organisation or item.
fn control_mode(el: &Element, path: &str) -> Res<ControlMode> {
    let mut mode = ControlMode::default();
    let Some(c) = el.child("sequencing").and_then(|s| s.child("controlMode")) else {
        return Ok(mode);
    };
    for (name, slot) in [
        ("choice", &mut mode.choice),
        ("choiceExit", &mut mode.choice_exit),
        ("flow", &mut mode.flow),
        ("forwardOnly", &mut mode.forward_only),
    ] {
        match c.attr(name).map(str::trim) {
            None => {}
            Some("true") | Some("1") => *slot = true,
            Some("false") | Some("0") => *slot = false,
            Some(v) => {
                return Err(err(
                    &format!("{path}/sequencing/controlMode"),
                    c,
                    format!("{name}={v:?} is not true or false"),
                ));
            }
        }
    }
    Ok(mode)
}

/// The version, from `metadata/schemaversion`, else from the ADL namespace the manifest binds.
fn version(root: &Element) -> Res<ScormVersion> {
    let declared = root
        .child("metadata")
        .and_then(|m| m.child_text("schemaversion"))
        .map(|v| v.to_ascii_lowercase());
    let by_namespace = || {
        let uris: Vec<&str> = root.namespaces().map(|(_, uri)| uri).collect();
        if uris.iter().any(|u| u.contains("adlcp_rootv1p2")) {
            Some(ScormVersion::Scorm12)
        } else if uris.iter().any(|u| u.contains("adlcp_v1p3")) {
            Some(ScormVersion::Scorm2004 { edition: 3 })
        } else {
            None
        }
    };
    let version = match declared.as_deref() {
        Some("1.2") => Some(ScormVersion::Scorm12),
        Some("cam 1.3") => Some(ScormVersion::Scorm2004 { edition: 2 }),
        Some(v) if v.starts_with("2004") && v.contains("3rd") => {
            Some(ScormVersion::Scorm2004 { edition: 3 })
        }
        Some(v) if v.starts_with("2004") && v.contains("4th") => {
            Some(ScormVersion::Scorm2004 { edition: 4 })
        }
        Some(v) if v.starts_with("2004") => Some(ScormVersion::Scorm2004 { edition: 3 }),
        Some(v) if v.starts_with("1.") => None,
        _ => by_namespace(),
    };
    version.ok_or_else(|| {
        err(
            "manifest/metadata/schemaversion",
            root.child("metadata").unwrap_or(root),
            match declared {
                Some(v) => format!("schemaversion {v:?} is not SCORM 1.2 or SCORM 2004"),
                None => "no schemaversion and no ADL namespace: is this a SCORM package?".into(),
            },
        )
    })
}

fn join_base(a: &str, b: &str) -> String {
    format!("{a}{b}")
}

/// A path inside the package: relative, forward slashes, no `..` escaping the root, no scheme, no absolute path.
/// Percent-escapes are decoded first, so `%2e%2e/` cannot hide an escape.
pub fn package_path(href: &str) -> Result<String, String> {
    let decoded = percent_decode(href).ok_or_else(|| format!("{href:?} has a broken %-escape"))?;
    let path = decoded.replace('\\', "/");
    if path.contains("://")
        || path.starts_with("//")
        || path.split('/').next().is_some_and(|s| s.contains(':'))
    {
        return Err(format!(
            "{href:?} is outside the package (a package may only launch its own files)"
        ));
    }
    if path.starts_with('/') {
        return Err(format!(
            "{href:?} is an absolute path; paths are relative to the package root"
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("{href:?} climbs out of the package with .."));
                }
            }
            s if s.contains('\0') => return Err(format!("{href:?} contains a NUL character")),
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return Err(format!("{href:?} names no file"));
    }
    Ok(parts.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
pub(crate) mod tests;
