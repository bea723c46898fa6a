//! Frameworks shipped as versioned data files (`frameworks/*.toml` at the repository root), not code.
//!
//! A file declares its competencies (subjects with levels) and rule templates. Lantern loads the built-in files at
//! first start; each organisation then gets its own rule versions made from the templates, which its admins may
//! supersede with new versions (never edits) where the file marks a period as adjustable.

use crate::model::{
    Applicability, Clause, Competency, RenewalBase, Rule, RuleBasis, RuleKind, RulePurpose, Subject,
};
use crate::{DEFAULT_NEW_STARTER_DAYS, DEFAULT_WARNING_DAYS, Date, OrgId, RuleId, Timestamp};
use serde::{Deserialize, Serialize};

/// The framework files compiled into the binary, loaded at first start.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "cstf-england-1.1.toml",
        include_str!("../../../frameworks/cstf-england-1.1.toml"),
    ),
    (
        "oliver-mcgowan-2022.toml",
        include_str!("../../../frameworks/oliver-mcgowan-2022.toml"),
    ),
    (
        "hee-ai-digital-2023.toml",
        include_str!("../../../frameworks/hee-ai-digital-2023.toml"),
    ),
    (
        "clinical-simulation-2026.toml",
        include_str!("../../../frameworks/clinical-simulation-2026.toml"),
    ),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkFile {
    pub framework: FrameworkMeta,
    #[serde(default, rename = "competency")]
    pub competencies: Vec<CompetencyDef>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleTemplate>,
    /// Other readings of the source for some rules, which an organisation may choose as a local rule version.
    #[serde(default, rename = "local_reading")]
    pub local_readings: Vec<LocalReading>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkMeta {
    pub code: String,
    pub name: String,
    pub version: String,
    /// The date from which organisations' rules made from this file are in force.
    pub effective_from: Date,
    pub source: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// "requirement" (the default): its rules count in compliance; "development": a capability framework that sets
    /// no mandatory training, whose rules count nowhere until an organisation makes one a requirement.
    #[serde(default = "requirement")]
    pub purpose: RulePurpose,
}

fn requirement() -> RulePurpose {
    RulePurpose::Requirement
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetencyDef {
    pub code: Subject,
    pub name: String,
    pub levels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTemplate {
    pub subject: Subject,
    pub level: u8,
    /// "completion" (needs `refresher_months`) or "hours" (needs `hours` and `window_months`).
    pub kind: KindName,
    #[serde(default)]
    pub refresher_months: Option<u32>,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub window_months: Option<u32>,
    /// For an hours rule: the share of the hours (0 to 1) that must be participatory.
    #[serde(default)]
    pub participatory_share: Option<f64>,
    pub applies_to: Vec<Clause>,
    #[serde(default)]
    pub renewal_base: RenewalBase,
    #[serde(default)]
    pub warning_days: Option<u32>,
    #[serde(default)]
    pub new_starter_days: Option<u32>,
    /// True where the source marks the period as uncertain ("check"): an organisation may adjust it.
    #[serde(default)]
    pub adjustable: bool,
    pub source: String,
    /// The edition of the source document the figures come from.
    #[serde(default)]
    pub edition: Option<String>,
    /// Whose reading of the source the figures are, for example "National figures".
    #[serde(default)]
    pub reading: Option<String>,
    /// True where the source sets no figure and this one is a choice (Lantern's suggestion, for the organisation to
    /// confirm or change).
    #[serde(default)]
    pub local_choice: bool,
}

/// Another reading of the source for one rule, offered to organisations as a local choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalReading {
    pub subject: Subject,
    pub level: u8,
    /// For example "London ICB reading".
    pub name: String,
    #[serde(default)]
    pub refresher_months: Option<u32>,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub window_months: Option<u32>,
    #[serde(default)]
    pub participatory_share: Option<f64>,
    #[serde(default)]
    pub edition: Option<String>,
    pub source: String,
}

/// One way of reading a rule's source, as the rule version page offers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub name: String,
    pub kind: RuleKind,
    pub basis: RuleBasis,
    pub source: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Completion,
    Hours,
}

/// A rule kind from a file's fields, checking that the fields it needs are present and in range.
fn kind_of(
    kind: KindName,
    refresher_months: Option<u32>,
    hours: Option<f64>,
    window_months: Option<u32>,
    participatory_share: Option<f64>,
) -> Result<RuleKind, String> {
    match (kind, refresher_months, hours, window_months) {
        (KindName::Completion, Some(m), None, None) if m > 0 && participatory_share.is_none() => {
            Ok(RuleKind::Completion {
                refresher_months: m,
            })
        }
        (KindName::Completion, ..) => Err(
            "a completion rule needs refresher_months > 0, and no hours or participatory_share"
                .into(),
        ),
        (KindName::Hours, None, Some(h), Some(w)) if h > 0.0 && w > 0 => {
            if participatory_share.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
                return Err("participatory_share must be more than 0 and at most 1".into());
            }
            Ok(RuleKind::Hours {
                hours: h,
                window_months: w,
                participatory_share,
            })
        }
        (KindName::Hours, ..) => Err("an hours rule needs hours > 0 and window_months > 0".into()),
    }
}

impl RuleTemplate {
    /// The rule kind, checking that the fields it needs are present and positive.
    pub fn kind(&self) -> Result<RuleKind, String> {
        kind_of(
            self.kind,
            self.refresher_months,
            self.hours,
            self.window_months,
            self.participatory_share,
        )
    }

    fn basis(&self) -> RuleBasis {
        RuleBasis {
            edition: self.edition.clone(),
            reading: self.reading.clone(),
            local_choice: self.local_choice,
        }
    }
}

impl LocalReading {
    /// The figures of this reading, of the same kind as the rule it reads.
    pub fn kind(&self, of: KindName) -> Result<RuleKind, String> {
        kind_of(
            of,
            self.refresher_months,
            self.hours,
            self.window_months,
            self.participatory_share,
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {index} ({subject} level {level}): {message}")]
    Rule {
        file: String,
        index: usize,
        subject: Subject,
        level: u8,
        message: String,
    },
    #[error("{file}: local reading {index} ({subject} level {level}): {message}")]
    Reading {
        file: String,
        index: usize,
        subject: Subject,
        level: u8,
        message: String,
    },
}

impl FrameworkFile {
    /// Parses and checks a framework file: every rule names a declared competency and an existing level.
    pub fn parse(file: &str, text: &str) -> Result<Self, FrameworkError> {
        let parsed: FrameworkFile = toml::from_str(text).map_err(|e| FrameworkError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        for (index, rule) in parsed.rules.iter().enumerate() {
            let fail = |message: String| FrameworkError::Rule {
                file: file.to_owned(),
                index: index + 1,
                subject: rule.subject.clone(),
                level: rule.level,
                message,
            };
            let Some(c) = parsed.competencies.iter().find(|c| c.code == rule.subject) else {
                return Err(fail(
                    "no competency with this code is declared in the file".to_owned(),
                ));
            };
            if rule.level == 0 || usize::from(rule.level) > c.levels.len() {
                return Err(fail(format!(
                    "level must be between 1 and {}",
                    c.levels.len()
                )));
            }
            if rule.applies_to.is_empty() {
                return Err(fail(
                    "applies_to is empty; use [{}] for all staff".to_owned(),
                ));
            }
            rule.kind().map_err(fail)?;
        }
        for (index, reading) in parsed.local_readings.iter().enumerate() {
            let fail = |message: String| FrameworkError::Reading {
                file: file.to_owned(),
                index: index + 1,
                subject: reading.subject.clone(),
                level: reading.level,
                message,
            };
            let Some(rule) = parsed
                .rules
                .iter()
                .find(|r| r.subject == reading.subject && r.level == reading.level)
            else {
                return Err(fail(
                    "no rule in the file has this subject and level".into(),
                ));
            };
            if reading.name.trim().is_empty() {
                return Err(fail("name the reading".into()));
            }
            reading.kind(rule.kind).map_err(fail)?;
        }
        Ok(parsed)
    }

    /// The readings an organisation may choose between for a rule of this file: the file's own figures first, then
    /// the local readings. Empty when the file has no rule for the subject and level.
    pub fn readings(&self, subject: &str, level: u8) -> Vec<Reading> {
        let Some(rule) = self
            .rules
            .iter()
            .find(|r| r.subject == subject && r.level == level)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Ok(kind) = rule.kind() {
            out.push(Reading {
                name: rule
                    .reading
                    .clone()
                    .unwrap_or_else(|| format!("{} figures", self.framework.name)),
                kind,
                basis: rule.basis(),
                source: rule.source.clone(),
            });
        }
        for r in self
            .local_readings
            .iter()
            .filter(|r| r.subject == subject && r.level == level)
        {
            if let Ok(kind) = r.kind(rule.kind) {
                out.push(Reading {
                    name: r.name.clone(),
                    kind,
                    basis: RuleBasis {
                        edition: r.edition.clone().or_else(|| rule.edition.clone()),
                        reading: Some(r.name.clone()),
                        local_choice: true,
                    },
                    source: r.source.clone(),
                });
            }
        }
        out
    }

    pub fn competencies(&self) -> Vec<Competency> {
        self.competencies
            .iter()
            .map(|c| Competency {
                code: c.code.clone(),
                name: c.name.clone(),
                framework: self.framework.code.clone(),
                levels: c.levels.clone(),
            })
            .collect()
    }

    /// The organisation's first rule versions made from this file. Ids are assigned by the store.
    pub fn instantiate(&self, org_id: OrgId, created_at: Timestamp) -> Vec<Rule> {
        self.rules
            .iter()
            .map(|t| {
                let title = self
                    .competencies
                    .iter()
                    .find(|c| c.code == t.subject)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| t.subject.to_string());
                Rule {
                    id: RuleId(0),
                    org_id,
                    framework: self.framework.code.clone(),
                    framework_version: self.framework.version.clone(),
                    subject: t.subject.clone(),
                    level: t.level,
                    title,
                    kind: t.kind().expect("checked by parse"),
                    purpose: self.framework.purpose,
                    applies_to: Applicability(t.applies_to.clone()),
                    renewal_base: t.renewal_base,
                    warning_days: t.warning_days.unwrap_or(DEFAULT_WARNING_DAYS),
                    new_starter_days: t.new_starter_days.unwrap_or(DEFAULT_NEW_STARTER_DAYS),
                    effective_from: self.framework.effective_from,
                    effective_to: None,
                    transition_ends: None,
                    retired: false,
                    adjustable: t.adjustable,
                    source: t.source.clone(),
                    basis: t.basis(),
                    local_reason: None,
                    created_at,
                }
            })
            .collect()
    }
}

/// All built-in frameworks, parsed. They are checked by a test, so a bad file cannot ship.
pub fn built_in() -> Result<Vec<FrameworkFile>, FrameworkError> {
    BUILT_IN
        .iter()
        .map(|(name, text)| FrameworkFile::parse(name, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_frameworks_parse_and_cover_cstf() {
        let all = built_in().expect("built-in frameworks parse");
        let cstf = all
            .iter()
            .find(|f| f.framework.code == "cstf-england")
            .expect("CSTF shipped");
        assert_eq!(cstf.framework.version, "1.1");
        assert_eq!(cstf.competencies.len(), 11, "CSTF England has 11 subjects");
        let ai = all
            .iter()
            .find(|f| f.framework.code == "hee-ai-digital")
            .expect("AI framework shipped");
        assert_eq!(ai.competencies.len(), 6, "HEE 2023 has 6 domains");
        // Safeguarding is an hours rule.
        assert!(
            cstf.rules
                .iter()
                .filter(|r| r.subject.starts_with("cstf.safeguarding"))
                .all(|r| matches!(
                    r.kind(),
                    Ok(RuleKind::Hours {
                        window_months: 36,
                        ..
                    })
                ))
        );
    }

    #[test]
    fn safeguarding_hours_are_the_national_figures_with_the_london_reading_as_a_choice() {
        let all = built_in().expect("built-in frameworks parse");
        let cstf = all
            .iter()
            .find(|f| f.framework.code == "cstf-england")
            .expect("CSTF shipped");
        let rule = |subject: &str, level: u8| {
            cstf.rules
                .iter()
                .find(|r| r.subject == subject && r.level == level)
                .unwrap_or_else(|| panic!("{subject} level {level}"))
        };
        let l3 = rule("cstf.safeguarding_children", 3);
        assert_eq!(
            l3.kind(),
            Ok(RuleKind::Hours {
                hours: 12.0,
                window_months: 36,
                participatory_share: Some(0.5)
            })
        );
        assert!(l3.edition.as_deref().is_some_and(|e| e.contains("2019")));
        assert_eq!(l3.reading.as_deref(), Some("National figures"));
        assert!(!l3.local_choice);
        let readings = cstf.readings("cstf.safeguarding_children", 3);
        assert_eq!(
            readings.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["National figures", "London ICB reading"]
        );
        assert_eq!(
            readings[1].kind,
            RuleKind::Hours {
                hours: 8.0,
                window_months: 36,
                participatory_share: None
            }
        );
        assert!(readings[1].basis.local_choice && !readings[0].basis.local_choice);
        assert_eq!(
            readings[1].basis.edition, l3.edition,
            "a reading of the same edition"
        );
        for subject in ["cstf.safeguarding_children", "cstf.safeguarding_adults"] {
            for level in [4, 5] {
                let r = rule(subject, level);
                assert!(matches!(r.kind(), Ok(RuleKind::Hours { hours, .. }) if hours == 24.0));
                assert!(!r.applies_to.is_empty() && !r.applies_to[0].job_roles.is_empty());
            }
        }
        let rules = cstf.instantiate(OrgId(1), chrono::Utc::now());
        assert!(rules.iter().all(|r| r.purpose == RulePurpose::Requirement));
    }

    #[test]
    fn the_ai_framework_is_development_competencies_with_local_periods() {
        let all = built_in().expect("built-in frameworks parse");
        let ai = all
            .iter()
            .find(|f| f.framework.code == "hee-ai-digital")
            .expect("AI framework shipped");
        assert_eq!(ai.framework.purpose, RulePurpose::Development);
        let rules = ai.instantiate(OrgId(1), chrono::Utc::now());
        assert!(!rules.is_empty());
        assert!(rules.iter().all(|r| r.purpose == RulePurpose::Development
            && r.basis.local_choice
            && r.adjustable));
    }

    #[test]
    fn a_local_reading_must_read_a_rule_of_the_file() {
        let text = r#"
[framework]
code = "x"
name = "X"
version = "1"
effective_from = "2024-01-01"
source = "test"

[[competency]]
code = "x.a"
name = "A"
levels = ["L1", "L2"]

[[rule]]
subject = "x.a"
level = 1
kind = "hours"
hours = 4.0
window_months = 36
applies_to = [{}]
source = "test"

[[local_reading]]
subject = "x.a"
level = 2
name = "Elsewhere"
hours = 2.0
window_months = 36
source = "test"
"#;
        let err = FrameworkFile::parse("x.toml", text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("local reading 1") && err.contains("no rule"),
            "{err}"
        );
        let share = text
            .replace("level = 2\nname", "level = 1\nname")
            .replace("hours = 2.0", "hours = 2.0\nparticipatory_share = 1.5");
        let err = FrameworkFile::parse("x.toml", &share)
            .unwrap_err()
            .to_string();
        assert!(err.contains("participatory_share"), "{err}");
    }

    #[test]
    fn a_rule_for_an_undeclared_subject_is_rejected_with_its_position() {
        let text = r#"
[framework]
code = "x"
name = "X"
version = "1"
effective_from = "2024-01-01"
source = "test"

[[competency]]
code = "x.a"
name = "A"
levels = ["L1"]

[[rule]]
subject = "x.b"
level = 1
kind = "completion"
refresher_months = 12
applies_to = [{}]
source = "test"
"#;
        let err = FrameworkFile::parse("x.toml", text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rule 1") && err.contains("x.b"), "{err}");
    }

    #[test]
    fn a_malformed_subject_is_refused_with_the_file_and_the_value() {
        let text = r#"
[framework]
code = "x"
name = "X"
version = "1"
effective_from = "2024-01-01"
source = "test"

[[competency]]
code = "x.a"
name = "A"
levels = ["L1"]

[[rule]]
subject = "X A:1"
level = 1
kind = "completion"
refresher_months = 12
applies_to = [{}]
source = "test"
"#;
        let err = FrameworkFile::parse("x.toml", text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.toml: ")
                && err.contains("\"X A:1\" is not a competency subject")
                && err.contains("subject = \"X A:1\""),
            "{err}"
        );
        let code = text.replacen("code = \"x.a\"", "code = \"x a\"", 1);
        let err = FrameworkFile::parse("x.toml", &code)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"x a\" is not a competency subject"), "{err}");
    }
}
