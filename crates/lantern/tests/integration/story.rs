//! The storage story: one walk through the whole store API, on every backend.

use crate::{backends, d};
use lantern_domain::engine::{OrgEngine, PersonFacts};
use lantern_domain::rollup::Node;
use lantern_domain::*;
use lantern_store::read_model::ReadModel;
use lantern_store::*;

fn world() -> WriteBatch {
    let mut b = WriteBatch::default();
    for (ods, name) in [
        ("RJ1", "Guy's and St Thomas'"),
        ("RJZ", "King's College Hospital"),
    ] {
        b.orgs.push(OrgRow {
            ods_code: ods.into(),
            name: name.into(),
            org_type: OrgType::NhsTrust,
            target_percent: 90.0,
        });
        b.units.push(UnitRow {
            line: 1,
            org: ods.into(),
            code: "MED".into(),
            name: "Medicine".into(),
            kind: UnitKind::Directorate,
            parent: None,
            site: None,
        });
        b.units.push(UnitRow {
            line: 2,
            org: ods.into(),
            code: "W1".into(),
            name: "Ward 1".into(),
            kind: UnitKind::Ward,
            parent: Some("MED".into()),
            site: None,
        });
        b.units.push(UnitRow {
            line: 3,
            org: ods.into(),
            code: "W2".into(),
            name: "Ward 2".into(),
            kind: UnitKind::Ward,
            parent: Some("MED".into()),
            site: None,
        });
    }
    for (n, given) in [("E1", "Ada"), ("E2", "Ben"), ("E3", "Cal")] {
        b.people.push(PersonRow {
            line: 1,
            employee_number: n.into(),
            given_name: given.into(),
            family_name: "Test".into(),
            email: None,
            registrations: vec![],
        });
    }
    let post =
        |emp: &str, org: &str, unit: &str, asg: &str, start: &str, end: Option<&str>| PostRow {
            line: 1,
            employee_number: emp.into(),
            org: org.into(),
            unit: unit.into(),
            assignment_number: asg.into(),
            staff_group: StaffGroup::NursingMidwiferyRegistered,
            job_role: "Staff nurse".into(),
            band: Some("5".into()),
            specialty: Some("Cardiology".into()),
            patient_facing: true,
            start: d(start),
            end: end.map(d),
        };
    b.posts
        .push(post("E1", "RJ1", "W1", "A1", "2020-01-01", None));
    // E2 works on two wards of one directorate: counted once at the directorate.
    b.posts
        .push(post("E2", "RJ1", "W1", "A2", "2020-01-01", None));
    b.posts
        .push(post("E2", "RJ1", "W2", "A3", "2020-01-01", None));
    // E3 rotated from King's to Guy's: records follow the person.
    b.posts.push(post(
        "E3",
        "RJZ",
        "W1",
        "A4",
        "2022-01-01",
        Some("2024-12-31"),
    ));
    b.posts
        .push(post("E3", "RJ1", "W2", "A5", "2025-01-01", None));
    let rec = |emp: &str, done: &str, ptype: ProviderType| RecordRow {
        line: 1,
        employee_number: emp.into(),
        subject: Subject::from_static("cstf.fire_safety"),
        level: 1,
        completed_on: d(done),
        hours: None,
        provider: "e-LfH".into(),
        provider_type: ptype,
        provider_org: None,
        source: RecordSource::Elearning,
        evidence_ref: None,
        recorded_at: None,
    };
    b.records
        .push(rec("E1", "2025-06-01", ProviderType::NationalElearning));
    b.records
        .push(rec("E2", "2025-06-01", ProviderType::Commercial)); // not accepted
    b.records
        .push(rec("E3", "2024-09-01", ProviderType::NationalElearning)); // done at King's
    b
}

#[tokio::test]
async fn storage_story_on_every_backend() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        let first = store
            .write(&world())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(first.orgs_created, 2, "{name}");
        assert_eq!(first.people_created, 3, "{name}");
        assert_eq!(first.records_created, 3, "{name}");
        assert!(
            first.rules_created > 20,
            "{name}: new organisations get rules from every framework"
        );

        // Writing the same batch again changes nothing.
        let again = store.write(&world()).await.expect("rewrite");
        assert!(!again.changed_anything(), "{name}: {again:?}");
        assert_eq!(again.records_already_present, 3, "{name}");

        let orgs = store.list_orgs(&Scope::Platform).await.expect("orgs");
        assert_eq!(
            orgs.iter()
                .map(|o| o.org.ods_code.as_str())
                .collect::<Vec<_>>(),
            ["RJ1", "RJZ"],
            "{name}"
        );
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let rjz = store
            .org_by_code(&Scope::Platform, "RJZ")
            .await
            .expect("RJZ");
        assert_eq!(orgs[0].people, 3, "{name}");

        // Scope: King's admins cannot see Guy's, and cannot tell whether it exists.
        let kings = Scope::org(rjz.id);
        assert!(
            matches!(
                store.org_by_code(&kings, "RJ1").await,
                Err(StoreError::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                store.people(&kings, rj1.id, &PeopleFilter::All).await,
                Err(StoreError::NotFound)
            ),
            "{name}"
        );
        assert_eq!(
            store.list_orgs(&kings).await.expect("orgs").len(),
            1,
            "{name}"
        );

        // A ward manager sees only their ward's people.
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("context");
        let w2 = ctx.units.iter().find(|u| u.code == "W2").expect("W2").id;
        let ward2 = store
            .people(&Scope::units(rj1.id, vec![w2]), rj1.id, &PeopleFilter::All)
            .await
            .expect("ward");
        let mut names: Vec<_> = ward2
            .iter()
            .map(|p| p.person.employee_number.clone())
            .collect();
        names.sort();
        assert_eq!(names, ["E2", "E3"], "{name}");

        // Explained compliance: E3's King's record counts at Guy's; E2's commercial record does not.
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let engine = OrgEngine::new(rj1.id, &ctx.rules, &ctx.policies, None);
        let on = d("2025-08-01");
        let status = |emp: &str| {
            let p = people
                .iter()
                .find(|p| p.person.employee_number == emp)
                .expect("person");
            let e = engine.person(PersonFacts {
                posts: &p.posts,
                records: &p.records,
                exemptions: &p.exemptions,
            });
            e.explain_at(on)
                .into_iter()
                .find(|s| s.subject == "cstf.fire_safety")
                .expect("fire safety applies")
        };
        assert_eq!(status("E1").status, Status::Compliant, "{name}");
        assert_eq!(
            status("E3").status,
            Status::Compliant,
            "{name}: training follows the person"
        );
        let e2 = status("E2");
        assert_eq!(e2.status, Status::Missing, "{name}");
        assert_eq!(
            e2.explanation.not_counted[0].reason,
            lantern_domain::engine::NotCountedReason::ProviderNotAccepted
        );

        // The roll-up agrees, counts E2 once at the directorate, and changes when data does.
        let model = ReadModel::new();
        let fire = RequirementKey {
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
        };
        let r = model
            .rollup(store, &Scope::Platform, rj1.id, None)
            .await
            .expect("rollup");
        let med = ctx.units.iter().find(|u| u.code == "MED").expect("MED").id;
        let c = r.index.counts(Node::Unit(med), &fire, on);
        assert_eq!(
            (c.compliant, c.missing, c.applicable()),
            (2, 1, 3),
            "{name}: {c:?}"
        );
        assert_eq!(
            r.index
                .counts(Node::Org, &fire, on)
                .percent()
                .map(|p| p.round()),
            Some(67.0),
            "{name}"
        );
        let between = chrono::Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let mut fix = WriteBatch::default();
        fix.records.push(RecordRow {
            provider_type: ProviderType::NationalElearning,
            completed_on: d("2025-07-01"),
            ..world().records[1].clone()
        });
        store.write(&fix).await.expect("new record");
        let r2 = model
            .rollup(store, &Scope::Platform, rj1.id, None)
            .await
            .expect("rollup");
        assert!(
            r2.version > r.version,
            "{name}: a new record bumps the data version"
        );
        assert_eq!(r2.index.counts(Node::Org, &fire, on).compliant, 3, "{name}");
        // As at a date before the new record, nothing changed.
        assert_eq!(
            r2.index.counts(Node::Org, &fire, d("2025-06-15")).compliant,
            2,
            "{name}"
        );
        // known_at before the new record was written shows what Lantern showed then.
        let then = model
            .rollup(store, &Scope::Platform, rj1.id, Some(between))
            .await
            .expect("known_at");
        assert_eq!(
            then.index.counts(Node::Org, &fire, on).compliant,
            2,
            "{name}: the correction was not known then"
        );
    }
}

#[tokio::test]
async fn a_bad_batch_writes_nothing_and_names_every_row() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        store.write(&world()).await.expect("world");
        let before = store.table_counts().await.expect("counts");
        let mut bad = world();
        bad.people.push(PersonRow {
            line: 7,
            employee_number: "E9".into(),
            given_name: "New".into(),
            family_name: "Person".into(),
            email: None,
            registrations: vec![],
        });
        bad.posts[0].unit = "NOPE".into();
        bad.posts[0].line = 4;
        bad.records[0].employee_number = "E404".into();
        bad.records[0].line = 9;
        bad.records[1].subject = Subject::from_static("cstf.juggling");
        bad.records[1].line = 10;
        let Err(StoreError::Rejected(problems)) = store.write(&bad).await else {
            panic!("{name}: batch accepted")
        };
        let lines: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            lines,
            [(4, "unit_code"), (9, "employee_number"), (10, "subject")],
            "{name}: {problems:?}"
        );
        assert_eq!(
            store.table_counts().await.expect("counts"),
            before,
            "{name}: nothing was written"
        );
    }
}

#[tokio::test]
async fn rule_versions_never_edit_history() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        store.write(&world()).await.expect("world");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let fire = ctx
            .rules
            .iter()
            .find(|r| r.subject == "cstf.fire_safety")
            .expect("fire rule")
            .clone();
        // Backdating before the current version's start is refused.
        let mut early = fire.clone();
        early.effective_from = d("2020-01-01");
        let batch = WriteBatch {
            rules: vec![RuleRow {
                org: "RJ1".into(),
                rule: early,
            }],
            ..Default::default()
        };
        assert!(
            matches!(store.write(&batch).await, Err(StoreError::Rejected(_))),
            "{name}"
        );
        // A yearly refresher from 2026-04-01 closes the old version there.
        let mut yearly = fire.clone();
        yearly.effective_from = d("2026-04-01");
        yearly.kind = RuleKind::Completion {
            refresher_months: 12,
        };
        let batch = WriteBatch {
            rules: vec![RuleRow {
                org: "RJ1".into(),
                rule: yearly,
            }],
            ..Default::default()
        };
        store.write(&batch).await.expect("new version");
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let versions: Vec<_> = ctx
            .rules
            .iter()
            .filter(|r| r.subject == "cstf.fire_safety")
            .collect();
        assert_eq!(versions.len(), 2, "{name}");
        assert_eq!(versions[0].effective_to, Some(d("2026-04-01")), "{name}");
        assert_eq!(
            versions[0].kind,
            RuleKind::Completion {
                refresher_months: 24
            },
            "{name}: history unchanged"
        );
        // E1 completed 2025-06-01: in date under the 2-year rule, expired under the yearly one.
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let e1 = people
            .iter()
            .find(|p| p.person.employee_number == "E1")
            .expect("E1");
        let engine = OrgEngine::new(rj1.id, &ctx.rules, &ctx.policies, None);
        let pe = engine.person(PersonFacts {
            posts: &e1.posts,
            records: &e1.records,
            exemptions: &e1.exemptions,
        });
        assert_eq!(
            pe.status_at("cstf.fire_safety", d("2026-03-01"))
                .map(|s| s.1),
            Some(Status::Compliant),
            "{name}"
        );
        assert_eq!(
            pe.status_at("cstf.fire_safety", d("2026-07-01"))
                .map(|s| s.1),
            Some(Status::Expired),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_demo_world_is_deterministic_and_realistic() {
    let mut figures = Vec::new();
    for (name, store, _dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 600, 42, d("2026-11-23"), false)
            .await
            .expect("demo");
        let counts = store.table_counts().await.expect("counts");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1 exists");
        let model = ReadModel::new();
        let r = model
            .rollup(store.as_ref(), &Scope::Platform, rj1.id, None)
            .await
            .expect("rollup");
        let mut total = lantern_domain::rollup::Counts::default();
        for (_, c) in r.index.node(Node::Org, d("2026-11-23")) {
            total.merge(&c);
        }
        let today = total.percent().expect("people counted");
        assert!(
            (75.0..=97.0).contains(&today),
            "{name}: compliance today {today:.1}% is not realistic"
        );
        let mut past = lantern_domain::rollup::Counts::default();
        for (_, c) in r.index.node(Node::Org, d("2023-06-30")) {
            past.merge(&c);
        }
        assert_ne!(past, total, "{name}: the past must give a different answer");
        figures.push((counts, total));
    }
    if figures.len() == 2 {
        assert_eq!(
            figures[0], figures[1],
            "the same seed gives the same world on both backends"
        );
    }
}

/// After writes that touch a few people, the read model re-assesses only them (the change log names exactly them)
/// and ends up with the same counts as a rebuild from scratch; a rule change touches everyone.
#[tokio::test]
async fn incremental_rollups_equal_a_rebuild() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        lantern::demo::generate(store, 300, 7, d("2026-11-23"), false)
            .await
            .expect("demo");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let model = ReadModel::new();
        let before = model
            .rollup(store, &Scope::Platform, rj1.id, None)
            .await
            .expect("rollup");
        let people = store
            .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
            .await
            .expect("people");
        let current: Vec<_> = people
            .iter()
            .filter(|p| p.posts.iter().any(|x| x.end.is_none()))
            .take(3)
            .collect();
        let (a, b, c) = (current[0], current[1], current[2]);

        let mut batch = WriteBatch::default();
        // A: completes fire safety today. B: their post ends. C: exempted from moving and handling.
        batch.records.push(RecordRow {
            line: 1,
            employee_number: a.person.employee_number.clone(),
            subject: Subject::from_static("cstf.fire_safety"),
            level: 1,
            completed_on: d("2026-11-20"),
            hours: None,
            provider: "e-Learning for Healthcare".into(),
            provider_type: ProviderType::NationalElearning,
            provider_org: None,
            source: RecordSource::Elearning,
            evidence_ref: None,
            recorded_at: None,
        });
        let post = b
            .posts
            .iter()
            .find(|x| x.end.is_none())
            .expect("a current post");
        let unit_code = before
            .context
            .units
            .iter()
            .find(|u| u.id == post.unit_id)
            .expect("unit")
            .code
            .clone();
        batch.posts.push(PostRow {
            line: 1,
            employee_number: b.person.employee_number.clone(),
            org: "RJ1".into(),
            unit: unit_code,
            assignment_number: post.assignment_number.clone(),
            staff_group: post.staff_group,
            job_role: post.job_role.clone(),
            band: post.band.clone(),
            specialty: post.specialty.clone(),
            patient_facing: post.patient_facing,
            start: post.start,
            end: Some(d("2026-10-31")),
        });
        batch.exemptions.push(ExemptionRow {
            line: 1,
            employee_number: c.person.employee_number.clone(),
            org: "RJ1".into(),
            subject: Subject::from_static("cstf.moving_handling"),
            reason: "Phased return from injury".into(),
            from: d("2026-11-01"),
            until: Some(d("2027-02-28")),
        });
        store.write(&batch).await.expect("write");

        let version = store.org_data_version(rj1.id).await.expect("version");
        let mut named = match store
            .changes_since(rj1.id, before.version, version)
            .await
            .expect("changes")
        {
            Changes::People(ids) => ids,
            Changes::Everyone => panic!("{name}: only three people changed"),
        };
        named.sort();
        let mut expected = vec![a.person.id, b.person.id, c.person.id];
        expected.sort();
        assert_eq!(
            named, expected,
            "{name}: the change log names exactly who changed"
        );

        let after = model
            .rollup(store, &Scope::Platform, rj1.id, None)
            .await
            .expect("incremental rollup");
        assert_eq!(after.version, version, "{name}");
        let fresh = lantern_store::read_model::build(store, &Scope::Platform, rj1.id, None)
            .await
            .expect("rebuild");
        let nodes: Vec<Node> = std::iter::once(Node::Org)
            .chain(fresh.context.units.iter().map(|u| Node::Unit(u.id)))
            .collect();
        let mut differs_from_before = false;
        for on in [
            d("2026-11-23"),
            d("2026-11-05"),
            d("2025-01-01"),
            d("2027-01-15"),
        ] {
            for node in &nodes {
                assert_eq!(
                    after.index.node(*node, on),
                    fresh.index.node(*node, on),
                    "{name}: {node:?} on {on}"
                );
                differs_from_before |= before.index.node(*node, on) != after.index.node(*node, on);
            }
        }
        assert!(
            differs_from_before,
            "{name}: the writes changed some counts"
        );

        // A new rule version affects everyone.
        let mut rule = before
            .context
            .rules
            .iter()
            .find(|r| r.subject == "cstf.fire_safety" && r.effective_to.is_none())
            .expect("fire rule")
            .clone();
        rule.effective_from = d("2026-12-01");
        rule.kind = RuleKind::Completion {
            refresher_months: 24,
        };
        let mut batch = WriteBatch::default();
        batch.rules.push(RuleRow {
            org: "RJ1".into(),
            rule,
        });
        store.write(&batch).await.expect("rule version");
        let v2 = store.org_data_version(rj1.id).await.expect("version");
        assert_eq!(
            store
                .changes_since(rj1.id, version, v2)
                .await
                .expect("changes"),
            Changes::Everyone,
            "{name}"
        );
    }
}

/// A new framework version (a regulatory change) reaches every organisation as new rule versions from its effective
/// date; reloading it is a no-op; a version that would take effect before the one in force is refused whole.
#[tokio::test]
async fn a_new_framework_version_reaches_every_organisation() {
    let cstf = lantern_domain::framework::BUILT_IN
        .iter()
        .find(|(name, _)| name.contains("cstf"))
        .expect("CSTF file")
        .1;
    let parse = |text: &str| {
        let file =
            lantern_domain::framework::FrameworkFile::parse("cstf-1.2.toml", text).expect("parses");
        vec![("cstf-1.2.toml".to_owned(), text.to_owned(), file)]
    };
    for (name, store, _dir) in backends().await {
        store.write(&world()).await.expect("world");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let before = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx")
            .rules
            .len();

        let v12 = cstf
            .replace("version = \"1.1\"", "version = \"1.2\"")
            .replace(
                "effective_from = \"2021-07-01\"",
                "effective_from = \"2027-04-01\"",
            );
        let load = store.load_frameworks(&parse(&v12)).await.expect("loads");
        assert_eq!(load.loaded, vec!["cstf-england 1.2".to_owned()], "{name}");
        let orgs = store.list_orgs(&Scope::Platform).await.expect("orgs").len();
        let ctx = store
            .org_context(&Scope::Platform, rj1.id)
            .await
            .expect("ctx");
        let fire: Vec<&Rule> = ctx
            .rules
            .iter()
            .filter(|r| r.subject == "cstf.fire_safety")
            .collect();
        assert_eq!(
            fire.len(),
            2,
            "{name}: old and new versions of the fire safety rule"
        );
        let old = fire
            .iter()
            .find(|r| r.framework_version == "1.1")
            .expect("1.1");
        let new = fire
            .iter()
            .find(|r| r.framework_version == "1.2")
            .expect("1.2");
        assert_eq!(
            old.effective_to,
            Some(d("2027-04-01")),
            "{name}: the old version is closed, not edited"
        );
        assert_eq!(
            (new.effective_from, new.effective_to),
            (d("2027-04-01"), None),
            "{name}"
        );
        assert_eq!(
            load.rules_created,
            (ctx.rules.len() - before) * orgs,
            "{name}: every organisation"
        );

        let again = store.load_frameworks(&parse(&v12)).await.expect("no-op");
        assert!(
            again.loaded.is_empty() && again.rules_created == 0,
            "{name}: {again:?}"
        );

        let backdated = cstf
            .replace("version = \"1.1\"", "version = \"1.0-late\"")
            .replace(
                "effective_from = \"2021-07-01\"",
                "effective_from = \"2020-01-01\"",
            );
        match store.load_frameworks(&parse(&backdated)).await {
            Err(StoreError::Rejected(problems)) => assert!(
                problems[0].message.contains("history is never edited"),
                "{name}: {problems:?}"
            ),
            other => panic!("{name}: a backdated version must be refused, got {other:?}"),
        }
        let names: Vec<String> = store
            .frameworks()
            .await
            .expect("frameworks")
            .iter()
            .map(|f| f.framework.version.clone())
            .collect();
        assert!(
            !names.contains(&"1.0-late".to_owned()),
            "{name}: nothing of the refused file was written"
        );
        assert_eq!(
            store
                .org_context(&Scope::Platform, rj1.id)
                .await
                .expect("ctx")
                .rules
                .len(),
            ctx.rules.len(),
            "{name}"
        );
    }
}
