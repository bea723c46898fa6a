//! Accounts from the command line (`lantern user create`) and the demo world's accounts, one per role.

use anyhow::Context;
use lantern_domain::AccountId;
use lantern_domain::access::Role;
use lantern_store::{GrantSpec, NewAccount, PeopleFilter, Scope, Store, StoreError};

/// What `lantern user create` asks for.
pub struct CreateUser {
    pub email: String,
    pub name: Option<String>,
    pub password: String,
    pub role: Role,
    /// ODS code (not for platform admins).
    pub org: Option<String>,
    /// Unit codes, for managers.
    pub units: Vec<String>,
    /// Employee number of the person this account is, for "My training".
    pub employee_number: Option<String>,
}

/// Creates an account, or explains every problem with the request. Nothing is written unless all is well.
pub async fn create(store: &dyn Store, u: CreateUser) -> anyhow::Result<AccountId> {
    if let Some(w) = lantern_web::auth::password::weakness(&u.password) {
        anyhow::bail!("password: {w}");
    }
    let grants: Vec<GrantSpec> = if u.units.is_empty() {
        vec![GrantSpec {
            role: u.role,
            org: u.org.clone(),
            unit: None,
        }]
    } else {
        u.units
            .iter()
            .map(|unit| GrantSpec {
                role: u.role,
                org: u.org.clone(),
                unit: Some(unit.clone()),
            })
            .collect()
    };
    let hash = lantern_web::auth::password::hash(u.password).await?;
    let name = u
        .name
        .unwrap_or_else(|| u.email.split('@').next().unwrap_or("").to_owned());
    let new = NewAccount {
        email: u.email,
        display_name: name,
        password_hash: Some(hash),
        employee_number: u.employee_number,
        grants,
    };
    match store.create_account(&new, chrono::Utc::now()).await {
        Ok(id) => Ok(id),
        Err(StoreError::Rejected(problems)) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("  {}: {}", p.field, p.message))
                .collect();
            anyhow::bail!("the account was not created:\n{}", lines.join("\n"))
        }
        Err(e) => Err(e.into()),
    }
}

/// One demo account.
pub struct DemoAccount {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
    pub who: String,
}

/// The demo world's accounts: a learner (a nurse with a current post at Guy's and St Thomas', RJ1), their ward
/// manager, an organisation admin, an auditor and a course author at RJ1, and a platform admin. Created once; later calls list them.
pub async fn demo_accounts(store: &dyn Store) -> anyhow::Result<Vec<DemoAccount>> {
    let rj1 = store
        .org_by_code(&Scope::Platform, "RJ1")
        .await
        .context("the demo world has RJ1")?;
    let ctx = store.org_context(&Scope::Platform, rj1.id).await?;
    let today = rj1.today(chrono::Utc::now());
    let mut people = store
        .people(&Scope::Platform, rj1.id, &PeopleFilter::All)
        .await?;
    people.sort_by(|a, b| a.person.employee_number.cmp(&b.person.employee_number));
    let learner = people
        .iter()
        .find(|p| {
            p.posts.iter().any(|x| {
                x.active_on(today)
                    && x.staff_group == lantern_domain::StaffGroup::NursingMidwiferyRegistered
                    && x.patient_facing
            }) && p.posts.iter().filter(|x| x.active_on(today)).count() == 1
        })
        .context("a current nurse at RJ1")?;
    let post = learner
        .posts
        .iter()
        .find(|x| x.active_on(today))
        .expect("current post");
    let unit = ctx
        .units
        .iter()
        .find(|u| u.id == post.unit_id)
        .context("the nurse's unit")?;
    let learner_name = format!(
        "{} {}",
        learner.person.given_name, learner.person.family_name
    );
    // A doctor to play the team simulation with the nurse: one in the nurse's unit when there is one, any current
    // doctor otherwise, and in a world too small to have one, any other current member of staff.
    let current = |p: &lantern_store::PersonBundle| p.posts.iter().any(|x| x.active_on(today));
    let doctor_here = |p: &&lantern_store::PersonBundle| {
        p.posts.iter().any(|x| {
            x.active_on(today) && x.staff_group == lantern_domain::StaffGroup::MedicalDental
        })
    };
    let doctor = people
        .iter()
        .filter(doctor_here)
        .find(|p| {
            p.posts
                .iter()
                .any(|x| x.active_on(today) && x.unit_id == unit.id)
        })
        .or_else(|| people.iter().find(doctor_here))
        .or_else(|| {
            people
                .iter()
                .find(|p| current(p) && p.person.id != learner.person.id)
        })
        .context("a second member of staff at RJ1")?;
    let doctor_post = doctor
        .posts
        .iter()
        .find(|x| x.active_on(today))
        .expect("current post");
    let doctor_name = format!("{} {}", doctor.person.given_name, doctor.person.family_name);
    let accounts = vec![
        (
            Role::Learner,
            "learner@demo.lantern.test",
            "learner-demo-password",
            Some(learner.person.employee_number.clone()),
            vec![],
            learner_name.clone(),
            format!("{learner_name}, {} at {}", post.job_role, unit.name),
        ),
        (
            Role::Learner,
            "doctor@demo.lantern.test",
            "doctor-demo-password",
            Some(doctor.person.employee_number.clone()),
            vec![],
            doctor_name.clone(),
            format!(
                "{doctor_name}, {} (a second learner, for team simulations)",
                doctor_post.job_role
            ),
        ),
        (
            Role::Manager,
            "manager@demo.lantern.test",
            "manager-demo-password",
            None,
            vec![unit.code.clone()],
            format!("{} manager", unit.name),
            format!("manager of {}", unit.name),
        ),
        (
            Role::OrgAdmin,
            "admin@demo.lantern.test",
            "admin-demo-password",
            None,
            vec![],
            "RJ1 L&D admin".to_owned(),
            format!("organisation admin at {}", rj1.name),
        ),
        (
            Role::Auditor,
            "auditor@demo.lantern.test",
            "auditor-demo-password",
            None,
            vec![],
            "CQC inspection lead".to_owned(),
            format!("auditor at {}", rj1.name),
        ),
        (
            Role::Author,
            "author@demo.lantern.test",
            "author-demo-password",
            None,
            vec![],
            "RJ1 course author".to_owned(),
            format!("author of courses and question banks at {}", rj1.name),
        ),
        (
            Role::PlatformAdmin,
            "platform@demo.lantern.test",
            "platform-demo-password",
            None,
            vec![],
            "Platform admin".to_owned(),
            "platform admin, every organisation".to_owned(),
        ),
    ];
    let mut out = Vec::new();
    for (role, email, password, employee_number, units, name, who) in accounts {
        if store.account_by_email(email).await?.is_none() {
            create(
                store,
                CreateUser {
                    email: email.to_owned(),
                    name: Some(name),
                    password: password.to_owned(),
                    role,
                    org: (role != Role::PlatformAdmin).then(|| "RJ1".to_owned()),
                    units,
                    employee_number,
                },
            )
            .await?;
        }
        out.push(DemoAccount {
            role,
            email,
            password,
            who,
        });
    }
    // Where to do the one requirement no built-in course teaches: the national Oliver McGowan e-learning, set by the
    // L&D admin (Administration > Where to do each requirement), so My training and reminders point to it.
    let omt = lantern_domain::Subject::parse(OLIVER_MCGOWAN).expect("a subject code");
    if ctx.rules.iter().any(|r| r.subject == omt)
        && store.completion_links(rj1.id).await?.is_empty()
        && let Some(admin) = store.account_by_email("admin@demo.lantern.test").await?
    {
        store
            .set_completion_link(
                rj1.id,
                &omt,
                "https://www.e-lfh.org.uk/programmes/the-oliver-mcgowan-mandatory-training-on-learning-disability-and-autism/",
                // Both tiers start with the same e-learning; each then has its own session (tier 1 online, tier 2 in
                // person), booked from the programme's page.
                "The Oliver McGowan Mandatory Training: the national e-learning, then your tier's session",
                admin.id,
                chrono::Utc::now(),
            )
            .await?;
    }
    Ok(out)
}

/// The subject of the Oliver McGowan Mandatory Training on Learning Disability and Autism (Health and Care Act 2022,
/// s.181), in `frameworks/oliver-mcgowan-2022.toml`.
const OLIVER_MCGOWAN: &str = "omt.learning_disability_autism";

/// Prints the demo accounts for the person at the terminal.
pub fn print_demo_accounts(accounts: &[DemoAccount]) {
    println!("Demo accounts (passwords are public: for the demo only):");
    for a in accounts {
        println!(
            "  {:<19} {:<28} {:<24} {}",
            a.role.label(),
            a.email,
            a.password,
            a.who
        );
    }
}
