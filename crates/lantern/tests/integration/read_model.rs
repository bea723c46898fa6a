//! The durable, bitemporal read model (issue 15): a roll-up restored after a restart (a new `ReadModel` over the
//! same database, reading the stored layers) and a roll-up asked "as known at" an instant, each compared with one
//! the engine builds from every record, on both backends.

use crate::{backends, d};
use chrono::{Duration, Utc};
use lantern_domain::rollup::Node;
use lantern_domain::*;
use lantern_store::read_model::durable::{LayerHead, engine_fingerprint};
use lantern_store::read_model::{OrgRollup, ReadModel, build};
use lantern_store::*;

/// Every figure a page reads from a roll-up, on dates across the demo's history.
fn assert_same(name: &str, what: &str, got: &OrgRollup, want: &OrgRollup) {
    assert_eq!(
        got.index.requirements(),
        want.index.requirements(),
        "{name}: {what}: requirements"
    );
    assert_eq!(
        got.index.people_indexed(),
        want.index.people_indexed(),
        "{name}: {what}: people"
    );
    let units = want.context.units_known_at(want.known_at);
    let nodes: Vec<Node> = std::iter::once(Node::Org)
        .chain(units.iter().map(|u| Node::Unit(u.id)))
        .collect();
    for on in [
        "2021-06-30",
        "2024-02-29",
        "2026-11-05",
        "2026-11-23",
        "2027-06-01",
    ] {
        let on = d(on);
        for node in &nodes {
            assert_eq!(
                got.index.node(*node, on),
                want.index.node(*node, on),
                "{name}: {what}: {node:?} on {on}"
            );
        }
        assert_eq!(
            got.index.statuses_on(&got.hierarchy, Node::Org, on),
            want.index.statuses_on(&want.hierarchy, Node::Org, on),
            "{name}: {what}: everyone's statuses on {on}"
        );
    }
}

async fn layers(store: &dyn Store, org: OrgId) -> Vec<LayerHead> {
    let version = store.org_data_version(org).await.expect("version");
    store
        .rollups()
        .layers(org, &engine_fingerprint(), version)
        .await
        .expect("layers")
}

fn record(employee_number: &str, completed: &str, recorded_at: Option<Timestamp>) -> RecordRow {
    RecordRow {
        line: 1,
        employee_number: employee_number.to_owned(),
        subject: Subject::from_static("cstf.fire_safety"),
        level: 1,
        completed_on: d(completed),
        hours: None,
        provider: "e-Learning for Healthcare".into(),
        provider_type: ProviderType::NationalElearning,
        provider_org: None,
        source: RecordSource::Elearning,
        evidence_ref: None,
        recorded_at,
    }
}

#[tokio::test]
async fn a_restart_and_questions_as_known_at_answer_as_the_engine_does() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        lantern::demo::generate(store, 300, 11, d("2026-11-23"), false)
            .await
            .expect("demo");
        let rj1 = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1");
        let org = rj1.id;
        let platform = &Scope::Platform;

        // The first build stores a full layer; a new read model (a restart) reads it instead of the engine.
        let first = ReadModel::new();
        let built = first
            .rollup(store, platform, org, None)
            .await
            .expect("rollup");
        first.flush().await;
        let stored = layers(store, org).await;
        assert_eq!(stored.len(), 1, "{name}: one full layer: {stored:?}");
        assert_eq!(
            (stored[0].base, stored[0].version),
            (0, built.version),
            "{name}"
        );
        // Its people (one part at this size) and its cells, which a restore copies instead of walking everyone.
        assert_eq!(stored[0].parts, 2, "{name}: {stored:?}");
        let copy = ReadModel::new();
        let restored = copy
            .rollup(store, platform, org, None)
            .await
            .expect("restored");
        let fresh = build(store, platform, org, None).await.expect("fresh");
        assert_same(&name, "restored", &restored, &fresh);
        assert_same(&name, "first build", &built, &fresh);
        let before_writes = Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;

        // Three people change: the running model stores a layer of just them on the full one.
        let people = store
            .people(platform, org, &PeopleFilter::All)
            .await
            .expect("people");
        let current: Vec<&PersonBundle> = people
            .iter()
            .filter(|p| p.posts.iter().any(|x| x.end.is_none()))
            .take(4)
            .collect();
        let mut batch = WriteBatch::default();
        batch.records.push(record(
            &current[0].person.employee_number,
            "2026-11-20",
            None,
        ));
        batch.exemptions.push(ExemptionRow {
            line: 1,
            employee_number: current[1].person.employee_number.clone(),
            org: "RJ1".into(),
            subject: Subject::from_static("cstf.moving_handling"),
            reason: "Phased return from injury".into(),
            from: d("2026-11-01"),
            until: Some(d("2027-02-28")),
        });
        store.write(&batch).await.expect("write");
        let after_first_write = Utc::now();
        let updated = first
            .rollup(store, platform, org, None)
            .await
            .expect("updated");
        first.flush().await;
        let stored = layers(store, org).await;
        assert_eq!(
            stored.len(),
            2,
            "{name}: a full layer and one of changes: {stored:?}"
        );
        assert_eq!(stored[1].base, stored[0].version, "{name}");
        assert_eq!(stored[1].people, 2, "{name}: only the two people changed");
        let fresh = build(store, platform, org, None).await.expect("fresh");
        assert_same(&name, "updated", &updated, &fresh);
        // The restored copy of the stored cells, brought up to date person by person, answers as the engine too.
        let copy_updated = copy
            .rollup(store, platform, org, None)
            .await
            .expect("copy updated");
        copy.flush().await;
        assert_same(&name, "restored copy, updated", &copy_updated, &fresh);
        let restarted = ReadModel::new();
        let restored = restarted
            .rollup(store, platform, org, None)
            .await
            .expect("restored");
        assert_same(&name, "restored from two layers", &restored, &fresh);

        // A write nobody read before the restart: the stored chain, with that person re-assessed.
        let mut batch = WriteBatch::default();
        batch.records.push(record(
            &current[2].person.employee_number,
            "2026-11-21",
            None,
        ));
        store.write(&batch).await.expect("write");
        let restarted = ReadModel::new();
        let restored = restarted
            .rollup(store, platform, org, None)
            .await
            .expect("restored");
        let fresh = build(store, platform, org, None).await.expect("fresh");
        assert_same(&name, "restored with a change since", &restored, &fresh);
        restarted.flush().await;

        // As known at instants before, between and after the writes: as the engine says, from a running model,
        // after a restart, and asked again.
        for (what, at) in [
            ("before the writes", before_writes),
            ("between the writes", after_first_write),
            ("now", Utc::now()),
        ] {
            let want = build(store, platform, org, Some(at)).await.expect("engine");
            let got = first
                .rollup(store, platform, org, Some(at))
                .await
                .expect("known at");
            assert_same(&name, what, &got, &want);
            let again = first
                .rollup(store, platform, org, Some(at))
                .await
                .expect("again");
            assert!(std::sync::Arc::ptr_eq(&got, &again), "{name}: {what}: kept");
            first.flush().await;
            let restarted = ReadModel::new();
            let got = restarted
                .rollup(store, platform, org, Some(at))
                .await
                .expect("known at");
            assert_same(&name, &format!("{what}, after a restart"), &got, &want);
        }

        // A record imported later with a `recorded_at` before an instant already asked about is part of the answer
        // as known at that instant (it was recorded by then): the kept answer is dropped, the stored layer not used
        // for that person.
        let mut batch = WriteBatch::default();
        batch.records.push(record(
            &current[3].person.employee_number,
            "2026-11-19",
            Some(before_writes - Duration::seconds(1)),
        ));
        store.write(&batch).await.expect("backdated write");
        let want = build(store, platform, org, Some(before_writes))
            .await
            .expect("engine");
        let got = first
            .rollup(store, platform, org, Some(before_writes))
            .await
            .expect("known at");
        assert_same(&name, "after a backdated record", &got, &want);
        let got = ReadModel::new()
            .rollup(store, platform, org, Some(before_writes))
            .await
            .expect("known at");
        assert_same(&name, "after a backdated record, restarted", &got, &want);

        // A rule version changes everyone: the next build is the engine's again, and stored whole.
        let mut rule = fresh
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
        let fresh = build(store, platform, org, None).await.expect("fresh");
        let updated = first
            .rollup(store, platform, org, None)
            .await
            .expect("updated");
        assert_same(&name, "after a rule version", &updated, &fresh);
        first.flush().await;
        let restarted = ReadModel::new();
        let restored = restarted
            .rollup(store, platform, org, None)
            .await
            .expect("restored");
        assert_same(&name, "restored after a rule version", &restored, &fresh);
        let last = layers(store, org).await;
        assert_eq!(last[0].base, 0, "{name}");
        assert_eq!(
            last[0].version, fresh.version,
            "{name}: a full layer at the rule version"
        );
        let want = build(store, platform, org, Some(after_first_write))
            .await
            .expect("engine");
        let got = restarted
            .rollup(store, platform, org, Some(after_first_write))
            .await
            .expect("known at");
        assert_same(&name, "before the rule version, after it", &got, &want);
    }
}

/// Each data version is stored with when its facts were recorded, and the version Lantern had at an instant is the
/// latest whose facts, and every earlier one's, were recorded by then.
#[tokio::test]
async fn the_version_known_at_an_instant_follows_when_facts_were_recorded() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        lantern::demo::generate(store, 40, 3, d("2026-11-23"), false)
            .await
            .expect("demo");
        let org = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1")
            .id;
        let rollups = store.rollups();
        let v0 = store.org_data_version(org).await.expect("version");
        // Whole microseconds, as stored: an instant with nanoseconds is compared conservatively (rounded outwards).
        let t0 =
            chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("now");
        assert_eq!(
            rollups.version_known_at(org, t0).await.expect("known"),
            Some(v0),
            "{name}"
        );
        let people = store
            .people(&Scope::Platform, org, &PeopleFilter::All)
            .await
            .expect("people");
        let who = people[0].person.employee_number.clone();
        let mut batch = WriteBatch {
            recorded_at: Some(t0 + Duration::hours(1)),
            ..WriteBatch::default()
        };
        batch.records.push(record(&who, "2026-11-20", None));
        store.write(&batch).await.expect("write");
        let v1 = store.org_data_version(org).await.expect("version");
        assert_eq!(
            rollups.version_known_at(org, t0).await.expect("known"),
            Some(v0),
            "{name}"
        );
        assert_eq!(
            rollups
                .version_known_at(org, t0 + Duration::hours(1))
                .await
                .expect("known"),
            Some(v1),
            "{name}"
        );
        assert_eq!(
            rollups.recorded_late(org, v0, v1, t0).await.expect("late"),
            Changes::People(vec![]),
            "{name}"
        );
        // A record recorded (by its own account) before t0, written after: late for t0.
        let mut batch = WriteBatch::default();
        batch
            .records
            .push(record(&who, "2026-11-18", Some(t0 - Duration::minutes(1))));
        store.write(&batch).await.expect("write");
        let v2 = store.org_data_version(org).await.expect("version");
        assert_eq!(
            rollups.version_known_at(org, t0).await.expect("known"),
            Some(v0),
            "{name}"
        );
        assert_eq!(
            rollups.recorded_late(org, v0, v2, t0).await.expect("late"),
            Changes::People(vec![people[0].person.id]),
            "{name}"
        );
        assert_eq!(
            rollups
                .version_known_at(org, t0 + Duration::hours(2))
                .await
                .expect("known"),
            Some(v2),
            "{name}"
        );
        assert_eq!(
            rollups
                .version_known_at(org, t0 - Duration::days(3650))
                .await
                .expect("known"),
            None,
            "{name}: nothing was recorded ten years ago"
        );
    }
}

/// A new version of RJ1's fire safety rule, taking effect on `from`: everyone changes, so the next roll-up is built
/// whole and stored as a full layer.
async fn fire_rule_version(store: &dyn Store, org: OrgId, from: &str, months: u32) {
    let context = store
        .org_context(&Scope::Platform, org)
        .await
        .expect("context");
    let mut rule = context
        .rules
        .iter()
        .filter(|r| r.subject == "cstf.fire_safety")
        .max_by_key(|r| r.effective_from)
        .expect("fire rule")
        .clone();
    rule.effective_from = d(from);
    rule.kind = RuleKind::Completion {
        refresher_months: months,
    };
    let mut batch = WriteBatch::default();
    batch.rules.push(RuleRow {
        org: "RJ1".into(),
        rule,
    });
    store.write(&batch).await.expect("rule version");
}

/// Once a new full layer is stored, the layers of versions before the full layer preceding it are deleted, whichever
/// build computed them; the newest two chains stay. A question "as known at" an instant whose layers are gone is
/// still the engine's answer, and its version's layer is stored again.
#[tokio::test]
async fn older_layers_are_deleted_and_answers_stay_exact() {
    for (name, store, _dir) in backends().await {
        let store = store.as_ref();
        lantern::demo::generate(store, 60, 5, d("2026-11-23"), false)
            .await
            .expect("demo");
        let org = store
            .org_by_code(&Scope::Platform, "RJ1")
            .await
            .expect("RJ1")
            .id;
        let platform = &Scope::Platform;
        let engine = engine_fingerprint();
        let rollups = store.rollups();
        let model = ReadModel::new();
        let stored = async |model: &ReadModel| {
            model
                .rollup(store, platform, org, None)
                .await
                .expect("rollup");
            model.flush().await;
            store.org_data_version(org).await.expect("version")
        };

        let full1 = stored(&model).await;
        // A layer another build of Lantern stored (this one never reads it).
        let other = LayerHead {
            version: full1,
            base: 0,
            people: 0,
            parts: 0,
        };
        assert!(
            rollups
                .put_layer(org, "an-older-build", &other, Vec::new())
                .await
                .expect("put"),
            "{name}"
        );
        // One person changes: a layer on the full one.
        let people = store
            .people(platform, org, &PeopleFilter::All)
            .await
            .expect("people");
        let who = &people
            .iter()
            .find(|p| p.posts.iter().any(|x| x.end.is_none()))
            .expect("someone in post")
            .person
            .employee_number;
        let mut batch = WriteBatch::default();
        batch.records.push(record(who, "2026-11-20", None));
        store.write(&batch).await.expect("write");
        let delta1 = stored(&model).await;
        assert_eq!(layers(store, org).await.len(), 2, "{name}: full and change");
        let between = Utc::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;

        // A second full layer: both chains are kept, and the other build's layer of the first version too.
        fire_rule_version(store, org, "2026-12-01", 24).await;
        let full2 = stored(&model).await;
        let chain1 = rollups.layers(org, &engine, delta1).await.expect("layers");
        assert_eq!(
            chain1.len(),
            2,
            "{name}: the chain before the newest is kept"
        );
        let others = rollups
            .layers(org, "an-older-build", full1)
            .await
            .expect("layers");
        assert_eq!(others, vec![other.clone()], "{name}");

        // A third: everything before the second full layer goes.
        fire_rule_version(store, org, "2026-12-02", 12).await;
        let full3 = stored(&model).await;
        assert_eq!(
            rollups.layers(org, &engine, delta1).await.expect("layers"),
            Vec::new(),
            "{name}: the oldest chain is deleted"
        );
        assert_eq!(
            rollups
                .layers(org, "an-older-build", full1)
                .await
                .expect("layers"),
            Vec::new(),
            "{name}: so is the other build's layer of that version"
        );
        let kept: Vec<i64> = rollups
            .layers(org, &engine, full2)
            .await
            .expect("layers")
            .iter()
            .map(|l| l.version)
            .collect();
        assert_eq!(kept, vec![full2], "{name}: the previous full layer is kept");
        let newest = layers(store, org).await;
        assert_eq!((newest.len(), newest[0].version), (1, full3), "{name}");

        // As known at an instant of the deleted chain: the engine's answer, after a restart too, and that version's
        // roll-up stored again as a full layer (which deletes nothing newer).
        let want = build(store, platform, org, Some(between))
            .await
            .expect("engine");
        let got = model
            .rollup(store, platform, org, Some(between))
            .await
            .expect("known at");
        assert_same(&name, "as known at a deleted chain", &got, &want);
        model.flush().await;
        let again: Vec<(i64, i64)> = rollups
            .layers(org, &engine, delta1)
            .await
            .expect("layers")
            .iter()
            .map(|l| (l.version, l.base))
            .collect();
        assert_eq!(again, vec![(delta1, 0)], "{name}: stored again");
        assert_eq!(layers(store, org).await.len(), 1, "{name}: newest kept");
        let got = ReadModel::new()
            .rollup(store, platform, org, Some(between))
            .await
            .expect("known at");
        assert_same(&name, "as known at a deleted chain, restarted", &got, &want);
    }
}
