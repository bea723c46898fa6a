//! What a caller may see. Every people-returning store method takes one.

use lantern_domain::rollup::Hierarchy;
use lantern_domain::{OrgId, UnitId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything: platform administrators and the command line.
    Platform,
    /// Whole organisations, or units (with everything below them) within organisations.
    Grants(Vec<Grant>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub org: OrgId,
    /// None: the whole organisation.
    pub units: Option<Vec<UnitId>>,
}

impl Scope {
    pub fn org(org: OrgId) -> Self {
        Scope::Grants(vec![Grant { org, units: None }])
    }

    pub fn units(org: OrgId, units: Vec<UnitId>) -> Self {
        Scope::Grants(vec![Grant {
            org,
            units: Some(units),
        }])
    }

    /// May the caller see anything of this organisation?
    pub fn sees_org(&self, org: OrgId) -> bool {
        match self {
            Scope::Platform => true,
            Scope::Grants(g) => g.iter().any(|g| g.org == org),
        }
    }

    /// May the caller see the whole organisation (its totals)?
    pub fn sees_whole_org(&self, org: OrgId) -> bool {
        match self {
            Scope::Platform => true,
            Scope::Grants(g) => g.iter().any(|g| g.org == org && g.units.is_none()),
        }
    }

    /// May the caller see this unit (because it is, or is below, a granted unit)?
    pub fn sees_unit(&self, org: OrgId, unit: UnitId, hierarchy: &Hierarchy) -> bool {
        match self {
            Scope::Platform => true,
            Scope::Grants(g) => g.iter().any(|g| {
                g.org == org
                    && g.units
                        .as_ref()
                        .is_none_or(|units| units.iter().any(|u| hierarchy.is_within(unit, *u)))
            }),
        }
    }
}
