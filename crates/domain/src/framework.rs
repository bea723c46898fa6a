//! Frameworks shipped as versioned data files (`frameworks/*.toml` at the repository root), not code.
//!
//! A file declares its competencies (subjects with levels) and rule templates. Lantern loads the built-in files at
//! first start; each organisation then gets its own rule versions made from the templates, which its admins may
//! supersede with new versions (never edits) where the file marks a period as adjustable.

use crate::model::{Applicability, Clause, Competency, RenewalBase, Rule, RuleKind};
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
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkFile {
    pub framework: FrameworkMeta,
    #[serde(default, rename = "competency")]
    pub competencies: Vec<CompetencyDef>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleTemplate>,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetencyDef {
    pub code: String,
    pub name: String,
    pub levels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTemplate {
    pub subject: String,
    pub level: u8,
    /// "completion" (needs `refresher_months`) or "hours" (needs `hours` and `window_months`).
    pub kind: KindName,
    #[serde(default)]
    pub refresher_months: Option<u32>,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub window_months: Option<u32>,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Completion,
    Hours,
}

impl RuleTemplate {
    /// The rule kind, checking that the fields it needs are present and positive.
    pub fn kind(&self) -> Result<RuleKind, String> {
        match (
            self.kind,
            self.refresher_months,
            self.hours,
            self.window_months,
        ) {
            (KindName::Completion, Some(m), None, None) if m > 0 => Ok(RuleKind::Completion {
                refresher_months: m,
            }),
            (KindName::Completion, ..) => {
                Err("a completion rule needs refresher_months > 0 and no hours".into())
            }
            (KindName::Hours, None, Some(h), Some(w)) if h > 0.0 && w > 0 => Ok(RuleKind::Hours {
                hours: h,
                window_months: w,
            }),
            (KindName::Hours, ..) => {
                Err("an hours rule needs hours > 0 and window_months > 0".into())
            }
        }
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
        subject: String,
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
        Ok(parsed)
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
                    .unwrap_or_else(|| t.subject.clone());
                Rule {
                    id: RuleId(0),
                    org_id,
                    framework: self.framework.code.clone(),
                    framework_version: self.framework.version.clone(),
                    subject: t.subject.clone(),
                    level: t.level,
                    title,
                    kind: t.kind().expect("checked by parse"),
                    applies_to: Applicability(t.applies_to.clone()),
                    renewal_base: t.renewal_base,
                    warning_days: t.warning_days.unwrap_or(DEFAULT_WARNING_DAYS),
                    new_starter_days: t.new_starter_days.unwrap_or(DEFAULT_NEW_STARTER_DAYS),
                    effective_from: self.framework.effective_from,
                    effective_to: None,
                    adjustable: t.adjustable,
                    source: t.source.clone(),
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
}
