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
use lantern_domain::framework::Reading;
use lantern_domain::{Rule, RuleBasis, RuleId, RuleKind, RulePurpose};
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

/// The readings a rule's framework file offers for it, and whether the file is a development framework.
async fn choices(state: &AppState, rule: &Rule) -> Result<(Vec<Reading>, bool), AppError> {
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

pub async fn rule_version_page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, id)): Path<(String, i64)>,
) -> PageResult<RuleVersionPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let rule = current_rule(&ctx, id)?;
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
        participatory_percent: rule
            .kind
            .participatory_hours()
            .zip(match rule.kind {
                RuleKind::Hours { hours, .. } => Some(hours),
                RuleKind::Completion { .. } => None,
            })
            .map(|(p, h)| (100.0 * p / h).round().to_string())
            .unwrap_or_default(),
        reading,
        purpose: rule.purpose.code().to_owned(),
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
        readings,
        offers_purpose,
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
    let (readings, offers_purpose) = choices(&state, &current).await?;
    let mut errors = Vec::new();
    // A named reading brings its own figures; otherwise the figures typed are the organisation's own.
    let chosen: Option<&Reading> = match form.reading.trim() {
        "" | "own" => None,
        i => match i.parse::<usize>().ok().and_then(|i| readings.get(i)) {
            Some(r) => Some(r),
            None => {
                errors.push(FieldError {
                    field: "reading",
                    message: "Choose one of the readings listed, or your own figures".into(),
                });
                None
            }
        },
    };
    let purpose = if offers_purpose {
        match RulePurpose::parse(&form.purpose) {
            Some(p) => p,
            None => {
                errors.push(FieldError {
                    field: "purpose",
                    message: "Choose whether it is a requirement or a development competency"
                        .into(),
                });
                current.purpose
            }
        }
    } else {
        current.purpose
    };
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
        RuleKind::Hours { .. } if chosen.is_some() => chosen.map(|r| r.kind.clone()),
        RuleKind::Hours { .. } => {
            let share = match form.participatory_percent.trim() {
                "" | "0" => Some(None),
                p => number::<f64>(
                    &mut errors,
                    "participatory_percent",
                    p,
                    "a participatory share of 1 to 100 per cent, or leave it empty",
                    |p| *p > 0.0 && *p <= 100.0,
                )
                .map(|p| Some(p / 100.0)),
            };
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
            h.zip(w)
                .zip(share)
                .map(
                    |((hours, window_months), participatory_share)| RuleKind::Hours {
                        hours,
                        window_months,
                        participatory_share,
                    },
                )
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
        let local = format!(
            "{} local version by {} on {}: {}",
            ctx.org.ods_code,
            page.caller.account.display_name,
            chrono::Utc::now().date_naive(),
            form.reason.trim()
        );
        // Where the figures come from: a named reading's own basis and citation; unchanged figures keep theirs;
        // anything else is the organisation's own choice.
        let (basis, source) = match chosen {
            Some(r) => (r.basis.clone(), format!("{}. {local}", r.source)),
            None if kind == current.kind => (current.basis.clone(), local),
            None => (
                RuleBasis {
                    edition: current.basis.edition.clone(),
                    reading: Some("Local choice".to_owned()),
                    local_choice: true,
                },
                local,
            ),
        };
        let rule = Rule {
            kind,
            purpose,
            warning_days,
            new_starter_days,
            effective_from: from,
            effective_to: None,
            source,
            basis,
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
            readings,
            offers_purpose,
        },
    )
        .into_response())
}
