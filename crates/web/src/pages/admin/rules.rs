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
use lantern_domain::rule_versions::{self, VersionDraft};
use lantern_domain::{Rule, RuleId, RuleKind};

pub use view::period;

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
    #[serde(default)]
    warning_days: String,
    #[serde(default)]
    new_starter_days: String,
    #[serde(default)]
    reason: String,
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
    let (refresher, hours, window) = match rule.kind {
        RuleKind::Completion { refresher_months } => {
            (refresher_months.to_string(), String::new(), String::new())
        }
        RuleKind::Hours {
            hours,
            window_months,
        } => (String::new(), hours.to_string(), window_months.to_string()),
    };
    let form = RuleVersionForm {
        effective_from: String::new(),
        refresher_months: refresher,
        hours,
        window_months: window,
        warning_days: rule.warning_days.to_string(),
        new_starter_days: rule.new_starter_days.to_string(),
        reason: String::new(),
    };
    Ok(RuleVersionPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        rule,
        form,
        errors: Vec::new(),
    })
}

impl RuleVersionForm {
    /// The form's fields as a draft: a field that is not a number is left out, and the policy names it.
    fn draft(&self) -> VersionDraft {
        fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
            v.trim().parse().ok()
        }
        VersionDraft {
            effective_from: number(&self.effective_from),
            refresher_months: number(&self.refresher_months),
            hours: number(&self.hours),
            window_months: number(&self.window_months),
            warning_days: number(&self.warning_days),
            new_starter_days: number(&self.new_starter_days),
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
    let made = view::add_rule_version(&state, &page.caller, &ods, id, |_| form.draft()).await?;
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
            ods: ctx.org.ods_code.clone(),
            org_name: ctx.org.name.clone(),
            rule,
            form,
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
