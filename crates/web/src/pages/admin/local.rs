//! An organisation's own requirement (`lantern_domain::local_requirements`): named, renewed every so many months,
//! applying by staff group, job role, specialty and unit (a unit with those within it). The admin sees whom it makes
//! due before it is added, as with any new rule version; it then shows on the rules page, where later versions and
//! retiring it are made.

use super::admin_org;
use crate::auth::sign_in::FieldError;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use crate::views::changes::OrgPreview;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lantern_domain::local_requirements::LocalDraft;
use lantern_domain::rollup::Hierarchy;
use lantern_domain::{Clause, Rule, StaffGroup, UnitId, UnitRef};
use lantern_store::OrgContext;

#[derive(serde::Deserialize, Default, Clone)]
pub struct LocalForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    refresher_months: String,
    /// A staff group's code, or "" for every group.
    #[serde(default)]
    staff_group: String,
    /// Job roles, comma-separated ("" for any).
    #[serde(default)]
    job_roles: String,
    /// Specialties, comma-separated ("" for any).
    #[serde(default)]
    specialties: String,
    /// A unit's id, or "" for every unit.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    transition_until: String,
    #[serde(default)]
    reason: String,
    /// "yes" once the preview was shown: only then is it added.
    #[serde(default)]
    confirm: String,
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl LocalForm {
    /// The clause the form chooses; a unit brings the units within it.
    fn clause(&self, ctx: &OrgContext) -> Result<Clause, FieldError> {
        let staff_groups = match self.staff_group.as_str() {
            "" => Vec::new(),
            g => vec![StaffGroup::parse(g).ok_or(FieldError {
                field: "staff_group",
                message: "Choose a staff group, or every group".into(),
            })?],
        };
        let units = match self.unit.as_str() {
            "" => Vec::new(),
            u => {
                let chosen = u
                    .parse::<i64>()
                    .ok()
                    .map(UnitId)
                    .and_then(|id| ctx.units.iter().find(|x| x.id == id))
                    .ok_or(FieldError {
                        field: "unit",
                        message: "Choose one of the units, or every unit".into(),
                    })?;
                let hierarchy = Hierarchy::new(&ctx.units);
                let mut within: Vec<UnitRef> = ctx
                    .units
                    .iter()
                    .filter(|x| x.id != chosen.id && hierarchy.is_within(x.id, chosen.id))
                    .map(|x| UnitRef {
                        id: x.id,
                        name: x.name.clone(),
                    })
                    .collect();
                within.sort_by_key(|x| x.id);
                std::iter::once(UnitRef {
                    id: chosen.id,
                    name: chosen.name.clone(),
                })
                .chain(within)
                .collect()
            }
        };
        Ok(Clause {
            staff_groups,
            job_roles: list(&self.job_roles),
            specialties: list(&self.specialties),
            units,
            ..Clause::default()
        })
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("title", self.title.clone()),
            ("refresher_months", self.refresher_months.clone()),
            ("staff_group", self.staff_group.clone()),
            ("job_roles", self.job_roles.clone()),
            ("specialties", self.specialties.clone()),
            ("unit", self.unit.clone()),
            ("effective_from", self.effective_from.clone()),
            ("transition_until", self.transition_until.clone()),
            ("reason", self.reason.clone()),
        ]
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_local_requirement.html")]
pub struct LocalPage {
    layout: Layout,
    ods: String,
    org_name: String,
    units: Vec<(i64, String)>,
    staff_groups: &'static [StaffGroup],
    form: LocalForm,
    errors: Vec<FieldError>,
    /// The requirement as it would be made, and whom it affects: shown before it is added.
    preview: Option<(Rule, OrgPreview)>,
}

impl LocalPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn bars(&self) -> Vec<(&'static str, String, u32)> {
        self.preview
            .as_ref()
            .map(|(_, p)| super::framework::bars(p))
            .unwrap_or_default()
    }

    fn hidden(&self) -> Vec<(&'static str, String)> {
        self.form.fields()
    }
}

fn page_for(
    ctx: &OrgContext,
    layout: Layout,
    form: LocalForm,
    errors: Vec<FieldError>,
    preview: Option<(Rule, OrgPreview)>,
) -> LocalPage {
    let mut units: Vec<(i64, String)> =
        ctx.units.iter().map(|u| (u.id.0, u.name.clone())).collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    LocalPage {
        layout,
        ods: ctx.org.ods_code.to_string(),
        org_name: ctx.org.name.clone(),
        units,
        staff_groups: StaffGroup::ALL,
        form,
        errors,
        preview,
    }
}

pub async fn local_page(
    State(state): State<crate::AppState>,
    page: Page,
    Path(ods): Path<String>,
) -> PageResult<LocalPage> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let form = LocalForm {
        effective_from: crate::when::today(&ctx.org).to_string(),
        refresher_months: "12".into(),
        ..LocalForm::default()
    };
    Ok(page_for(&ctx, page.layout, form, Vec::new(), None))
}

pub async fn local_submit(
    State(state): State<crate::AppState>,
    page: Page,
    Path(ods): Path<String>,
    Form(form): Form<LocalForm>,
) -> PageResult<Response> {
    let ctx = admin_org(&state, &page.caller, &ods).await?;
    let clause = match form.clause(&ctx) {
        Ok(c) => c,
        Err(e) => {
            let page = page_for(&ctx, page.layout, form, vec![e], None);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let draft = LocalDraft {
        title: &form.title,
        refresher_months: form.refresher_months.trim().parse().ok(),
        applies: clause,
        effective_from: form.effective_from.trim().parse().ok(),
        transition_until: match form.transition_until.trim() {
            "" => None,
            // Not a date: a day no transition may end on, so the policy names it.
            t => Some(t.parse().unwrap_or(chrono::NaiveDate::MIN)),
        },
        reason: &form.reason,
    };
    let apply = form.confirm == "yes";
    match crate::views::rules::local_requirement(&state, &page.caller, &ods, &draft, apply).await? {
        Ok((rule, _)) if apply => Ok(axum::response::Redirect::to(&format!(
            "/orgs/{}/admin?saved={}",
            ctx.org.ods_code,
            super::urlencode(&format!("{}, from {}", rule.title, rule.effective_from))
        ))
        .into_response()),
        Ok(preview) => {
            Ok(page_for(&ctx, page.layout, form, Vec::new(), Some(preview)).into_response())
        }
        Err(problems) => {
            let errors = problems
                .into_iter()
                .map(|p| FieldError {
                    field: p.field,
                    message: p.message,
                })
                .collect();
            let page = page_for(&ctx, page.layout, form, errors, None);
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}
