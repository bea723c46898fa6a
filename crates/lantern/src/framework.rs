//! `lantern framework load FILE.toml` and `lantern framework preview FILE.toml`: a new framework version is shown
//! per organisation first (rules added, removed and changed; people newly in scope by unit and staff group; records
//! that stop counting; compliance on the effective date with and without the transition), and applied only with
//! `--yes`, all-or-nothing, with the transition chosen and the notifications queued in the same transaction.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use lantern_domain::regulatory_change::RuleChange;
use lantern_store::Store;
use lantern_web::views::changes::{
    self, Applier, ApplyError, FrameworkPreview, OrgPreview, TransitionChoice,
};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// How `load` was asked to proceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Show the preview only.
    Preview,
    /// Show the preview and apply it.
    Apply,
}

/// The transition from the command line's flags (at most one of them).
pub fn choice(
    days: Option<u32>,
    until: Option<chrono::NaiveDate>,
    none: bool,
) -> anyhow::Result<TransitionChoice> {
    Ok(match (days, until, none) {
        (None, None, false) => TransitionChoice::Default,
        (Some(n), None, false) => {
            anyhow::ensure!(
                n <= changes::MAX_TRANSITION_DAYS,
                "--transition-days: at most {}",
                changes::MAX_TRANSITION_DAYS
            );
            TransitionChoice::Days(n)
        }
        (None, Some(d), false) => TransitionChoice::Until(d),
        (None, None, true) => TransitionChoice::None,
        _ => {
            anyhow::bail!("choose one of --transition-days, --transition-until and --no-transition")
        }
    })
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.1}%"))
}

fn change_line(out: &mut String, sign: &str, c: &RuleChange) {
    let _ = write!(out, "    {sign} {} (level {})", c.title, c.level);
    if let Some(k) = c.kind {
        let _ = write!(out, " [{}]", k.label());
    }
    out.push('\n');
    for f in &c.fields {
        let _ = writeln!(out, "        {}: {} -> {}", f.field, f.before, f.after);
    }
    if let Some(a) = c
        .after
        .as_ref()
        .or(c.before.as_ref())
        .filter(|_| c.fields.is_empty())
    {
        let _ = writeln!(
            out,
            "        {a}; {}",
            c.applies_to_after
                .as_ref()
                .or(c.applies_to_before.as_ref())
                .cloned()
                .unwrap_or_default()
        );
    }
}

/// One organisation's preview, as text.
pub fn render_org(p: &OrgPreview) -> String {
    let s = &p.summary;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", p.ods_code, p.name);
    let d = &s.diff;
    let _ = writeln!(
        out,
        "  Rules: {} added, {} removed, {} changed, {} unchanged",
        d.added.len(),
        d.removed.len(),
        d.changed.len(),
        d.unchanged.len()
    );
    for c in &d.added {
        change_line(&mut out, "+", c);
    }
    for c in &d.removed {
        change_line(&mut out, "-", c);
    }
    for c in &d.changed {
        change_line(&mut out, "~", c);
    }
    let _ = writeln!(
        out,
        "  People newly in scope: {} (of {} assessed)",
        s.newly_in_scope_people, s.people_assessed
    );
    for g in &s.newly_in_scope {
        let _ = writeln!(
            out,
            "    {} / {}: {} ({})",
            g.unit,
            g.staff_group,
            g.people,
            g.requirements.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "  Records that stop counting: {}",
        p.stopped_records.len()
    );
    for r in p.stopped_records.iter().take(20) {
        let _ = writeln!(
            out,
            "    {} {} - {} completed {}: {}",
            r.employee_number, r.person, r.requirement, r.completed_on, r.why
        );
    }
    if p.stopped_records.len() > 20 {
        let _ = writeln!(out, "    ... and {} more", p.stopped_records.len() - 20);
    }
    let transition = match s.due_by {
        Some(d) => format!("due by {d}"),
        None => "none".to_owned(),
    };
    let _ = writeln!(
        out,
        "  Transition: {transition} (default for this change: {} days)",
        p.default_transition_days
    );
    let _ = writeln!(
        out,
        "  Compliance on {}: now {}; with the change and no transition {}; with the transition {}",
        s.effective_from,
        percent(s.before_percent),
        percent(s.without_transition_percent),
        percent(s.with_transition_percent)
    );
    let _ = writeln!(
        out,
        "  People to notify: {} (and their managers)",
        p.affected.len()
    );
    out
}

/// The whole preview, as text.
pub fn render(p: &FrameworkPreview) -> String {
    let mut out = format!(
        "{} {} ({}), effective {}\nSource: {}\n",
        p.name, p.version, p.code, p.effective_from, p.source
    );
    if p.already_loaded {
        out.push_str("This version is already loaded: applying it again would be refused.\n");
    }
    for o in &p.organisations {
        out.push('\n');
        out.push_str(&render_org(o));
    }
    out
}

fn bar(n: usize) -> ProgressBar {
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} organisations").expect("template"),
    );
    bar.set_message("Previewing");
    bar
}

/// Previews `file` for every organisation and, with `Mode::Apply`, applies it.
pub async fn load(
    store: &dyn Store,
    file: &Path,
    mode: Mode,
    choice: TransitionChoice,
    public_url: &str,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let parsed = lantern_domain::framework::FrameworkFile::parse(&name, &text)?;
    let orgs: Vec<_> = store
        .list_orgs(&lantern_store::Scope::Platform)
        .await?
        .into_iter()
        .map(|s| s.org)
        .collect();
    let now = chrono::Utc::now();
    let progress = bar(orgs.len());
    let report = |i: usize, _n: usize| progress.set_position(i as u64);
    match mode {
        Mode::Preview => {
            let preview = changes::preview_framework_for(
                store,
                &lantern_store::Scope::Platform,
                &orgs,
                &parsed,
                choice,
                now,
                report,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            progress.finish_and_clear();
            match preview {
                Ok(p) => {
                    print!("{}", render(&p));
                    println!(
                        "\nNothing was applied. Apply with --yes (and a transition: the default, --transition-days N, --transition-until DATE or --no-transition)."
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err((field, message)) => {
                    eprintln!("{field}: {message}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Mode::Apply => {
            let by = Applier {
                account: None,
                name: "the command line".to_owned(),
            };
            let result = changes::apply_framework_for(
                store, &name, &text, &parsed, choice, &by, public_url, now, report,
            )
            .await;
            progress.finish_and_clear();
            match result {
                Ok((preview, applied)) => {
                    print!("{}", render(&preview));
                    let emails: usize = applied.organisations.iter().map(|o| o.emails).sum();
                    println!(
                        "\nApplied {} {} to {} organisations; {} emails queued.",
                        applied.framework,
                        applied.version,
                        applied.organisations.len(),
                        emails
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(ApplyError::Refused(problems)) => {
                    eprintln!("{name} was not applied; nothing was written:");
                    for (field, message) in problems {
                        eprintln!("  {field}: {message}");
                    }
                    Ok(ExitCode::FAILURE)
                }
                Err(ApplyError::Other(e)) => Err(anyhow::anyhow!("{}", e.message())),
            }
        }
    }
}
