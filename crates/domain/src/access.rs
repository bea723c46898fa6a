//! Who may see and do what: roles granted per organisation, the data scope they give, and the one policy that
//! decides every request (pages and API alike call [`Principal::may`]).
//!
//! Architecture invariant: authorisation decisions are made here and nowhere else; handlers ask, the store filters
//! by the [`Scope`] this module computes.

use crate::rollup::Hierarchy;
use crate::{OrgId, PersonId, UnitId};
use serde::{Deserialize, Serialize};

/// A role, granted to an account in one organisation (or, for platform administrators, everywhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Their own training, in each organisation where they hold a post.
    Learner,
    /// One or more units, with everything below them.
    Manager,
    /// The whole organisation, and its settings.
    OrgAdmin,
    /// The whole organisation, read-only, including as-at reports and evidence.
    Auditor,
    /// Every organisation.
    PlatformAdmin,
    /// Builds the organisation's courses, lessons and question banks, publishes them and shares them.
    Author,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Learner,
        Role::Manager,
        Role::OrgAdmin,
        Role::Auditor,
        Role::PlatformAdmin,
        Role::Author,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Manager => "manager",
            Role::OrgAdmin => "org_admin",
            Role::Auditor => "auditor",
            Role::PlatformAdmin => "platform_admin",
            Role::Author => "author",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    /// A grant of this role names the units it manages (see [`RoleGrant::problem`]).
    pub fn needs_unit(self) -> bool {
        self == Role::Manager
    }

    /// A grant of this role is about the account's own staff record, so the account must be linked to one.
    pub fn needs_staff_record(self) -> bool {
        self == Role::Learner
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Learner => "Learner",
            Role::Manager => "Manager",
            Role::OrgAdmin => "Organisation admin",
            Role::Auditor => "Auditor",
            Role::PlatformAdmin => "Platform admin",
            Role::Author => "Author",
        }
    }
}

/// One role in one place. `org` is None only for platform administrators; `unit` is set only for managers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub org: Option<OrgId>,
    pub unit: Option<UnitId>,
}

impl RoleGrant {
    /// Why a grant is malformed, if it is.
    pub fn problem(&self) -> Option<&'static str> {
        match (self.role, self.org, self.unit) {
            (Role::PlatformAdmin, None, None) => None,
            (Role::PlatformAdmin, _, _) => {
                Some("a platform admin is not tied to an organisation or unit")
            }
            (_, None, _) => Some("this role needs an organisation"),
            (Role::Manager, Some(_), None) => Some("a manager needs at least one unit"),
            (Role::Manager, Some(_), Some(_)) => None,
            (_, Some(_), Some(_)) => Some("only managers are granted units"),
            (_, Some(_), None) => None,
        }
    }
}

/// How far one grant reaches inside an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Everyone in the organisation.
    Org,
    /// People with posts in these units or below them.
    Units(Vec<UnitId>),
    /// One person: a learner's own data.
    Person(PersonId),
    /// The organisation itself but none of its people: an author builds its courses and sees no one's training.
    NoPeople,
}

/// What a caller may see: the filter every people-returning store method applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything: platform administrators and the command line.
    Platform,
    /// Parts of some organisations.
    Grants(Vec<Grant>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub org: OrgId,
    pub reach: Reach,
}

impl Scope {
    pub fn org(org: OrgId) -> Self {
        Scope::Grants(vec![Grant {
            org,
            reach: Reach::Org,
        }])
    }

    pub fn units(org: OrgId, units: Vec<UnitId>) -> Self {
        Scope::Grants(vec![Grant {
            org,
            reach: Reach::Units(units),
        }])
    }

    pub fn person(org: OrgId, person: PersonId) -> Self {
        Scope::Grants(vec![Grant {
            org,
            reach: Reach::Person(person),
        }])
    }

    /// Nothing at all.
    pub fn none() -> Self {
        Scope::Grants(Vec::new())
    }

    fn grants(&self, org: OrgId) -> impl Iterator<Item = &Reach> {
        let grants: &[Grant] = match self {
            Scope::Platform => &[],
            Scope::Grants(g) => g,
        };
        grants
            .iter()
            .filter(move |g| g.org == org)
            .map(|g| &g.reach)
    }

    /// May the caller see anything of this organisation?
    pub fn sees_org(&self, org: OrgId) -> bool {
        matches!(self, Scope::Platform) || self.grants(org).next().is_some()
    }

    /// May the caller see the whole organisation (its totals)?
    pub fn sees_whole_org(&self, org: OrgId) -> bool {
        matches!(self, Scope::Platform) || self.grants(org).any(|r| *r == Reach::Org)
    }

    /// May the caller see this unit's figures (because it is, or is below, a granted unit)?
    pub fn sees_unit(&self, org: OrgId, unit: UnitId, hierarchy: &Hierarchy) -> bool {
        matches!(self, Scope::Platform)
            || self.grants(org).any(|r| match r {
                Reach::Org => true,
                Reach::Units(units) => units.iter().any(|u| hierarchy.is_within(unit, *u)),
                Reach::Person(_) | Reach::NoPeople => false,
            })
    }

    /// The units granted to the caller as a manager, organisation by organisation in the order granted: the units
    /// "My team" offers.
    pub fn granted_units(&self) -> Vec<(OrgId, UnitId)> {
        let grants: &[Grant] = match self {
            Scope::Platform => &[],
            Scope::Grants(g) => g,
        };
        let mut out = Vec::new();
        for g in grants {
            if let Reach::Units(units) = &g.reach {
                for u in units {
                    if !out.contains(&(g.org, *u)) {
                        out.push((g.org, *u));
                    }
                }
            }
        }
        out
    }

    /// The organisations the caller sees whole (as an admin or auditor): any of their units is a team to them.
    pub fn overseen_orgs(&self) -> Vec<OrgId> {
        let grants: &[Grant] = match self {
            Scope::Platform => &[],
            Scope::Grants(g) => g,
        };
        let mut out: Vec<OrgId> = Vec::new();
        for g in grants.iter().filter(|g| matches!(g.reach, Reach::Org)) {
            if !out.contains(&g.org) {
                out.push(g.org);
            }
        }
        out
    }

    /// May the caller see this person, who holds posts in `units` of the organisation?
    pub fn sees_person(
        &self,
        org: OrgId,
        person: PersonId,
        units: impl IntoIterator<Item = UnitId>,
        hierarchy: &Hierarchy,
    ) -> bool {
        if self.sees_whole_org(org) || self.grants(org).any(|r| *r == Reach::Person(person)) {
            return true;
        }
        units.into_iter().any(|u| self.sees_unit(org, u, hierarchy))
    }
}

/// Something a caller asks to do. Every route names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The list of organisations (each caller sees those they hold a role in).
    ListOrganisations,
    /// Compliance figures of an organisation or its units (heatmaps, unit pages, team views).
    ViewCompliance(OrgId),
    /// One person's explained compliance and records.
    ViewPerson(OrgId, PersonId),
    /// Reports and exports for inspection, as at any date.
    Audit(OrgId),
    /// Remind people about their training.
    Remind(OrgId),
    /// Record or withdraw revalidation evidence for a person: the registrant themselves, a manager (for people in
    /// their units, which the scope decides) or the organisation's admin (a workforce team entering confirmations).
    /// Seeing it is `ViewPerson`; auditors read, never write.
    RecordEvidence(OrgId, PersonId),
    /// Rules, settings, units, people, imports and accounts of an organisation: granting and removing roles there.
    Administer(OrgId),
    /// Add, correct or withdraw a training record by hand and grant or end exemptions: the organisation's L&D and
    /// compliance team (its admins). Managers do not: an exemption changes what the organisation reports, and a
    /// record entered by hand stands in for a certificate someone checked.
    KeepRecords(OrgId),
    /// An account's own credentials and status (disable, enable, reset its password), asked from one organisation.
    /// These belong to the account, not to any one organisation, so an organisation admin may act only on an
    /// account whose every role lies in their organisation; anything wider is a platform admin's to do.
    ManageAccount(OrgId, AccountSpan),
    /// Everything across organisations (platform operations).
    OperatePlatform,
    /// Apply a new framework version. A framework is national and every organisation gets its new rule versions at
    /// once, so only a platform admin applies one; an organisation admin previews its impact on their own
    /// organisation (`PreviewChange`) and sees it applied on the changes page.
    ApplyFramework,
    /// Preview what a framework file or a new rule version would change in this organisation (read only).
    PreviewChange(OrgId),
    /// The organisation's changes page: each regulatory change applied, by whom and when, with its detail.
    ViewChanges(OrgId),
    /// Their own requirements and records in one organisation, as a learner there ("My training").
    ViewOwnTraining(OrgId),
    /// Take the organisation's courses and assessments, as a learner there. The attempt is always their own: the
    /// store refuses anyone else's (its scope is the learner's own person).
    Learn(OrgId),
    /// Assign a course, with a due date, to a person or a unit: a manager within their units (the scope decides
    /// whom), an organisation admin anywhere in it; and cancel an assignment.
    Assign(OrgId),
    /// Give an account a role in this organisation from its admin pages (platform admins are made on the command
    /// line only).
    Grant(OrgId, Role),
    /// Take a role in this organisation away from an account: their own or someone else's. An admin may not take
    /// their own admin role away, so an organisation is never left without one by accident.
    Revoke(OrgId, Role, Whose),
    /// Build, preview, publish and share the organisation's courses and question banks, and read their item
    /// statistics: its authors and its admins.
    Author(OrgId),
    /// Open a part of the site: whether the navigation offers it.
    Open(Area),
}

/// Whose account an action is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    /// The caller's own.
    Own,
    /// Someone else's.
    Other,
}

/// A part of the site, across organisations: what the navigation offers a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// "My training": their own requirements, for a learner linked to a staff record.
    MyTraining,
    /// "My team": the units they manage; for an organisation's admins and auditors, any unit of it ("Teams").
    MyTeam,
    /// Organisations as a whole (heatmaps, trends, reports): for those who oversee one, and platform admins.
    Organisations,
    /// An organisation's administration, for its admins (a platform admin goes there from an organisation's page).
    Administration,
    /// Authoring courses and banks, for authors and admins.
    Authoring,
}

impl Action {
    /// The organisation the action is in, if it is in one.
    pub fn org(self) -> Option<OrgId> {
        match self {
            Action::ViewCompliance(o)
            | Action::ViewPerson(o, _)
            | Action::Audit(o)
            | Action::Remind(o)
            | Action::RecordEvidence(o, _)
            | Action::Administer(o)
            | Action::KeepRecords(o)
            | Action::ManageAccount(o, _)
            | Action::ViewOwnTraining(o)
            | Action::Learn(o)
            | Action::Author(o)
            | Action::Assign(o)
            | Action::Grant(o, _)
            | Action::Revoke(o, _, _)
            | Action::PreviewChange(o)
            | Action::ViewChanges(o) => Some(o),
            Action::ListOrganisations
            | Action::OperatePlatform
            | Action::ApplyFramework
            | Action::Open(_) => None,
        }
    }
}

/// The role an organisation's staff get without an admin choosing one for them: an account made at their first
/// single sign-on, and the invitations "Invite your staff" sends. A learner sees only their own training; any other
/// role is an admin's to give.
pub const STAFF_ROLE: Role = Role::Learner;

/// The units an account's grants make it a manager of: whose people it hears about when their training is overdue
/// too long (scheduled notices), as its team view reaches them.
pub fn managed_units(grants: &[RoleGrant]) -> Vec<UnitId> {
    let mut out: Vec<UnitId> = Vec::new();
    for g in grants {
        if let (Role::Manager, Some(unit)) = (g.role, g.unit)
            && !out.contains(&unit)
        {
            out.push(unit);
        }
    }
    out
}

/// Where an account's roles lie, seen from one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountSpan {
    /// Every role the account holds is in this organisation.
    Within,
    /// It holds a role somewhere else too (another organisation, or the platform).
    Beyond,
}

impl AccountSpan {
    pub fn of(grants: &[RoleGrant], org: OrgId) -> AccountSpan {
        if grants.iter().all(|g| g.org == Some(org)) {
            AccountSpan::Within
        } else {
            AccountSpan::Beyond
        }
    }
}

/// A signed-in account: who it is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub person: Option<PersonId>,
    pub grants: Vec<RoleGrant>,
}

impl Principal {
    pub fn is_platform_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::PlatformAdmin)
    }

    /// The roles held in one organisation (a platform admin holds every role everywhere).
    pub fn roles_in(&self, org: OrgId) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .grants
            .iter()
            .filter(|g| g.org == Some(org))
            .map(|g| g.role)
            .collect();
        roles.sort();
        roles.dedup();
        roles
    }

    fn has(&self, org: OrgId, roles: &[Role]) -> bool {
        self.is_platform_admin() || self.holds(org, roles)
    }

    /// Holds one of these roles in the organisation itself (a platform admin's reach aside).
    fn holds(&self, org: OrgId, roles: &[Role]) -> bool {
        self.grants
            .iter()
            .any(|g| g.org == Some(org) && roles.contains(&g.role))
    }

    /// Holds one of these roles in any organisation.
    fn holds_anywhere(&self, roles: &[Role]) -> bool {
        self.grants
            .iter()
            .any(|g| g.org.is_some() && roles.contains(&g.role))
    }

    /// Does the caller hold any role in this organisation? A refusal there may say that their role does not allow
    /// it; anywhere else the organisation is not revealed at all.
    pub fn belongs_to(&self, org: OrgId) -> bool {
        !self.roles_in(org).is_empty()
    }

    /// The data this caller may see in one organisation (or everywhere, for a platform admin).
    pub fn scope(&self) -> Scope {
        if self.is_platform_admin() {
            return Scope::Platform;
        }
        let mut grants: Vec<Grant> = Vec::new();
        for g in &self.grants {
            let Some(org) = g.org else { continue };
            let reach = match (g.role, g.unit, self.person) {
                (Role::OrgAdmin | Role::Auditor, _, _) => Reach::Org,
                (Role::Manager, Some(unit), _) => Reach::Units(vec![unit]),
                (Role::Learner, _, Some(person)) => Reach::Person(person),
                (Role::Author, _, _) => Reach::NoPeople,
                _ => continue,
            };
            // Merge a manager's several units into one grant.
            match (grants.iter_mut().find(|x| x.org == org), &reach) {
                (
                    Some(Grant {
                        reach: Reach::Units(have),
                        ..
                    }),
                    Reach::Units(more),
                ) => {
                    have.extend(more);
                }
                _ => grants.push(Grant { org, reach }),
            }
        }
        // A wider reach in an organisation makes narrower ones redundant; keep them all, the checks take any.
        Scope::Grants(grants)
    }

    /// The one authorisation decision. Data beyond the action is still filtered by [`Principal::scope`].
    pub fn may(&self, action: Action) -> bool {
        use Role::*;
        match action {
            Action::ListOrganisations => true,
            Action::ViewCompliance(org) => self.has(org, &[Manager, OrgAdmin, Auditor]),
            Action::ViewPerson(org, person) => {
                self.has(org, &[Manager, OrgAdmin, Auditor])
                    || (self.person == Some(person) && self.has(org, &[Learner]))
            }
            Action::Audit(org) => self.has(org, &[OrgAdmin, Auditor]),
            Action::Remind(org) | Action::Assign(org) => self.has(org, &[Manager, OrgAdmin]),
            Action::RecordEvidence(org, person) => {
                self.has(org, &[Manager, OrgAdmin])
                    || (self.person == Some(person) && self.has(org, &[Learner]))
            }
            Action::Administer(org) | Action::KeepRecords(org) => self.has(org, &[OrgAdmin]),
            Action::ManageAccount(org, span) => {
                self.is_platform_admin()
                    || (span == AccountSpan::Within && self.has(org, &[OrgAdmin]))
            }
            Action::OperatePlatform | Action::ApplyFramework => self.is_platform_admin(),
            Action::PreviewChange(org) => self.has(org, &[OrgAdmin]),
            // Auditors see what changed and when: the changes explain the figures they inspect.
            Action::ViewChanges(org) => self.has(org, &[OrgAdmin, Auditor]),
            // Their own training is a learner's: a platform admin or a manager is not one by their office.
            Action::ViewOwnTraining(org) | Action::Learn(org) => {
                self.person.is_some() && self.holds(org, &[Learner])
            }
            Action::Author(org) => self.has(org, &[Author, OrgAdmin]),
            Action::Grant(org, role) => role != PlatformAdmin && self.has(org, &[OrgAdmin]),
            Action::Revoke(org, role, whose) => {
                self.has(org, &[OrgAdmin]) && !(whose == Whose::Own && role == OrgAdmin)
            }
            Action::Open(area) => match area {
                Area::MyTraining => self.person.is_some() && self.holds_anywhere(&[Learner]),
                Area::MyTeam => {
                    !self.scope().granted_units().is_empty()
                        || self.holds_anywhere(&[OrgAdmin, Auditor])
                }
                Area::Organisations => {
                    self.is_platform_admin() || self.holds_anywhere(&[OrgAdmin, Auditor])
                }
                Area::Administration => self.holds_anywhere(&[OrgAdmin]),
                Area::Authoring => self.holds_anywhere(&[Author, OrgAdmin]),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Unit, UnitKind};

    const ORG: OrgId = OrgId(1);
    const OTHER: OrgId = OrgId(2);

    fn grant(role: Role, org: Option<i64>, unit: Option<i64>) -> RoleGrant {
        RoleGrant {
            role,
            org: org.map(OrgId),
            unit: unit.map(UnitId),
        }
    }

    fn hierarchy() -> Hierarchy {
        let unit = |id: i64, parent: Option<i64>| Unit {
            id: UnitId(id),
            org_id: ORG,
            parent_id: parent.map(UnitId),
            site_id: None,
            code: format!("U{id}"),
            name: format!("Unit {id}"),
            kind: UnitKind::Ward,
            recorded_at: "2020-01-01T00:00:00Z".parse().expect("timestamp"),
        };
        Hierarchy::new(&[
            unit(1, None),
            unit(2, Some(1)),
            unit(3, Some(1)),
            unit(4, None),
        ])
    }

    #[test]
    fn each_role_may_do_what_its_job_needs_and_no_more() {
        let me = PersonId(7);
        let learner = Principal {
            person: Some(me),
            grants: vec![grant(Role::Learner, Some(1), None)],
        };
        let manager = Principal {
            person: None,
            grants: vec![grant(Role::Manager, Some(1), Some(2))],
        };
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let auditor = Principal {
            person: None,
            grants: vec![grant(Role::Auditor, Some(1), None)],
        };
        let platform = Principal {
            person: None,
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };

        assert!(learner.may(Action::ViewPerson(ORG, me)));
        assert!(!learner.may(Action::ViewPerson(ORG, PersonId(8))));
        assert!(!learner.may(Action::ViewCompliance(ORG)));
        assert!(manager.may(Action::ViewCompliance(ORG)) && manager.may(Action::Remind(ORG)));
        assert!(manager.may(Action::Assign(ORG)) && admin.may(Action::Assign(ORG)));
        assert!(!learner.may(Action::Assign(ORG)) && !auditor.may(Action::Assign(ORG)));
        assert!(!manager.may(Action::Assign(OTHER)));
        assert!(!manager.may(Action::Audit(ORG)) && !manager.may(Action::Administer(ORG)));
        assert!(auditor.may(Action::Audit(ORG)) && !auditor.may(Action::Administer(ORG)));
        assert!(!auditor.may(Action::Remind(ORG)));
        assert!(admin.may(Action::Administer(ORG)) && admin.may(Action::Audit(ORG)));
        assert!(admin.may(Action::KeepRecords(ORG)) && !admin.may(Action::KeepRecords(OTHER)));
        assert!(!manager.may(Action::KeepRecords(ORG)) && !auditor.may(Action::KeepRecords(ORG)));
        assert!(!learner.may(Action::KeepRecords(ORG)));
        for p in [&learner, &manager, &admin, &auditor] {
            assert!(
                !p.may(Action::ViewCompliance(OTHER)),
                "{p:?} in a foreign organisation"
            );
            assert!(
                !p.may(Action::ViewPerson(OTHER, me)),
                "{p:?} in a foreign organisation"
            );
            assert!(!p.may(Action::OperatePlatform));
        }
        assert!(platform.may(Action::Administer(OTHER)) && platform.may(Action::OperatePlatform));
    }

    #[test]
    fn a_framework_is_applied_by_a_platform_admin_and_previewed_by_an_organisation_admin() {
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let auditor = Principal {
            person: None,
            grants: vec![grant(Role::Auditor, Some(1), None)],
        };
        let manager = Principal {
            person: None,
            grants: vec![grant(Role::Manager, Some(1), Some(2))],
        };
        let platform = Principal {
            person: None,
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };
        assert!(platform.may(Action::ApplyFramework));
        assert!(
            platform.may(Action::PreviewChange(OTHER)) && platform.may(Action::ViewChanges(OTHER))
        );
        assert!(
            !admin.may(Action::ApplyFramework),
            "a national change reaches every organisation"
        );
        assert!(admin.may(Action::PreviewChange(ORG)) && admin.may(Action::ViewChanges(ORG)));
        assert!(!admin.may(Action::PreviewChange(OTHER)) && !admin.may(Action::ViewChanges(OTHER)));
        assert!(auditor.may(Action::ViewChanges(ORG)) && !auditor.may(Action::PreviewChange(ORG)));
        assert!(!manager.may(Action::ViewChanges(ORG)) && !manager.may(Action::PreviewChange(ORG)));
        assert!(!auditor.may(Action::ApplyFramework) && !manager.may(Action::ApplyFramework));
    }

    #[test]
    fn revalidation_evidence_is_recorded_by_the_registrant_or_a_manager() {
        let me = PersonId(7);
        let learner = Principal {
            person: Some(me),
            grants: vec![grant(Role::Learner, Some(1), None)],
        };
        let manager = Principal {
            person: None,
            grants: vec![grant(Role::Manager, Some(1), Some(2))],
        };
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let auditor = Principal {
            person: None,
            grants: vec![grant(Role::Auditor, Some(1), None)],
        };
        assert!(learner.may(Action::RecordEvidence(ORG, me)));
        assert!(
            !learner.may(Action::RecordEvidence(ORG, PersonId(8))),
            "not someone else's"
        );
        assert!(
            !learner.may(Action::RecordEvidence(OTHER, me)),
            "not where they are no learner"
        );
        assert!(
            manager.may(Action::RecordEvidence(ORG, PersonId(8))),
            "their scope decides who"
        );
        assert!(!manager.may(Action::RecordEvidence(OTHER, PersonId(8))));
        assert!(admin.may(Action::RecordEvidence(ORG, me)));
        assert!(!admin.may(Action::RecordEvidence(OTHER, me)));
        assert!(
            !auditor.may(Action::RecordEvidence(ORG, me)),
            "auditors read"
        );
        assert!(auditor.may(Action::ViewPerson(ORG, me)));
    }

    #[test]
    fn an_accounts_credentials_are_an_organisation_admins_only_when_all_its_roles_are_there() {
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let platform = Principal {
            person: None,
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };
        let ours = [
            grant(Role::Learner, Some(1), None),
            grant(Role::Manager, Some(1), Some(2)),
        ];
        let also_elsewhere = [
            grant(Role::Learner, Some(1), None),
            grant(Role::OrgAdmin, Some(2), None),
        ];
        let a_platform_admin = [
            grant(Role::Auditor, Some(1), None),
            grant(Role::PlatformAdmin, None, None),
        ];
        assert_eq!(AccountSpan::of(&ours, ORG), AccountSpan::Within);
        assert_eq!(AccountSpan::of(&also_elsewhere, ORG), AccountSpan::Beyond);
        assert_eq!(AccountSpan::of(&a_platform_admin, ORG), AccountSpan::Beyond);
        let within = Action::ManageAccount(ORG, AccountSpan::Within);
        let beyond = Action::ManageAccount(ORG, AccountSpan::Beyond);
        assert!(admin.may(within));
        assert!(
            !admin.may(beyond),
            "an account with roles elsewhere is not theirs"
        );
        assert!(!admin.may(Action::ManageAccount(OTHER, AccountSpan::Within)));
        assert!(platform.may(beyond) && platform.may(within));
        // Granting and removing roles in their own organisation stays theirs whatever else the account holds.
        assert!(admin.may(Action::Administer(ORG)));
    }

    #[test]
    fn a_managers_scope_is_their_units_and_below() {
        let h = hierarchy();
        let manager = Principal {
            person: None,
            grants: vec![
                grant(Role::Manager, Some(1), Some(2)),
                grant(Role::Manager, Some(1), Some(4)),
            ],
        };
        let scope = manager.scope();
        assert_eq!(scope, Scope::units(ORG, vec![UnitId(2), UnitId(4)]));
        assert!(scope.sees_unit(ORG, UnitId(2), &h) && scope.sees_unit(ORG, UnitId(4), &h));
        assert!(!scope.sees_unit(ORG, UnitId(1), &h), "not the parent");
        assert!(!scope.sees_unit(ORG, UnitId(3), &h), "not a sibling");
        assert!(!scope.sees_whole_org(ORG));
        assert!(!scope.sees_org(OTHER));
        assert!(scope.sees_person(ORG, PersonId(9), [UnitId(3), UnitId(2)], &h));
        assert!(!scope.sees_person(ORG, PersonId(9), [UnitId(3)], &h));
    }

    #[test]
    fn a_learner_sees_only_themselves_and_roles_span_organisations() {
        let h = hierarchy();
        let rotating = Principal {
            person: Some(PersonId(5)),
            grants: vec![
                grant(Role::Learner, Some(1), None),
                grant(Role::Learner, Some(2), None),
            ],
        };
        let scope = rotating.scope();
        assert!(scope.sees_person(ORG, PersonId(5), [], &h));
        assert!(scope.sees_person(OTHER, PersonId(5), [], &h));
        assert!(!scope.sees_person(ORG, PersonId(6), [UnitId(2)], &h));
        assert!(!scope.sees_unit(ORG, UnitId(2), &h));
        assert!(rotating.may(Action::ViewPerson(OTHER, PersonId(5))));
    }

    #[test]
    fn the_navigation_offers_each_role_its_own_areas() {
        let areas = |p: &Principal| -> Vec<Area> {
            [
                Area::MyTraining,
                Area::MyTeam,
                Area::Organisations,
                Area::Administration,
            ]
            .into_iter()
            .filter(|a| p.may(Action::Open(*a)))
            .collect()
        };
        let person = |grants: Vec<RoleGrant>| Principal {
            person: Some(PersonId(7)),
            grants,
        };
        assert_eq!(
            areas(&person(vec![grant(Role::Learner, Some(1), None)])),
            [Area::MyTraining]
        );
        // A learner role needs a staff record to show: an account without one has no training of its own.
        assert!(
            areas(&Principal {
                person: None,
                grants: vec![grant(Role::Learner, Some(1), None)],
            })
            .is_empty()
        );
        assert_eq!(
            areas(&person(vec![
                grant(Role::Learner, Some(1), None),
                grant(Role::Manager, Some(1), Some(2)),
            ])),
            [Area::MyTraining, Area::MyTeam]
        );
        assert_eq!(
            areas(&person(vec![grant(Role::Auditor, Some(1), None)])),
            [Area::MyTeam, Area::Organisations]
        );
        assert_eq!(
            areas(&person(vec![grant(Role::OrgAdmin, Some(2), None)])),
            [Area::MyTeam, Area::Organisations, Area::Administration]
        );
        assert_eq!(
            areas(&person(vec![grant(Role::PlatformAdmin, None, None)])),
            [Area::Organisations]
        );
    }

    #[test]
    fn own_training_is_a_learners_in_that_organisation_only() {
        let learner = Principal {
            person: Some(PersonId(7)),
            grants: vec![
                grant(Role::Learner, Some(1), None),
                grant(Role::Manager, Some(2), Some(4)),
            ],
        };
        assert!(learner.may(Action::ViewOwnTraining(ORG)));
        assert!(learner.may(Action::Learn(ORG)));
        assert!(
            !learner.may(Action::ViewOwnTraining(OTHER)),
            "a manager there, not a learner"
        );
        assert!(
            !learner.may(Action::Learn(OTHER)),
            "courses are a learner's"
        );
        let unlinked = Principal {
            person: None,
            ..learner.clone()
        };
        assert!(!unlinked.may(Action::ViewOwnTraining(ORG)));
        let platform = Principal {
            person: Some(PersonId(7)),
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };
        assert!(!platform.may(Action::ViewOwnTraining(ORG)));
    }

    #[test]
    fn an_admin_grants_roles_in_their_organisation_but_never_platform_admin_nor_their_own_removal()
    {
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let platform = Principal {
            person: None,
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };
        for role in [Role::Learner, Role::Manager, Role::OrgAdmin, Role::Auditor] {
            assert!(admin.may(Action::Grant(ORG, role)), "{role:?}");
            assert!(!admin.may(Action::Grant(OTHER, role)), "{role:?} elsewhere");
            assert!(admin.may(Action::Revoke(ORG, role, Whose::Other)));
            assert!(platform.may(Action::Grant(OTHER, role)));
        }
        assert!(!admin.may(Action::Grant(ORG, Role::PlatformAdmin)));
        assert!(
            !platform.may(Action::Grant(ORG, Role::PlatformAdmin)),
            "made on the command line"
        );
        assert!(!admin.may(Action::Revoke(ORG, Role::OrgAdmin, Whose::Own)));
        assert!(admin.may(Action::Revoke(ORG, Role::Auditor, Whose::Own)));
        assert!(!admin.may(Action::Revoke(OTHER, Role::Auditor, Whose::Other)));
    }

    #[test]
    fn authors_and_admins_author_in_their_own_organisation_only() {
        let author = Principal {
            person: None,
            grants: vec![grant(Role::Author, Some(1), None)],
        };
        let admin = Principal {
            person: None,
            grants: vec![grant(Role::OrgAdmin, Some(1), None)],
        };
        let platform = Principal {
            person: None,
            grants: vec![grant(Role::PlatformAdmin, None, None)],
        };
        assert!(author.may(Action::Author(ORG)) && admin.may(Action::Author(ORG)));
        assert!(platform.may(Action::Author(OTHER)));
        assert!(!author.may(Action::Author(OTHER)) && !admin.may(Action::Author(OTHER)));
        assert!(
            !author.may(Action::Administer(ORG)) && !author.may(Action::ViewCompliance(ORG)),
            "an author builds courses; people's data is not theirs"
        );
        let scope = author.scope();
        assert!(scope.sees_org(ORG) && !scope.sees_whole_org(ORG) && !scope.sees_org(OTHER));
        assert!(
            !scope.sees_person(ORG, PersonId(7), [UnitId(2)], &hierarchy()),
            "an author sees no one"
        );
        assert!(!scope.sees_unit(ORG, UnitId(1), &hierarchy()) && scope.granted_units().is_empty());
        assert!(
            !author.may(Action::Learn(ORG)),
            "taking courses is a learner's"
        );
        for p in [
            Principal {
                person: None,
                grants: vec![grant(Role::Learner, Some(1), None)],
            },
            Principal {
                person: None,
                grants: vec![grant(Role::Manager, Some(1), Some(2))],
            },
            Principal {
                person: None,
                grants: vec![grant(Role::Auditor, Some(1), None)],
            },
        ] {
            assert!(!p.may(Action::Author(ORG)), "{p:?}");
            assert!(!p.may(Action::Open(Area::Authoring)), "{p:?}");
        }
        assert!(
            author.may(Action::Open(Area::Authoring)) && admin.may(Action::Open(Area::Authoring))
        );
        assert!(admin.may(Action::Grant(ORG, Role::Author)));
        assert!(!author.may(Action::Grant(ORG, Role::Author)));
        assert!(grant(Role::Author, Some(1), None).problem().is_none());
        assert!(grant(Role::Author, Some(1), Some(2)).problem().is_some());
        assert_eq!(Role::parse("author"), Some(Role::Author));
    }

    #[test]
    fn a_refusal_names_the_role_only_where_the_caller_belongs() {
        let manager = Principal {
            person: None,
            grants: vec![grant(Role::Manager, Some(1), Some(2))],
        };
        assert!(manager.belongs_to(ORG) && !manager.belongs_to(OTHER));
        assert_eq!(Action::Audit(ORG).org(), Some(ORG));
        assert_eq!(Action::Open(Area::MyTeam).org(), None);
    }

    #[test]
    fn a_managers_units_are_offered_in_the_order_granted_across_organisations() {
        let manager = Principal {
            person: Some(PersonId(3)),
            grants: vec![
                grant(Role::Manager, Some(2), Some(9)),
                grant(Role::Learner, Some(1), None),
                grant(Role::Manager, Some(1), Some(2)),
                grant(Role::Manager, Some(1), Some(4)),
                grant(Role::OrgAdmin, Some(1), None),
            ],
        };
        assert_eq!(
            manager.scope().granted_units(),
            [(OTHER, UnitId(9)), (ORG, UnitId(2)), (ORG, UnitId(4))]
        );
        assert!(Scope::Platform.granted_units().is_empty());
    }

    #[test]
    fn malformed_grants_are_named() {
        assert!(grant(Role::Manager, Some(1), None).problem().is_some());
        assert!(grant(Role::OrgAdmin, Some(1), Some(2)).problem().is_some());
        assert!(grant(Role::Auditor, None, None).problem().is_some());
        assert!(
            grant(Role::PlatformAdmin, Some(1), None)
                .problem()
                .is_some()
        );
        assert!(grant(Role::Manager, Some(1), Some(2)).problem().is_none());
        assert!(grant(Role::PlatformAdmin, None, None).problem().is_none());
    }
}
