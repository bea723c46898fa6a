//! An organisation's requirement rules with their versions, and new versions: what the admin's rules pages and
//! `GET /api/v1/organisations/{ods}/rules` and `POST /api/v1/organisations/{ods}/rules/{rule_id}/versions` share.
//! What a version may change, and when, is `lantern_domain::rule_versions`; this file only reads and writes.

use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::Action;
use lantern_domain::framework::FrameworkFile;
use lantern_domain::rule_versions::{self, Author, Problem, VersionDraft};
use lantern_domain::{Rule, RuleId, RuleKind, RulePurpose, Subject};
use lantern_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A rule's period in words: "Every 24 months", "8 hours every 36 months", "Once".
pub fn period(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Completion { refresher_months } if *refresher_months == 0 => "Once".to_owned(),
        RuleKind::Completion { refresher_months } => format!("Every {refresher_months} months"),
        RuleKind::Hours {
            hours,
            window_months,
            ..
        } => match kind.participatory_hours() {
            Some(p) => format!("{hours} hours every {window_months} months, {p} participatory"),
            None => format!("{hours} hours every {window_months} months"),
        },
    }
}

/// Where a version's figures come from, in a line: edition, reading, and whether they are a local choice.
pub fn basis(rule: &Rule) -> String {
    let b = &rule.basis;
    let mut parts = Vec::new();
    if let Some(r) = &b.reading {
        parts.push(r.clone());
    }
    if b.local_choice
        && b.reading
            .as_deref()
            .is_none_or(|r| !r.starts_with("Local choice"))
    {
        parts.push("a local choice".to_owned());
    }
    if let Some(e) = &b.edition {
        parts.push(format!("edition: {e}"));
    }
    parts.join("; ")
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RulesView {
    pub ods_code: String,
    pub name: String,
    pub target_percent: f64,
    /// Each requirement (a subject at a level), by title.
    pub requirements: Vec<RequirementRules>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RequirementRules {
    #[schema(value_type = String)]
    pub subject: Subject,
    pub level: u8,
    pub title: String,
    pub framework: String,
    pub framework_version: String,
    /// Who it applies to, in words.
    pub applies_to: String,
    /// The framework leaves the period to local risk assessment.
    pub adjustable: bool,
    /// The latest version is a development competency: shown to staff, counted nowhere.
    pub development: bool,
    /// The latest version retires the requirement: it applies to no one from its effective date.
    pub retired: bool,
    /// The framework's own period for this requirement, in words, where the latest version's differs (a local
    /// period); null where they agree or the framework file is not known.
    pub national_period: Option<String>,
    /// The local risk assessment behind the latest version's local period, when one was named.
    pub local_reason: Option<String>,
    /// The latest version's figures are the organisation's own choice.
    pub local_choice: bool,
    /// A new version may set its own refresher period (an adjustable completion rule); otherwise it keeps the
    /// framework's.
    pub period_may_change: bool,
    /// A new period needs the reference of a local risk assessment (`local_reason`): the framework gives a figure
    /// of its own (a CSTF subject it does not mark adjustable).
    pub period_needs_assessment: bool,
    /// The version a new one builds on: the one that takes effect latest.
    pub current_rule_id: i64,
    /// A new version must take effect after this date.
    pub new_version_after: NaiveDate,
    /// Every version, newest first.
    pub versions: Vec<RuleVersionView>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleVersionView {
    pub rule_id: i64,
    pub effective_from: NaiveDate,
    /// The first day it is no longer in force; null while current.
    pub effective_to: Option<NaiveDate>,
    /// "Every 24 months", "8 hours every 36 months".
    pub period: String,
    pub refresher_months: Option<u32>,
    pub hours: Option<f64>,
    pub window_months: Option<u32>,
    pub warning_days: u32,
    pub new_starter_days: u32,
    /// Where the figures come from, or who made a local version and why.
    pub source: String,
    /// Whose figures: the edition and reading of the source, and whether they are a local choice.
    pub basis: String,
    /// A development competency in this version: counted nowhere.
    pub development: bool,
    /// This version retires the requirement from `effective_from`: it applies to no one.
    pub retired: bool,
    /// The last day of this version's transition, if it has one: until then people it made overdue are due by it.
    pub transition_until: Option<NaiveDate>,
}

impl From<&Rule> for RuleVersionView {
    fn from(r: &Rule) -> Self {
        let (refresher_months, hours, window_months) = match r.kind {
            RuleKind::Completion { refresher_months } => (Some(refresher_months), None, None),
            RuleKind::Hours {
                hours,
                window_months,
                ..
            } => (None, Some(hours), Some(window_months)),
        };
        RuleVersionView {
            rule_id: r.id.0,
            effective_from: r.effective_from,
            effective_to: r.effective_to,
            period: period(&r.kind),
            refresher_months,
            hours,
            window_months,
            warning_days: r.warning_days,
            new_starter_days: r.new_starter_days,
            source: r.source.clone(),
            basis: basis(r),
            development: r.purpose == RulePurpose::Development,
            retired: r.retired,
            transition_until: r
                .transition_ends
                .map(|t| lantern_domain::dates::sub_days(t, 1)),
        }
    }
}

/// The framework file's own period for a rule's requirement, in words, when the rule's differs from it.
fn national(files: &[FrameworkFile], rule: &Rule) -> Option<String> {
    let file = files.iter().find(|f| {
        f.framework.code == rule.framework && f.framework.version == rule.framework_version
    })?;
    let own = file
        .readings(&rule.subject, rule.level)
        .into_iter()
        .next()?;
    (own.kind != rule.kind && !rule.retired).then(|| period(&own.kind))
}

/// The organisation's rules, grouped by requirement; organisation admins only.
pub async fn rules(state: &AppState, caller: &Caller, ods: &str) -> Result<RulesView, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Administer(org.id))?;
    let ctx = state.store.org_context(&scope, org.id).await?;
    let files = state.store.frameworks().await?;
    let mut all: Vec<&Rule> = ctx.rules.iter().collect();
    all.sort_by(|a, b| {
        (&a.title, a.level, std::cmp::Reverse(a.effective_from)).cmp(&(
            &b.title,
            b.level,
            std::cmp::Reverse(b.effective_from),
        ))
    });
    let mut requirements: Vec<RequirementRules> = Vec::new();
    for r in all {
        match requirements.last_mut() {
            Some(h) if h.subject == r.subject && h.level == r.level => h.versions.push(r.into()),
            _ => {
                // The first of a requirement is its latest version: the one a new version builds on.
                requirements.push(RequirementRules {
                    subject: r.subject.clone(),
                    level: r.level,
                    title: r.title.clone(),
                    framework: r.framework.clone(),
                    framework_version: r.framework_version.clone(),
                    applies_to: r.applies_to.describe(),
                    adjustable: r.adjustable,
                    development: r.purpose == RulePurpose::Development,
                    retired: r.retired,
                    national_period: national(&files, r),
                    local_reason: r.local_reason.clone(),
                    local_choice: r.basis.local_choice,
                    period_may_change: rule_versions::period_may_change(r),
                    period_needs_assessment: rule_versions::period_needs_assessment(r),
                    current_rule_id: r.id.0,
                    new_version_after: r.effective_from,
                    versions: vec![r.into()],
                })
            }
        }
    }
    Ok(RulesView {
        ods_code: org.ods_code.to_string(),
        name: org.name,
        target_percent: org.target_percent,
        requirements,
    })
}

/// A new version of a rule's requirement, as the caller asks it (`draft` is given the version it builds on), made
/// as the caller today in the organisation's time zone. The outer error is access (404 outside, 403 without the
/// admin role, 404 for a rule not in the organisation); the inner one is every problem with the draft, by field.
pub async fn add_rule_version(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    rule_id: i64,
    draft: impl FnOnce(&Rule) -> VersionDraft,
) -> Result<Result<Rule, Vec<Problem>>, AppError> {
    let (org, rule) = match drafted(state, caller, ods, rule_id, draft).await? {
        Ok(made) => made,
        Err(problems) => return Ok(Err(problems)),
    };
    // Written as a regulatory change: its record on the changes page and the emails to the people it makes due.
    let preview = preview_of(state, caller, &org, &rule).await?;
    match crate::views::changes::apply_rule_version(state, caller, &org, &rule, preview).await {
        Ok(()) => {
            tracing::info!(org = %org.ods_code, subject = %rule.subject, from = %rule.effective_from, "new rule version");
            Ok(Ok(rule))
        }
        // The store's own guard (a version written meanwhile): said against the date.
        Err(StoreError::Rejected(problems)) => Ok(Err(problems
            .into_iter()
            .map(|p| Problem {
                field: "effective_from",
                message: p.message,
            })
            .collect())),
        Err(e) => Err(e.into()),
    }
}

/// The version as the caller's draft would make it, after the access check, in its organisation; or every problem
/// with the draft. Both making and previewing start here.
async fn drafted(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    rule_id: i64,
    draft: impl FnOnce(&Rule) -> VersionDraft,
) -> Result<Result<(lantern_domain::Organisation, Rule), Vec<Problem>>, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Administer(org.id))?;
    let ctx = state.store.org_context(&scope, org.id).await?;
    let opened = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(rule_id))
        .ok_or(AppError::NotFound)?;
    let current = rule_versions::current(&ctx.rules, opened);
    let author = Author {
        org_code: &org.ods_code,
        name: &caller.account.display_name,
        today: crate::when::today(&org),
    };
    let rule = match rule_versions::new_version(current, &draft(current), &author) {
        Ok(rule) => rule,
        Err(problems) => return Ok(Err(problems)),
    };
    Ok(Ok((org, rule)))
}

/// The preview of a new version: what it changes and whom it affects, as a regulatory change.
async fn preview_of(
    state: &AppState,
    caller: &Caller,
    org: &lantern_domain::Organisation,
    rule: &Rule,
) -> Result<crate::views::changes::OrgPreview, AppError> {
    use crate::views::changes::{TransitionChoice, preview_org};
    let choice = match rule.transition_ends {
        Some(end) => TransitionChoice::Until(end - chrono::Days::new(1)),
        None => TransitionChoice::None,
    };
    let title = format!(
        "{} level {} from {}",
        rule.title, rule.level, rule.effective_from
    );
    let version = rule.clone();
    preview_org(
        state.store.as_ref(),
        &caller.scope(),
        org,
        move |rules| lantern_domain::regulatory_change::diff_version(rules, &version),
        title,
        choice,
        crate::when::now(),
    )
    .await?
    .map_err(|(_, m)| AppError::BadRequest(m))
}

/// What a new version would change, without making it: the version as it would be made, and its preview; or every
/// problem with the draft. The same access as making it.
pub async fn preview_rule_version(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    rule_id: i64,
    draft: impl FnOnce(&Rule) -> VersionDraft,
) -> Result<Result<(Rule, crate::views::changes::OrgPreview), Vec<Problem>>, AppError> {
    let (org, rule) = match drafted(state, caller, ods, rule_id, draft).await? {
        Ok(made) => made,
        Err(problems) => return Ok(Err(problems)),
    };
    let preview = preview_of(state, caller, &org, &rule).await?;
    Ok(Ok((rule, preview)))
}

/// An organisation's own requirement as the caller's draft makes it (`lantern_domain::local_requirements`), with the
/// preview of whom it makes due; with `apply`, also written, as a regulatory change with its emails. Or every
/// problem with the draft. Only the organisation's admins.
pub async fn local_requirement(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    draft: &lantern_domain::local_requirements::LocalDraft<'_>,
    apply: bool,
) -> Result<Result<(Rule, crate::views::changes::OrgPreview), Vec<Problem>>, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::Administer(org.id))?;
    let ctx = state.store.org_context(&scope, org.id).await?;
    let author = Author {
        org_code: &org.ods_code,
        name: &caller.account.display_name,
        today: crate::when::today(&org),
    };
    let rule = match lantern_domain::local_requirements::new_rule(
        org.id,
        draft,
        &ctx.rules,
        &author,
        crate::when::now(),
    ) {
        Ok(rule) => rule,
        Err(problems) => return Ok(Err(problems)),
    };
    let preview = preview_of(state, caller, &org, &rule).await?;
    if apply {
        match crate::views::changes::apply_rule_version(state, caller, &org, &rule, preview.clone())
            .await
        {
            Ok(()) => {
                tracing::info!(org = %org.ods_code, subject = %rule.subject, "local requirement added");
            }
            Err(StoreError::Rejected(problems)) => {
                return Ok(Err(problems
                    .into_iter()
                    .map(|p| Problem {
                        field: "effective_from",
                        message: p.message,
                    })
                    .collect()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Ok((rule, preview)))
}
