//! Requirement rules and their versions: a change is a new version with an effective date, never an edit. The
//! rules and what a version may change are `views::rules` (and `lantern_domain::rule_versions`); this file shows the
//! pages and reads the form.

use super::{Notice, admin_org, urlencode};
use crate::AppState;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::rules::{self as view, RulesView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::framework::Reading;
use lantern_domain::rule_versions::{self, VersionDraft};
use lantern_domain::{Rule, RuleId, RuleKind, RulePurpose};

pub use view::period;

/// The readings a rule's framework file offers for it, and whether the rule may be made a requirement or left as
/// development (it comes from a development framework).
async fn choices(state: &AppState, rule: &Rule) -> Result<(Vec<Reading>, bool), crate::AppError> {
    let files = state.store.frameworks().await?;
    let file = files.iter().find(|f| {
        f.framework.code == rule.framework && f.framework.version == rule.framework_version
    });
    Ok(match file {
        Some(f) => (
            f.readings(&rule.subject, rule.level),
            f.framework.purpose == RulePurpose::Development
                || rule.purpose == RulePurpose::Development,
        ),
        None => (Vec::new(), rule.purpose == RulePurpose::Development),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
pub struct RulesPage {
    layout: Layout,
    ods: String,
    view: RulesView,
    saved: Option<String>,
}

pub async fn rules(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<RulesPage> {
    let view = view::rules(&state, &page.caller, &ods).await?;
    Ok(RulesPage {
        layout: page.layout,
        ods: view.ods_code.clone(),
        view,
        saved: n.saved,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rule_version.html")]
pub struct RuleVersionPage {
    layout: Layout,
    ods: String,
    org_name: String,
    rule: Rule,
    form: RuleVersionForm,
    errors: Vec<FieldError>,
    /// Readings of the rule's source the organisation may choose between (the framework's own figures first).
    readings: Vec<Reading>,
    /// Whether the rule comes from a development framework, so it may be made a requirement (or left as development).
    offers_purpose: bool,
}

impl RuleVersionPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn is_hours(&self) -> bool {
        matches!(self.rule.kind, RuleKind::Hours { .. })
    }

    fn is_requirement(&self) -> bool {
        self.form.purpose != RulePurpose::Development.code()
    }

    fn period_may_change(&self) -> bool {
        rule_versions::period_may_change(&self.rule)
    }

    fn period_needs_assessment(&self) -> bool {
        rule_versions::period_needs_assessment(&self.rule)
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct RuleVersionForm {
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    refresher_months: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    window_months: String,
    /// Per cent of the hours that must be participatory; empty for none.
    #[serde(default)]
    participatory_percent: String,
    /// The index of a reading in `readings`, or "own" for the organisation's own figures.
    #[serde(default)]
    reading: String,
    /// "requirement" or "development", where the rule offers the choice.
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    warning_days: String,
    #[serde(default)]
    new_starter_days: String,
    /// The reference of the local risk assessment behind a local refresher period.
    #[serde(default)]
    local_reason: String,
    /// The last day of a transition, or empty for none.
    #[serde(default)]
    transition_until: String,
    /// "yes" to retire the requirement from the date.
    #[serde(default)]
    retire: String,
    #[serde(default)]
    reason: String,
    /// "yes" once the preview was shown: only then is the version made.
    #[serde(default)]
    confirm: String,
}

/// A new version's preview: what it changes and whom it affects, before it is made.
#[derive(Template, WebTemplate)]
#[template(path = "admin_rule_version_preview.html")]
pub struct RuleVersionPreviewPage {
    layout: Layout,
    ods: String,
    org_name: String,
    rule_id: i64,
    rule: Rule,
    preview: crate::views::changes::OrgPreview,
    /// The form's fields, sent again with the confirmation.
    fields: Vec<(&'static str, String)>,
}

impl RuleVersionPreviewPage {
    fn bars(&self) -> Vec<(&'static str, String, u32)> {
        super::framework::bars(&self.preview)
    }
}

impl RuleVersionForm {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("effective_from", self.effective_from.clone()),
            ("refresher_months", self.refresher_months.clone()),
            ("hours", self.hours.clone()),
            ("window_months", self.window_months.clone()),
            ("participatory_percent", self.participatory_percent.clone()),
            ("reading", self.reading.clone()),
            ("purpose", self.purpose.clone()),
            ("warning_days", self.warning_days.clone()),
            ("new_starter_days", self.new_starter_days.clone()),
            ("local_reason", self.local_reason.clone()),
            ("transition_until", self.transition_until.clone()),
            ("retire", self.retire.clone()),
            ("reason", self.reason.clone()),
        ]
    }
}

pub async fn rule_version_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<RuleVersionPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let opened = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(id))
        .ok_or(crate::AppError::NotFound)?;
    // Always version the latest, whichever version's page was opened.
    let rule = rule_versions::current(&ctx.rules, opened).clone();
    let (readings, offers_purpose) = choices(&state, &rule).await?;
    let (refresher, hours, window) = match rule.kind {
        RuleKind::Completion { refresher_months } => {
            (refresher_months.to_string(), String::new(), String::new())
        }
        RuleKind::Hours {
            hours,
            window_months,
            ..
        } => (String::new(), hours.to_string(), window_months.to_string()),
    };
    // The reading in force is chosen; figures of the organisation's own are "own".
    let reading = readings
        .iter()
        .position(|r| r.kind == rule.kind && r.basis.reading == rule.basis.reading)
        .map_or_else(|| "own".to_owned(), |i| i.to_string());
    let form = RuleVersionForm {
        effective_from: String::new(),
        refresher_months: refresher,
        hours,
        window_months: window,
        participatory_percent: match rule.kind {
            RuleKind::Hours {
                participatory_share: Some(s),
                ..
            } => (100.0 * s).round().to_string(),
            _ => String::new(),
        },
        reading,
        purpose: rule.purpose.code().to_owned(),
        warning_days: rule.warning_days.to_string(),
        new_starter_days: rule.new_starter_days.to_string(),
        local_reason: String::new(),
        transition_until: String::new(),
        retire: String::new(),
        reason: String::new(),
        confirm: String::new(),
    };
    Ok(RuleVersionPage {
        layout: page.layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        rule,
        form,
        errors: Vec::new(),
        readings,
        offers_purpose,
    })
}

impl RuleVersionForm {
    /// The form's fields as a draft: a field that is not a number is left out, and the policy names it. A reading
    /// is one of `readings` by index ("own" or empty: the figures typed).
    fn draft(&self, readings: &[Reading], offers_purpose: bool) -> VersionDraft {
        fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
            v.trim().parse().ok()
        }
        VersionDraft {
            effective_from: number(&self.effective_from),
            refresher_months: number(&self.refresher_months),
            hours: number(&self.hours),
            window_months: number(&self.window_months),
            participatory_percent: match self.participatory_percent.trim() {
                "" | "0" => None,
                p => Some(p.parse().unwrap_or(f64::NAN)),
            },
            reading: number::<usize>(&self.reading).and_then(|i| readings.get(i).cloned()),
            purpose: if offers_purpose {
                RulePurpose::parse(&self.purpose)
            } else {
                None
            },
            warning_days: number(&self.warning_days),
            new_starter_days: number(&self.new_starter_days),
            // A last day that is not a date is kept as a day no transition may end on, so the policy names it.
            transition_ends: match self.transition_until.trim() {
                "" => None,
                t => Some(
                    t.parse::<chrono::NaiveDate>()
                        .map_or(chrono::NaiveDate::MIN, |d| {
                            lantern_domain::dates::add_days(d, 1)
                        }),
                ),
            },
            retire: self.retire == "yes",
            local_reason: Some(self.local_reason.clone()),
            reason: self.reason.clone(),
        }
    }
}

pub async fn rule_version_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
    Form(form): Form<RuleVersionForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let opened = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(id))
        .ok_or(crate::AppError::NotFound)?;
    let (readings, offers_purpose) =
        choices(&state, rule_versions::current(&ctx.rules, opened)).await?;
    // First the preview; the version is made only when it is confirmed.
    let made = if form.confirm == "yes" {
        view::add_rule_version(&state, &page.caller, &ods, id, |_| {
            form.draft(&readings, offers_purpose)
        })
        .await?
    } else {
        match view::preview_rule_version(&state, &page.caller, &ods, id, |_| {
            form.draft(&readings, offers_purpose)
        })
        .await?
        {
            Ok((rule, preview)) => {
                return Ok(RuleVersionPreviewPage {
                    layout: page.layout,
                    ods: ctx.org.ods_code.to_string(),
                    org_name: ctx.org.name.clone(),
                    rule_id: id,
                    rule,
                    preview,
                    fields: form.fields(),
                }
                .into_response());
            }
            Err(problems) => Err(problems),
        }
    };
    let problems = match made {
        Ok(rule) => {
            let to = format!("/orgs/{}/admin?saved={}", ods, urlencode(&rule.title));
            return Ok(Redirect::to(&to).into_response());
        }
        Err(problems) => problems,
    };
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let opened = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(id))
        .ok_or(crate::AppError::NotFound)?;
    let rule = rule_versions::current(&ctx.rules, opened).clone();
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        RuleVersionPage {
            layout: page.layout,
            ods: ctx.org.ods_code.to_string(),
            org_name: ctx.org.name.clone(),
            rule,
            form,
            readings,
            offers_purpose,
            errors: problems
                .into_iter()
                .map(|p| FieldError {
                    field: p.field,
                    message: p.message,
                })
                .collect(),
        },
    )
        .into_response())
}
