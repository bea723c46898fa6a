//! The demo world: a deterministic (seeded), realistic synthetic London workforce.
//!
//! - London NHS trusts with their ODS codes (from the NHS Organisation Data Service), plus a private hospital, a medical
//!   school and a research institute (local codes, since they have no NHS trust code).
//! - An ESR-like staff-group mix, specialties, bands and a directorate > department > ward/team hierarchy.
//! - Doctors in training rotating between trusts, leavers and new starters.
//! - Training histories over the last six years, renewed on time by most people, late or never by some, with
//!   per-ward diligence so that overdue hot spots appear: realistic compliance today is roughly 80-95%.
//!
//! Written in batches through the same store path as imports, with a progress bar; it scales to NHS England's 1.5
//! million staff.

use indicatif::{ProgressBar, ProgressStyle};
use lantern_domain::framework::FrameworkFile;
use lantern_domain::*;
use lantern_store::*;
use person::make_person;
use workforce::DIRECTORATES;

pub mod courses;
pub mod packages;
mod person;
mod workforce;

/// One organisation of the demo world (`organisations.toml`).
#[derive(serde::Deserialize)]
struct DemoOrg {
    ods: String,
    name: String,
    #[serde(rename = "type")]
    org_type: String,
    weight: u32,
}

/// The demo world's organisations, from the data file compiled into the binary.
fn demo_orgs() -> Vec<(String, String, OrgType, u32)> {
    #[derive(serde::Deserialize)]
    struct File {
        organisation: Vec<DemoOrg>,
    }
    let file: File =
        toml::from_str(include_str!("organisations.toml")).expect("organisations.toml parses");
    file.organisation
        .into_iter()
        .map(|o| {
            let t = OrgType::parse(&o.org_type)
                .unwrap_or_else(|| panic!("{}: unknown type {:?}", o.ods, o.org_type));
            (o.ods, o.name, t, o.weight)
        })
        .collect()
}

pub(super) struct UnitPlan {
    pub code: String,
    pub specialty: &'static str,
    pub corporate: bool,
    /// How reliably people here renew on time (per-ward culture: hot spots come from low values).
    pub diligence: f64,
}

pub(super) struct OrgPlan {
    pub ods: String,
    pub wards: Vec<UnitPlan>,
}

/// The framework of the competencies simulations record (`frameworks/clinical-simulation-2026.toml`).
const SIMULATION_FRAMEWORK: &str = "clinical-simulation";

/// Generates the demo world into `store`. Returns a one-paragraph summary.
pub async fn generate(
    store: &dyn Store,
    staff: usize,
    seed: u64,
    today: Date,
    progress: bool,
) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed);
    let frameworks = store.frameworks().await?;

    // Organisations and their unit trees.
    let orgs = demo_orgs();
    let total_weight: u32 = orgs.iter().map(|o| o.3).sum();
    let mut structure = WriteBatch::default();
    let mut plans = Vec::new();
    for (ods, name, org_type, weight) in &orgs {
        structure.orgs.push(OrgRow {
            ods_code: ods.clone(),
            name: name.clone(),
            org_type: *org_type,
            target_percent: if matches!(org_type, OrgType::NhsTrust) {
                90.0
            } else {
                85.0
            },
        });
        let org_staff = (staff as f64 * f64::from(*weight) / f64::from(total_weight)).max(8.0);
        // About 30 people a ward or team.
        let wards_wanted = ((org_staff / 30.0).ceil() as usize).max(2);
        let mut wards = Vec::new();
        let dirs: Vec<_> = match org_type {
            OrgType::NhsTrust | OrgType::PrivateHospital => DIRECTORATES.iter().collect(),
            _ => vec![&DIRECTORATES[5], &DIRECTORATES[6]],
        };
        let departments: usize = dirs.iter().map(|d| d.1.len()).sum();
        let per_department = wards_wanted.div_ceil(departments).max(1);
        structure.sites.push(SiteRow {
            org: (*ods).to_owned(),
            code: "MAIN".into(),
            name: format!("{name} main site"),
        });
        for (di, (dir, depts)) in dirs.iter().enumerate() {
            let dcode = format!("D{}", di + 1);
            structure.units.push(UnitRow {
                line: 0,
                org: ods.clone(),
                code: dcode.clone(),
                name: (*dir).into(),
                kind: UnitKind::Directorate,
                parent: None,
                site: Some("MAIN".into()),
            });
            for (pi, dept) in depts.iter().enumerate() {
                let pcode = format!("{dcode}-{}", pi + 1);
                structure.units.push(UnitRow {
                    line: 0,
                    org: ods.clone(),
                    code: pcode.clone(),
                    name: (*dept).into(),
                    kind: UnitKind::Department,
                    parent: Some(dcode.clone()),
                    site: Some("MAIN".into()),
                });
                let corporate = *dir == "Corporate Services";
                for wi in 0..per_department {
                    let wcode = format!("{pcode}-{}", wi + 1);
                    let (kind, label) = if corporate || *dir == "Clinical Support Services" {
                        (UnitKind::Team, "Team")
                    } else {
                        (UnitKind::Ward, "Ward")
                    };
                    let wname = format!("{dept} {label} {}", ward_name(&mut rng, wi));
                    structure.units.push(UnitRow {
                        line: 0,
                        org: ods.clone(),
                        code: wcode.clone(),
                        name: wname,
                        kind,
                        parent: Some(pcode.clone()),
                        site: Some("MAIN".into()),
                    });
                    // Most wards are diligent; about one in eight is a hot spot.
                    let diligence = if rng.u32(0..8) == 0 {
                        0.55 + rng.f64() * 0.2
                    } else {
                        0.86 + rng.f64() * 0.13
                    };
                    wards.push(UnitPlan {
                        code: wcode,
                        specialty: dept,
                        corporate,
                        diligence,
                    });
                }
            }
        }
        plans.push((
            OrgPlan {
                ods: ods.clone(),
                wards,
            },
            org_staff as usize,
        ));
    }
    store.write(&structure).await?;

    let bar = if progress {
        ProgressBar::new(staff as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {pos}/{len} staff ({per_sec}, {eta} left)",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("generating");

    // Training histories for every framework's rules, except the competencies simulations record: those come from
    // passing a simulation in Lantern, which no one in the demo world has done yet.
    let rule_templates: Vec<(&FrameworkFile, &lantern_domain::framework::RuleTemplate)> =
        frameworks
            .iter()
            .filter(|f| f.framework.code != SIMULATION_FRAMEWORK)
            .flat_map(|f| f.rules.iter().map(move |r| (f, r)))
            .collect();
    let weights: Vec<usize> = plans.iter().map(|(_, n)| *n).collect();
    let weight_total: usize = weights.iter().sum();
    let mut made = 0usize;
    let mut records = 0u64;
    const BATCH: usize = 2000;
    while made < staff {
        let n = BATCH.min(staff - made);
        let mut batch = WriteBatch::default();
        for i in 0..n {
            let index = made + i;
            let org_ix = pick_weighted(&mut rng, &weights, weight_total);
            let person = make_person(&mut rng, index, &plans, org_ix, today, &rule_templates);
            records += person.records.len() as u64;
            batch.people.push(person.row);
            batch.posts.extend(person.posts);
            batch.records.extend(person.records);
        }
        store.write(&batch).await?;
        made += n;
        bar.set_position(made as u64);
    }
    bar.finish_with_message("done");
    // The project's own courses, so a learner with a gap can close it here.
    courses::publish(store, chrono::Utc::now()).await?;
    // And the SCORM packages built from the project's own SCOs.
    packages::publish(store, chrono::Utc::now()).await?;
    store.refresh_statistics().await?;
    Ok(format!(
        "Demo world: {} organisations, {made} staff, {records} training records, as at {today}, seed {seed}, in {:.1} s.",
        orgs.len(),
        started.elapsed().as_secs_f64()
    ))
}

fn ward_name(rng: &mut fastrand::Rng, i: usize) -> String {
    const NAMES: &[&str] = &[
        "Nightingale",
        "Seacole",
        "Florence",
        "Victoria",
        "Albert",
        "Thames",
        "Riverside",
        "Cedar",
        "Oak",
        "Willow",
        "Lister",
        "Jenner",
        "Fleming",
        "Garrett",
        "Cavell",
        "Franklin",
    ];
    format!(
        "{} {}",
        NAMES[(i + rng.usize(0..NAMES.len())) % NAMES.len()],
        i + 1
    )
}

pub(super) fn pick_weighted(rng: &mut fastrand::Rng, weights: &[usize], total: usize) -> usize {
    let mut x = rng.usize(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}
