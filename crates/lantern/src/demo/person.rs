//! One person of the demo world: their posts (with rotations, leavers and new starters) and a training history
//! renewed on time by most, late or never by some.

use super::workforce::{FAMILY, GIVEN, GROUPS};
use super::{OrgPlan, UnitPlan};
use chrono::{Datelike, NaiveDate};
use lantern_domain::dates::{add_days, add_months, sub_days};
use lantern_domain::framework::FrameworkFile;
use lantern_domain::*;
use lantern_store::*;

pub(super) struct MadePerson {
    pub row: PersonRow,
    pub posts: Vec<PostRow>,
    pub records: Vec<RecordRow>,
}

pub(super) fn make_person(
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
                subject: t.subject.clone(),
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
