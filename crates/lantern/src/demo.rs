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

use chrono::{Datelike, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use lantern_domain::dates::{add_days, add_months, sub_days};
use lantern_domain::framework::FrameworkFile;
use lantern_domain::*;
use lantern_store::*;

/// One organisation of the demo world (`demo_organisations.toml`).
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
    let file: File = toml::from_str(include_str!("demo_organisations.toml"))
        .expect("demo_organisations.toml parses");
    file.organisation
        .into_iter()
        .map(|o| {
            let t = OrgType::parse(&o.org_type)
                .unwrap_or_else(|| panic!("{}: unknown type {:?}", o.ods, o.org_type));
            (o.ods, o.name, t, o.weight)
        })
        .collect()
}

/// Directorates and their departments (specialties).
const DIRECTORATES: &[(&str, &[&str])] = &[
    (
        "Medicine",
        &[
            "Cardiology",
            "Neurology",
            "Respiratory medicine",
            "Infectious diseases",
            "Elderly care",
            "Renal",
        ],
    ),
    (
        "Surgery and Critical Care",
        &["General surgery", "Critical care", "Anaesthetics"],
    ),
    (
        "Cancer and Clinical Haematology",
        &["Oncology", "Haematology"],
    ),
    (
        "Women's and Children's",
        &["Paediatrics", "Obstetrics and gynaecology", "Neonatology"],
    ),
    ("Urgent and Emergency Care", &["Emergency medicine"]),
    (
        "Clinical Support Services",
        &["Radiology", "Pathology", "Pharmacy", "Therapies"],
    ),
    (
        "Corporate Services",
        &[
            "Finance",
            "Human resources",
            "Digital services",
            "Estates and facilities",
        ],
    ),
];

const GIVEN: &[&str] = &[
    "Amara", "Oliver", "Priya", "Kwame", "Sofia", "Mohammed", "Grace", "Daniel", "Aisha", "James",
    "Chloe", "Tunde", "Fatima", "Liam", "Mei", "Samuel", "Zainab", "Thomas", "Ananya", "Joseph",
    "Olivia", "Adebayo", "Hannah", "Ravi", "Emily", "Chinedu", "Isabella", "Arjun", "Ella",
    "Yusuf", "Niamh", "Kofi", "Maria", "Harry", "Leila", "Ibrahim", "Sarah", "Tomasz", "Ngozi",
    "Jack", "Ayesha", "Luca", "Esther", "Hassan", "Lucy", "Rohan", "Abena", "George",
];
const FAMILY: &[&str] = &[
    "Okafor", "Smith", "Patel", "Mensah", "Jones", "Khan", "Williams", "Adeyemi", "Brown", "Begum",
    "Taylor", "Nguyen", "Ali", "Wilson", "Osei", "Evans", "Hussain", "Kowalski", "Thomas", "Chen",
    "Roberts", "Ahmed", "Johnson", "Singh", "Walker", "Boateng", "Wright", "Rahman", "Green",
    "Mahmood", "Hughes", "Owusu", "Clarke", "Shah", "Edwards", "Campbell", "Murphy", "Nowak",
    "Rossi", "Ibrahim", "Kaur", "Hall", "Afolabi", "Lewis", "Das", "Scott", "Martin",
];

/// (staff group, share in percent, job roles, bands, patient-facing share in percent)
type GroupPlan = (
    StaffGroup,
    u32,
    &'static [&'static str],
    &'static [&'static str],
    u32,
);

const GROUPS: &[GroupPlan] = &[
    (
        StaffGroup::NursingMidwiferyRegistered,
        27,
        &[
            "Staff nurse",
            "Sister",
            "Charge nurse",
            "Clinical nurse specialist",
            "Midwife",
        ],
        &["5", "6", "7"],
        95,
    ),
    (
        StaffGroup::AdditionalClinicalServices,
        20,
        &[
            "Healthcare assistant",
            "Nursing associate",
            "Maternity support worker",
        ],
        &["2", "3", "4"],
        95,
    ),
    (
        StaffGroup::AdministrativeClerical,
        22,
        &[
            "Ward clerk",
            "Medical secretary",
            "Administrator",
            "Finance officer",
            "HR adviser",
            "Data analyst",
            "Clinical safety officer",
            "Chief information officer",
        ],
        &["2", "3", "4", "5", "6", "8a"],
        10,
    ),
    (
        StaffGroup::MedicalDental,
        10,
        &[
            "Consultant",
            "Specialty registrar",
            "Core trainee",
            "Foundation doctor",
            "Chief clinical information officer",
        ],
        &[],
        95,
    ),
    (
        StaffGroup::AlliedHealthProfessionals,
        8,
        &[
            "Physiotherapist",
            "Occupational therapist",
            "Radiographer",
            "Paramedic",
            "Dietitian",
            "Clinical educator",
        ],
        &["5", "6", "7"],
        90,
    ),
    (
        StaffGroup::AddProfScientificTechnical,
        6,
        &["Pharmacist", "Pharmacy technician", "Data scientist"],
        &["5", "6", "7", "8a"],
        50,
    ),
    (
        StaffGroup::EstatesAncillary,
        5,
        &[
            "Porter",
            "Domestic assistant",
            "Catering assistant",
            "Estates technician",
        ],
        &["1", "2", "3"],
        40,
    ),
    (
        StaffGroup::HealthcareScientists,
        2,
        &["Biomedical scientist", "Clinical scientist"],
        &["5", "6", "7"],
        20,
    ),
];

struct UnitPlan {
    code: String,
    specialty: &'static str,
    corporate: bool,
    /// How reliably people here renew on time (per-ward culture: hot spots come from low values).
    diligence: f64,
}

struct OrgPlan {
    ods: String,
    wards: Vec<UnitPlan>,
}

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

    let rule_templates: Vec<(&FrameworkFile, &lantern_domain::framework::RuleTemplate)> =
        frameworks
            .iter()
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

fn pick_weighted(rng: &mut fastrand::Rng, weights: &[usize], total: usize) -> usize {
    let mut x = rng.usize(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

struct MadePerson {
    row: PersonRow,
    posts: Vec<PostRow>,
    records: Vec<RecordRow>,
}

fn make_person(
    rng: &mut fastrand::Rng,
    index: usize,
    plans: &[(OrgPlan, usize)],
    org_ix: usize,
    today: Date,
    templates: &[(&FrameworkFile, &lantern_domain::framework::RuleTemplate)],
) -> MadePerson {
    // The same index gives the same number whatever the seed.
    let employee_number = format!("{:08}", 10_000_000 + index);
    let given = GIVEN[rng.usize(0..GIVEN.len())];
    let family = FAMILY[rng.usize(0..FAMILY.len())];
    let share: u32 = rng.u32(0..100);
    let mut acc = 0;
    let group = GROUPS
        .iter()
        .find(|g| {
            acc += g.1;
            share < acc
        })
        .unwrap_or(&GROUPS[2]);
    let (staff_group, _, roles, bands, pf_share) = *group;
    let job_role = roles[rng.usize(0..roles.len())];
    let band = if staff_group == StaffGroup::MedicalDental {
        None
    } else {
        Some(bands[rng.usize(0..bands.len())].to_owned())
    };
    let mut registrations = Vec::new();
    match staff_group {
        StaffGroup::NursingMidwiferyRegistered => registrations.push(Registration {
            body: RegulatoryBody::Nmc,
            number: format!(
                "{:02}{}{:04}",
                rng.u32(0..99),
                ['A', 'C', 'E', 'I'][rng.usize(0..4)],
                rng.u32(0..9999)
            ),
            renewal_date: Some(add_days(today, rng.u32(1..1095))),
        }),
        StaffGroup::MedicalDental => registrations.push(Registration {
            body: RegulatoryBody::Gmc,
            number: format!("{}", 7_000_000 + rng.u32(0..999_999)),
            renewal_date: Some(add_days(today, rng.u32(1..1825))),
        }),
        StaffGroup::AlliedHealthProfessionals => registrations.push(Registration {
            body: RegulatoryBody::Hcpc,
            number: format!("PH{:06}", rng.u32(0..999_999)),
            renewal_date: Some(add_days(today, rng.u32(1..730))),
        }),
        _ => {}
    }
    let email = format!(
        "{}.{}{}@nhs.example",
        given.to_lowercase(),
        family.to_lowercase(),
        index
    );

    // Posts: most people hold one long post; doctors in training rotate between trusts; some left; some just started.
    let (plan, _) = &plans[org_ix];
    let clinical_wards: Vec<&UnitPlan> = plan.wards.iter().filter(|w| !w.corporate).collect();
    let corporate_wards: Vec<&UnitPlan> = plan.wards.iter().filter(|w| w.corporate).collect();
    let pick_ward = |rng: &mut fastrand::Rng, plan: &OrgPlan| -> usize {
        let wards: Vec<usize> = plan
            .wards
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                w.corporate
                    == (staff_group == StaffGroup::AdministrativeClerical
                        && !["Ward clerk", "Medical secretary"].contains(&job_role))
            })
            .map(|(i, _)| i)
            .collect();
        if wards.is_empty() {
            rng.usize(0..plan.wards.len())
        } else {
            wards[rng.usize(0..wards.len())]
        }
    };
    let _ = (&clinical_wards, &corporate_wards);
    let patient_facing = rng.u32(0..100) < pf_share;
    let rotating = staff_group == StaffGroup::MedicalDental
        && ["Specialty registrar", "Core trainee", "Foundation doctor"].contains(&job_role)
        && rng.u32(0..100) < 70;
    let mut posts = Vec::new();
    let post_of =
        |org: &OrgPlan, ward: &UnitPlan, start: Date, end: Option<Date>, n: usize| PostRow {
            line: 0,
            employee_number: employee_number.clone(),
            org: org.ods.clone(),
            unit: ward.code.clone(),
            assignment_number: format!("{employee_number}-{n}"),
            staff_group,
            job_role: job_role.to_owned(),
            band: band.clone(),
            specialty: Some(ward.specialty.to_owned()),
            patient_facing,
            start,
            end,
        };
    let mut diligence;
    if rotating {
        // Rotations of 4, 6 or 12 months through up to four trusts, the latest one current.
        let mut start = sub_days(today, rng.u32(400..1800));
        let mut n = 1;
        let mut org_i = org_ix;
        loop {
            let months = [4, 6, 12][rng.usize(0..3)];
            let end = sub_days(add_months(start, months), 1);
            let p = &plans[org_i].0;
            let w = &p.wards[pick_ward(rng, p)];
            diligence = w.diligence;
            let current = end >= today;
            posts.push(post_of(p, w, start, (!current).then_some(end), n));
            if current {
                break;
            }
            start = add_days(end, 1);
            n += 1;
            // Rotate among NHS trusts.
            org_i = rng.usize(0..19.min(plans.len()));
        }
    } else {
        let w = &plan.wards[pick_ward(rng, plan)];
        diligence = w.diligence;
        let roll = rng.u32(0..100);
        let start = if roll < 3 {
            sub_days(today, rng.u32(0..45)) // new starter
        } else {
            sub_days(today, rng.u32(60..365 * 15))
        };
        let end = (3..10)
            .contains(&roll)
            .then(|| sub_days(today, rng.u32(1..700)))
            .filter(|e| *e > start);
        posts.push(post_of(plan, w, start, end, 1));
    }

    // Training: for every rule template that applies to the post, completions over time.
    let first_start = posts.iter().map(|p| p.start).min().unwrap_or(today);
    let history_from = sub_days(today, 365 * 6);
    let probe = Post {
        id: PostId(0),
        person_id: PersonId(0),
        org_id: OrgId(0),
        unit_id: UnitId(0),
        assignment_number: String::new(),
        staff_group,
        job_role: job_role.to_owned(),
        band: band.clone(),
        specialty: posts.last().and_then(|p| p.specialty.clone()),
        patient_facing,
        start: first_start,
        end: None,
        recorded_at: chrono::Utc::now(),
    };
    let mut records = Vec::new();
    let home = posts.last().map(|p| p.org.clone()).unwrap_or_default();
    // Highest applicable level per subject.
    let mut wanted: std::collections::BTreeMap<
        &str,
        (&FrameworkFile, &lantern_domain::framework::RuleTemplate),
    > = std::collections::BTreeMap::new();
    for (f, t) in templates {
        if Applicability(t.applies_to.clone()).matches(&probe) {
            let keep = wanted
                .get(t.subject.as_str())
                .is_none_or(|(_, cur)| cur.level < t.level);
            if keep {
                wanted.insert(t.subject.as_str(), (f, t));
            }
        }
    }
    for (subject, (file, t)) in wanted {
        let effective = file.framework.effective_from;
        let begin = first_start.max(history_from).max(sub_days(effective, 400));
        // A personal streak: some people are always late, a few never do a subject.
        let person_diligence = (diligence + (rng.f64() - 0.5) * 0.1).clamp(0.3, 0.995);
        if rng.f64() > person_diligence + 0.08 && rng.u32(0..3) == 0 {
            continue; // never done
        }
        let mut when = add_days(begin, rng.u32(0..40));
        let (period, hours_each) = match t.kind() {
            Ok(RuleKind::Completion { refresher_months }) => (refresher_months, None),
            Ok(RuleKind::Hours {
                hours,
                window_months,
                ..
            }) => ((window_months / 3).max(6), Some((hours / 3.0).max(1.0))),
            Err(_) => continue,
        };
        while when <= today {
            let (provider, provider_type, provider_org, source) =
                provider_for(rng, subject, t.level, &home);
            let hours = hours_each.map(|h| (h + f64::from(rng.u32(0..3))).round());
            let evidence = format!(
                "DEMO-{}-{}",
                subject.rsplit('.').next().unwrap_or(subject),
                when.num_days_from_ce()
            );
            records.push(RecordRow {
                line: 0,
                employee_number: employee_number.clone(),
                subject: subject.to_owned(),
                level: t.level,
                completed_on: when,
                hours,
                provider,
                provider_type,
                provider_org,
                source,
                evidence_ref: Some(evidence),
                recorded_at: Some(recorded_at(rng, when, today)),
            });
            // Renew on time (inside the warning window) with probability diligence; otherwise late.
            let due = add_months(when, period);
            when = if rng.f64() < person_diligence {
                sub_days(due, rng.u32(1..50))
            } else {
                add_days(due, rng.u32(10..240))
            };
        }
    }
    MadePerson {
        row: PersonRow {
            line: 0,
            employee_number: employee_number.clone(),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            email: Some(email),
            registrations,
        },
        posts,
        records,
    }
}

fn provider_for(
    rng: &mut fastrand::Rng,
    subject: &str,
    level: u8,
    home: &str,
) -> (String, ProviderType, Option<String>, RecordSource) {
    if subject == "cstf.resuscitation" && level == 3 {
        return (
            "Resuscitation Council UK (ALS)".into(),
            ProviderType::ResuscitationCouncil,
            None,
            RecordSource::Classroom,
        );
    }
    if (subject == "cstf.resuscitation" && level >= 2)
        || (subject == "cstf.moving_handling" && level == 2)
    {
        return (
            format!("{home} clinical skills team"),
            ProviderType::NhsTrust,
            Some(home.to_owned()),
            RecordSource::Classroom,
        );
    }
    // A few people bring certificates from commercial providers, which NHS acceptance policies do not accept.
    if rng.u32(0..60) == 0 {
        return (
            "MediTrain Ltd".into(),
            ProviderType::Commercial,
            None,
            RecordSource::Import,
        );
    }
    // Safeguarding at level 3 and above is learnt with others (the national figures ask for about half
    // participatory): the demo trusts teach it face to face. (After the draw above, so the demo's random stream,
    // and the world every test builds from it, stays the same.)
    if subject.starts_with("cstf.safeguarding") && level >= 3 {
        return (
            format!("{home} safeguarding team"),
            ProviderType::NhsTrust,
            Some(home.to_owned()),
            RecordSource::Classroom,
        );
    }
    (
        "NHS England e-Learning for Healthcare".into(),
        ProviderType::NationalElearning,
        None,
        RecordSource::Elearning,
    )
}

fn recorded_at(rng: &mut fastrand::Rng, completed: NaiveDate, today: Date) -> Timestamp {
    let day = add_days(completed, rng.u32(0..8)).min(today);
    // Never after the moment the world is made: a record cannot have been recorded after it was imported.
    day.and_hms_opt(9 + rng.u32(0..9), rng.u32(0..60), 0)
        .expect("valid time")
        .and_utc()
        .min(chrono::Utc::now())
}
