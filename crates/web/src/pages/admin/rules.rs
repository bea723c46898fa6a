//! Requirement rules and their versions: a change is a new version with an effective date, never an edit.

use super::{Notice, admin_org};
use super::{number, urlencode};
use crate::auth::sign_in::FieldError;
use crate::pages::layout::{Layout, Page};
use crate::pages::{PageError, PageResult};
use crate::{AppError, AppState};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use lantern_domain::{Rule, RuleId, RuleKind};
use lantern_store::{OrgContext, RuleRow, StoreError, WriteBatch};

/// A requirement with its versions, newest first.
pub struct RuleHistory {
    pub current: Rule,
    pub versions: Vec<Rule>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
pub struct RulesPage {
    layout: Layout,
    ods: String,
    org_name: String,
    target: f64,
    rules: Vec<RuleHistory>,
    saved: Option<String>,
}

pub fn period(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Completion { refresher_months } if *refresher_months == 0 => "Once".to_owned(),
        RuleKind::Completion { refresher_months } => format!("Every {refresher_months} months"),
        RuleKind::Hours {
            hours,
            window_months,
        } => format!("{hours} hours every {window_months} months"),
    }
}

pub async fn rules(
    State(state): State<AppState>,
    page: Page,
    Path(ods): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult<RulesPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let mut by_key: Vec<RuleHistory> = Vec::new();
    let mut all = ctx.rules.clone();
    all.sort_by(|a, b| {
        (&a.title, a.level, std::cmp::Reverse(a.effective_from)).cmp(&(
            &b.title,
            b.level,
            std::cmp::Reverse(b.effective_from),
        ))
    });
    for r in all {
        match by_key.last_mut() {
            Some(h) if h.current.subject == r.subject && h.current.level == r.level => {
                h.versions.push(r)
            }
            _ => by_key.push(RuleHistory {
                current: r.clone(),
                versions: vec![r],
            }),
        }
    }
    Ok(RulesPage {
        layout: page.layout,
        ods: ctx.org.ods_code.clone(),
        org_name: ctx.org.name.clone(),
        target: ctx.org.target_percent,
        rules: by_key,
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

fn current_rule(ctx: &OrgContext, id: i64) -> Result<Rule, AppError> {
    let rule = ctx
        .rules
        .iter()
        .find(|r| r.id == RuleId(id))
        .ok_or(AppError::NotFound)?;
    // Always version the one in force (or the latest), whichever version's page was opened.
    Ok(ctx
        .rules
        .iter()
        .filter(|r| r.subject == rule.subject && r.level == rule.level)
        .max_by_key(|r| r.effective_from)
        .cloned()
        .unwrap_or_else(|| rule.clone()))
}

pub async fn rule_version_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<RuleVersionPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let rule = current_rule(&ctx, id)?;
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

pub async fn rule_version_submit(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
    Form(form): Form<RuleVersionForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let current = current_rule(&ctx, id)?;
    let mut errors = Vec::new();
    let effective_from = match form.effective_from.trim().parse::<chrono::NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field: "effective_from",
                message: "Enter the date the new version takes effect, like 2027-04-01".into(),
            });
            None
        }
    };
    let kind = match current.kind {
        RuleKind::Completion { refresher_months } => {
            if current.adjustable {
                number::<u32>(
                    &mut errors,
                    "refresher_months",
                    &form.refresher_months,
                    "a refresher period of 1 to 120 months",
                    |m| (1..=120).contains(m),
                )
                .map(|m| RuleKind::Completion {
                    refresher_months: m,
                })
            } else {
                // The framework fixes this period: a new version keeps it.
                Some(RuleKind::Completion { refresher_months })
            }
        }
        RuleKind::Hours { .. } => {
            let h = number::<f64>(
                &mut errors,
                "hours",
                &form.hours,
                "the hours required, more than 0",
                |h| *h > 0.0 && *h <= 500.0,
            );
            let w = number::<u32>(
                &mut errors,
                "window_months",
                &form.window_months,
                "a window of 1 to 120 months",
                |m| (1..=120).contains(m),
            );
            h.zip(w).map(|(hours, window_months)| RuleKind::Hours {
                hours,
                window_months,
            })
        }
    };
    let warning = number::<u32>(
        &mut errors,
        "warning_days",
        &form.warning_days,
        "a warning window of 0 to 365 days",
        |d| *d <= 365,
    );
    let starter = number::<u32>(
        &mut errors,
        "new_starter_days",
        &form.new_starter_days,
        "a new-starter deadline of 0 to 365 days",
        |d| *d <= 365,
    );
    if form.reason.trim().len() < 5 {
        errors.push(FieldError {
            field: "reason",
            message: "Say why the rule changes, for the audit trail".into(),
        });
    }
    if let (true, Some(from), Some(kind), Some(warning_days), Some(new_starter_days)) =
        (errors.is_empty(), effective_from, kind, warning, starter)
    {
        let rule = Rule {
            kind,
            warning_days,
            new_starter_days,
            effective_from: from,
            effective_to: None,
            source: format!(
                "{} local version by {} on {}: {}",
                ctx.org.ods_code,
                page.caller.account.display_name,
                chrono::Utc::now().date_naive(),
                form.reason.trim()
            ),
            ..current.clone()
        };
        let mut batch = WriteBatch {
            only_org: Some(ctx.org.ods_code.clone()),
            ..WriteBatch::default()
        };
        batch.rules.push(RuleRow {
            org: ctx.org.ods_code.clone(),
            rule,
        });
        match state.store.write(&batch).await {
            Ok(_) => {
                tracing::info!(org = %ctx.org.ods_code, subject = %current.subject, %from, "new rule version");
                let to = format!(
                    "/orgs/{}/admin?saved={}",
                    ctx.org.ods_code,
                    urlencode(&current.title)
                );
                return Ok(Redirect::to(&to).into_response());
            }
            Err(StoreError::Rejected(problems)) => {
                for p in problems {
                    errors.push(FieldError {
                        field: "effective_from",
                        message: p.message,
                    });
                }
            }
            Err(e) => return Err(PageError::from(e)),
        }
    }
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        RuleVersionPage {
            layout: page.layout,
            ods: ctx.org.ods_code.clone(),
            org_name: ctx.org.name.clone(),
            rule: current,
            form,
            errors,
        },
    )
        .into_response())
}
