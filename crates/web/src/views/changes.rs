//! Regulatory changes: the preview of a framework file against an organisation, applying it to every organisation
//! with a transition (and the emails that go with it), and an organisation's changes. What a change does is
//! `lantern_domain::regulatory_change`; this reads the store, asks the access policy and writes through
//! `ChangeStore`. The admin pages, the API and `lantern framework load` share it.

use crate::auth::Caller;
use crate::{AppError, AppState};
use chrono::NaiveDate;
use lantern_domain::access::Action;
use lantern_domain::access::Principal;
use lantern_domain::engine::PersonFacts;
use lantern_domain::framework::FrameworkFile;
use lantern_domain::regulatory_change::{
    self as change, AffectedPerson, Candidate, ChangeKind, ImpactPerson, RuleDiff, ScopeGroup,
    StoppedRecord, TRANSITION_DEFAULTS, Transition,
};
use lantern_domain::rollup::{Counts, Hierarchy};
use lantern_domain::{AccountId, Organisation, Rule, Timestamp};
use lantern_store::{
    AppliedChange, AppliedKind, NewChange, OutgoingMail, PeopleFilter, Scope, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::change_mail::{manager_digest, person_email};

/// The transition an admin chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionChoice {
    /// The default for the kinds of change (`regulatory_change::TRANSITION_DEFAULTS`), per organisation.
    Default,
    /// None: people are overdue from the effective date.
    None,
    /// So many days from the later of the effective date and today.
    Days(u32),
    /// Until this day (the last day people are "due by").
    Until(NaiveDate),
}

/// The longest transition accepted, in days (three years: a full cycle of the longest common refresher period).
pub const MAX_TRANSITION_DAYS: u32 = 1096;

impl TransitionChoice {
    /// From a form or a request: `transition` is "default", "none", "days" (with `days`) or "until" (with
    /// `until`, a date). The error names the field.
    pub fn parse(
        transition: &str,
        days: &str,
        until: &str,
    ) -> Result<TransitionChoice, (&'static str, String)> {
        match transition.trim() {
            "" | "default" => Ok(TransitionChoice::Default),
            "none" => Ok(TransitionChoice::None),
            "days" => match days.trim().parse::<u32>() {
                Ok(n) if n <= MAX_TRANSITION_DAYS => Ok(TransitionChoice::Days(n)),
                _ => Err((
                    "transition_days",
                    format!("Enter the transition in days, from 0 to {MAX_TRANSITION_DAYS}"),
                )),
            },
            "until" => until
                .trim()
                .parse()
                .map(TransitionChoice::Until)
                .map_err(|_| {
                    (
                        "transition_until",
                        "Enter the transition's last day as a date, like 2027-03-31".to_owned(),
                    )
                }),
            other => Err((
                "transition",
                format!("{other:?} is not a transition: choose default, none, days or until"),
            )),
        }
    }

    fn resolve(
        self,
        kinds: &[ChangeKind],
        effective: NaiveDate,
        today: NaiveDate,
    ) -> Result<Transition, (&'static str, String)> {
        match self {
            TransitionChoice::Default => Ok(Transition::default_for(kinds, effective, today)),
            TransitionChoice::None => Ok(Transition::NONE),
            TransitionChoice::Days(n) => Ok(Transition::days(effective, today, n)),
            TransitionChoice::Until(d) => {
                Transition::until(effective, d).map_err(|m| ("transition_until", m))
            }
        }
    }
}

/// The default transition of each kind of change, with why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DefaultView {
    pub kind: ChangeKind,
    pub label: String,
    pub days: u32,
    pub why: String,
}

pub fn defaults() -> Vec<DefaultView> {
    TRANSITION_DEFAULTS
        .iter()
        .map(|d| DefaultView {
            kind: d.kind,
            label: d.kind.label().to_owned(),
            days: d.days,
            why: d.why.to_owned(),
        })
        .collect()
}

/// What a change does to one organisation, as it is kept with the change once applied.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeSummary {
    /// "Core Skills Training Framework (England) 1.2", or the rule's title for a rule version.
    pub title: String,
    pub effective_from: NaiveDate,
    /// The transition's last day ("due by"), if there is one.
    pub due_by: Option<NaiveDate>,
    pub diff: RuleDiff,
    pub people_assessed: u32,
    pub newly_in_scope_people: u32,
    pub newly_in_scope: Vec<ScopeGroup>,
    pub stopped_records: usize,
    pub affected_people: usize,
    pub before: Counts,
    pub without_transition: Counts,
    pub with_transition: Counts,
    pub before_percent: Option<f64>,
    pub without_transition_percent: Option<f64>,
    pub with_transition_percent: Option<f64>,
}

/// A preview for one organisation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgPreview {
    pub ods_code: String,
    pub name: String,
    pub framework: String,
    pub framework_version: String,
    /// The transition's first day after it ends (null: none).
    pub transition_ends: Option<NaiveDate>,
    /// The default transition for this change, in days.
    pub default_transition_days: u32,
    pub summary: ChangeSummary,
    /// Records that count now and would stop counting on the effective date, with why.
    pub stopped_records: Vec<StoppedRecord>,
    /// People the change makes due (or overdue), with each requirement and its date.
    pub affected: Vec<AffectedPerson>,
    #[serde(skip)]
    pub(crate) org: Option<Organisation>,
    #[serde(skip)]
    pub(crate) versions: Vec<Rule>,
}

/// A framework file's preview across the organisations asked about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FrameworkPreview {
    pub code: String,
    pub name: String,
    pub version: String,
    pub effective_from: NaiveDate,
    pub source: String,
    /// True when this version is loaded already (applying it would be refused).
    pub already_loaded: bool,
    pub defaults: Vec<DefaultView>,
    pub organisations: Vec<OrgPreview>,
}

/// Parses an uploaded framework file; the error says where the problem is.
pub fn parse(file_name: &str, text: &str) -> Result<FrameworkFile, AppError> {
    if text.trim().is_empty() {
        return Err(AppError::BadRequest(
            "file: choose a framework file (TOML, as in frameworks/)".into(),
        ));
    }
    FrameworkFile::parse(file_name, text).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Sets the transition on the versions of requirements the change makes more demanding.
fn with_transition(versions: &mut [Rule], diff: &RuleDiff, t: Transition) {
    let demanding: Vec<(&str, u8)> = diff
        .added
        .iter()
        .chain(&diff.changed)
        .filter(|c| {
            c.kind
                .is_some_and(|k| change::transition::default_days(k) > 0)
        })
        .map(|c| (c.subject.as_str(), c.level))
        .collect();
    for v in versions {
        if demanding.contains(&(v.subject.as_str(), v.level)) {
            set_transition_ends(v, t.ends);
        }
    }
}

/// The rule's own transition field (the engine's): people the version makes overdue are due by its last day.
fn set_transition_ends(rule: &mut Rule, ends: Option<NaiveDate>) {
    rule.transition_ends = ends;
}

/// One organisation's preview, read within `scope` (the caller's, or the platform's for the command line).
pub async fn preview_org(
    store: &dyn Store,
    scope: &Scope,
    org: &Organisation,
    candidate: impl FnOnce(&[Rule]) -> Candidate,
    title: String,
    choice: TransitionChoice,
    now: Timestamp,
) -> Result<Result<OrgPreview, (&'static str, String)>, AppError> {
    let ctx = store.org_context(scope, org.id).await?;
    let people = store.people(scope, org.id, &PeopleFilter::All).await?;
    let mut candidate = candidate(&ctx.rules);
    let today = org.today(now);
    let kinds = candidate.diff.kinds();
    let transition = match choice.resolve(&kinds, candidate.effective_from, today) {
        Ok(t) => t,
        Err(problem) => return Ok(Err(problem)),
    };
    let default_transition_days = kinds
        .iter()
        .map(|k| change::transition::default_days(*k))
        .max()
        .unwrap_or(0);
    with_transition(&mut candidate.versions, &candidate.diff, transition);
    let inputs: Vec<ImpactPerson> = people
        .iter()
        .map(|b| ImpactPerson {
            person: &b.person,
            facts: PersonFacts {
                posts: &b.posts,
                records: &b.records,
                exemptions: &b.exemptions,
            },
        })
        .collect();
    let impact = change::impact(
        org.id,
        &ctx.units,
        &ctx.rules,
        &ctx.policies,
        ctx.rehire_break_known_at(None),
        &candidate,
        transition,
        &inputs,
    );
    let first = candidate.versions.first();
    Ok(Ok(OrgPreview {
        ods_code: org.ods_code.to_string(),
        name: org.name.clone(),
        framework: first.map(|r| r.framework.clone()).unwrap_or_default(),
        framework_version: first
            .map(|r| r.framework_version.clone())
            .unwrap_or_default(),
        transition_ends: transition.ends,
        default_transition_days,
        summary: ChangeSummary {
            title,
            effective_from: candidate.effective_from,
            due_by: impact.due_by,
            diff: candidate.diff,
            people_assessed: impact.people_assessed,
            newly_in_scope_people: impact.newly_in_scope_people,
            newly_in_scope: impact.newly_in_scope,
            stopped_records: impact.stopped_records.len(),
            affected_people: impact.affected.len(),
            before: impact.before,
            without_transition: impact.without_transition,
            with_transition: impact.with_transition,
            before_percent: impact.before_percent,
            without_transition_percent: impact.without_transition_percent,
            with_transition_percent: impact.with_transition_percent,
        },
        stopped_records: impact.stopped_records,
        affected: impact.affected,
        org: Some(org.clone()),
        versions: candidate.versions,
    }))
}

/// The preview of a framework file for each of `orgs`. `progress` is told after each organisation.
#[allow(clippy::too_many_arguments)]
pub async fn preview_framework_for(
    store: &dyn Store,
    scope: &Scope,
    orgs: &[Organisation],
    file: &FrameworkFile,
    choice: TransitionChoice,
    now: Timestamp,
    mut progress: impl FnMut(usize, usize),
) -> Result<Result<FrameworkPreview, (&'static str, String)>, AppError> {
    let loaded = store.frameworks().await?.iter().any(|f| {
        f.framework.code == file.framework.code && f.framework.version == file.framework.version
    });
    let m = &file.framework;
    let mut out = FrameworkPreview {
        code: m.code.clone(),
        name: m.name.clone(),
        version: m.version.clone(),
        effective_from: m.effective_from,
        source: m.source.clone(),
        already_loaded: loaded,
        defaults: defaults(),
        organisations: Vec::new(),
    };
    for (i, org) in orgs.iter().enumerate() {
        let title = format!("{} {}", m.name, m.version);
        let preview = preview_org(
            store,
            scope,
            org,
            |rules| change::diff_framework(rules, file, org.id, now),
            title,
            choice,
            now,
        )
        .await?;
        match preview {
            Ok(p) => out.organisations.push(p),
            Err(problem) => return Ok(Err(problem)),
        }
        progress(i + 1, orgs.len());
    }
    Ok(Ok(out))
}

/// The caller's preview of a framework file for one organisation (its admins, and platform admins).
pub async fn preview_framework(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    file_name: &str,
    text: &str,
    choice: TransitionChoice,
) -> Result<Result<FrameworkPreview, (&'static str, String)>, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::PreviewChange(org.id))?;
    let file = parse(file_name, text)?;
    preview_framework_for(
        state.store.as_ref(),
        &scope,
        &[org],
        &file,
        choice,
        crate::when::now(),
        |_, _| {},
    )
    .await
}

/// Who applies a change.
#[derive(Clone, Debug)]
pub struct Applier {
    pub account: Option<AccountId>,
    pub name: String,
}

/// The emails about one organisation's change: each newly affected person with an address, once, and each of their
/// managers (accounts managing a unit at or above the person's), one digest.
async fn notifications(
    store: &dyn Store,
    preview: &OrgPreview,
    public_url: &str,
) -> Result<Vec<OutgoingMail>, AppError> {
    let Some(org) = &preview.org else {
        return Ok(Vec::new());
    };
    if preview.affected.is_empty() {
        return Ok(Vec::new());
    }
    let mut mail = Vec::new();
    for person in &preview.affected {
        if let Some(to) = person.email.as_deref().filter(|e| !e.trim().is_empty()) {
            mail.push(person_email(to, org, &preview.summary, person, public_url));
        }
    }
    let ctx = store.org_context(&Scope::Platform, org.id).await?;
    let hierarchy = Hierarchy::new(&ctx.units);
    for acc in store.accounts_in_org(org.id).await? {
        if acc.account.disabled {
            continue;
        }
        // The units the policy gives the account as a manager ("My team"), in this organisation.
        let principal = Principal {
            person: acc.account.person_id,
            grants: acc.grants.clone(),
        };
        let managed: Vec<_> = principal
            .scope()
            .granted_units()
            .into_iter()
            .filter(|(o, _)| *o == org.id)
            .map(|(_, u)| u)
            .collect();
        if managed.is_empty() {
            continue;
        }
        let team: Vec<&AffectedPerson> = preview
            .affected
            .iter()
            .filter(|p| {
                p.units
                    .iter()
                    .any(|u| managed.iter().any(|m| hierarchy.is_within(*u, *m)))
            })
            .collect();
        if !team.is_empty() {
            mail.push(manager_digest(
                &acc.account.email,
                &acc.account.display_name,
                org,
                &preview.summary,
                &team,
                public_url,
            ));
        }
    }
    Ok(mail)
}

/// What applying did, per organisation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Applied {
    pub framework: String,
    pub version: String,
    pub organisations: Vec<AppliedOrg>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppliedOrg {
    pub ods_code: String,
    pub change_id: i64,
    pub transition_ends: Option<NaiveDate>,
    pub affected_people: usize,
    pub emails: usize,
}

/// Why applying was refused.
#[derive(Debug)]
pub enum ApplyError {
    /// A problem with what was asked, naming the field.
    Refused(Vec<(String, String)>),
    Other(AppError),
}

impl From<AppError> for ApplyError {
    fn from(e: AppError) -> Self {
        ApplyError::Other(e)
    }
}

impl From<StoreError> for ApplyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(problems) => {
                ApplyError::Refused(problems.into_iter().map(|p| (p.field, p.message)).collect())
            }
            e => ApplyError::Other(e.into()),
        }
    }
}

/// Applies a framework file to every organisation, all-or-nothing, with the chosen transition: the previews are
/// made again here (nothing computed earlier is trusted), then written with the emails in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn apply_framework_for(
    store: &dyn Store,
    file_name: &str,
    text: &str,
    file: &FrameworkFile,
    choice: TransitionChoice,
    by: &Applier,
    public_url: &str,
    now: Timestamp,
    progress: impl FnMut(usize, usize),
) -> Result<(FrameworkPreview, Applied), ApplyError> {
    let orgs: Vec<Organisation> = store
        .list_orgs(&Scope::Platform)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|s| s.org)
        .collect();
    let preview =
        preview_framework_for(store, &Scope::Platform, &orgs, file, choice, now, progress)
            .await?
            .map_err(|(f, m)| ApplyError::Refused(vec![(f.to_owned(), m)]))?;
    if preview.already_loaded {
        return Err(ApplyError::Refused(vec![(
            "version".into(),
            format!(
                "{} {} is already loaded: a framework version is applied once; a correction is a new version",
                file.framework.code, file.framework.version
            ),
        )]));
    }
    let mut changes = Vec::new();
    for p in &preview.organisations {
        let org = p.org.as_ref().expect("a preview knows its organisation");
        changes.push(NewChange {
            org: org.id,
            kind: AppliedKind::Framework,
            framework: file.framework.code.clone(),
            framework_version: file.framework.version.clone(),
            subject: None,
            level: None,
            effective_from: file.framework.effective_from,
            transition_ends: p.transition_ends,
            applied_by: by.account,
            applied_by_name: by.name.clone(),
            summary: serde_json::to_string(&p.summary).map_err(|e| AppError::Internal(e.into()))?,
            versions: p.versions.clone(),
            mail: notifications(store, p, public_url).await?,
        });
    }
    let ids = store
        .apply_framework(file_name, text, file, &changes, now)
        .await?;
    let applied = Applied {
        framework: file.framework.code.clone(),
        version: file.framework.version.clone(),
        organisations: preview
            .organisations
            .iter()
            .zip(&changes)
            .zip(ids)
            .map(|((p, c), id)| AppliedOrg {
                ods_code: p.ods_code.clone(),
                change_id: id,
                transition_ends: p.transition_ends,
                affected_people: p.affected.len(),
                emails: c.mail.len(),
            })
            .collect(),
    };
    Ok((preview, applied))
}

/// The caller applies a framework file (platform admins only: it reaches every organisation).
pub async fn apply_framework(
    state: &AppState,
    caller: &Caller,
    file_name: &str,
    text: &str,
    choice: TransitionChoice,
) -> Result<Applied, ApplyError> {
    caller.require(Action::ApplyFramework)?;
    let file = parse(file_name, text)?;
    let by = Applier {
        account: Some(caller.account.id),
        name: caller.account.display_name.clone(),
    };
    let (_, applied) = apply_framework_for(
        state.store.as_ref(),
        file_name,
        text,
        &file,
        choice,
        &by,
        &state.auth.public_url,
        crate::when::now(),
        |_, _| {},
    )
    .await?;
    state.auth.mail_queue.wake();
    tracing::info!(framework = %applied.framework, version = %applied.version, orgs = applied.organisations.len(), "framework applied");
    Ok(applied)
}

/// Writes one new rule version as a regulatory change of its organisation: the version, its record and the emails
/// to the people its preview found it makes due, in one transaction.
pub async fn apply_rule_version(
    state: &AppState,
    caller: &Caller,
    org: &Organisation,
    rule: &Rule,
    preview: OrgPreview,
) -> Result<(), StoreError> {
    let mail = notifications(state.store.as_ref(), &preview, &state.auth.public_url)
        .await
        .map_err(|e| StoreError::Corrupt {
            column: "notifications",
            message: e.message(),
        })?;
    let change = NewChange {
        org: org.id,
        kind: AppliedKind::RuleVersion,
        framework: rule.framework.clone(),
        framework_version: rule.framework_version.clone(),
        subject: Some(rule.subject.clone()),
        level: Some(rule.level),
        effective_from: rule.effective_from,
        transition_ends: rule.transition_ends,
        applied_by: Some(caller.account.id),
        applied_by_name: caller.account.display_name.clone(),
        summary: serde_json::to_string(&preview.summary).unwrap_or_default(),
        versions: vec![rule.clone()],
        mail,
    };
    state
        .store
        .apply_rule_change(&change, crate::when::now())
        .await?;
    state.auth.mail_queue.wake();
    Ok(())
}

/// A change on the changes page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub id: i64,
    /// "framework" or "rule_version".
    pub kind: String,
    pub title: String,
    pub framework: String,
    pub framework_version: String,
    pub effective_from: NaiveDate,
    /// The transition's last day, if there is one.
    pub due_by: Option<NaiveDate>,
    pub applied_by: String,
    pub applied_at: String,
    pub emails: i64,
    pub summary: Option<ChangeSummary>,
}

impl From<AppliedChange> for ChangeView {
    fn from(c: AppliedChange) -> Self {
        let summary: Option<ChangeSummary> = serde_json::from_str(&c.summary).ok();
        ChangeView {
            id: c.id,
            kind: c.kind.code().to_owned(),
            title: summary.as_ref().map_or_else(
                || format!("{} {}", c.framework, c.framework_version),
                |s| s.title.clone(),
            ),
            framework: c.framework,
            framework_version: c.framework_version,
            effective_from: c.effective_from,
            due_by: c.transition_ends.map(|e| e - chrono::Days::new(1)),
            applied_by: c.applied_by,
            applied_at: c.applied_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            emails: c.emails,
            summary,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChangesView {
    pub ods_code: String,
    pub name: String,
    pub changes: Vec<ChangeView>,
}

/// The organisation's changes, newest first (its admins and auditors).
pub async fn changes(
    state: &AppState,
    caller: &Caller,
    ods: &str,
) -> Result<ChangesView, AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::ViewChanges(org.id))?;
    let changes = state.store.applied_changes(org.id).await?;
    Ok(ChangesView {
        ods_code: org.ods_code.to_string(),
        name: org.name,
        changes: changes.into_iter().map(ChangeView::from).collect(),
    })
}

/// One change of the organisation.
pub async fn change_detail(
    state: &AppState,
    caller: &Caller,
    ods: &str,
    id: i64,
) -> Result<(Organisation, ChangeView), AppError> {
    let scope = caller.scope();
    let org = state.store.org_by_code(&scope, ods).await?;
    caller.require(Action::ViewChanges(org.id))?;
    let change = state.store.applied_change(org.id, id).await?;
    Ok((org, change.into()))
}
