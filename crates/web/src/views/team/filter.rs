//! What the team view is asked for: the unit, the filters (each optional, all applied together), the order, the
//! layout, and the people picked for a bulk action. The page, its downloads, its reminders and `GET /api/v1/team`
//! read the same query string the same way, so each acts on exactly the people the manager sees.

use crate::AppError;
use lantern_domain::{RequirementKey, Status, UnitId};
use serde::Serialize;
use utoipa::ToSchema;

/// How the team is filtered, sorted and laid out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamFilter {
    /// Which of the caller's units; None is the first.
    pub unit: Option<UnitId>,
    /// Only people with this status (for `requirement` when given, else for any requirement).
    pub status: Option<StatusFilter>,
    /// Only this staff group.
    pub group: Option<String>,
    /// Only people this requirement applies to, and only its column.
    pub requirement: Option<RequirementKey>,
    pub sort: TeamSort,
    /// Status only in each cell (no dates): more columns fit.
    pub compact: bool,
}

/// A status to filter on: one status, or "overdue" (expired or missing), what a heatmap cell's count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Overdue,
    Is(Status),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "overdue" => Some(StatusFilter::Overdue),
            s => Status::parse(s).map(StatusFilter::Is),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            StatusFilter::Overdue => "overdue",
            StatusFilter::Is(s) => s.code(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Overdue => "Overdue (expired or missing)",
            StatusFilter::Is(s) => s.label(),
        }
    }

    pub fn matches(self, status: Status) -> bool {
        match self {
            StatusFilter::Overdue => status.is_overdue(),
            StatusFilter::Is(s) => s == status,
        }
    }

    /// Every choice, for the filter's select: overdue first.
    pub fn all() -> Vec<StatusFilter> {
        std::iter::once(StatusFilter::Overdue)
            .chain(Status::ALL.into_iter().map(StatusFilter::Is))
            .collect()
    }
}

/// The order of the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamSort {
    /// Most overdue first, then by name.
    #[default]
    Overdue,
    Name,
}

impl TeamSort {
    pub fn code(self) -> &'static str {
        match self {
            TeamSort::Overdue => "overdue",
            TeamSort::Name => "name",
        }
    }
}

/// A team request: the filter, and the people picked for a bulk action (`person`, repeated), if any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamRequest {
    pub filter: TeamFilter,
    pub people: Vec<i64>,
}

impl TeamRequest {
    /// Reads a query string or form body ("" counts as absent; other fields, such as the CSRF token, are ignored),
    /// naming a bad field.
    pub fn parse(raw: &[u8]) -> Result<Self, AppError> {
        let mut req = TeamRequest::default();
        let number = |field: &str, v: &str| -> Result<i64, AppError> {
            v.parse()
                .map_err(|_| AppError::BadRequest(format!("{field} must be a number, not {v:?}")))
        };
        for (k, v) in form_urlencoded::parse(raw) {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let f = &mut req.filter;
            match k.as_ref() {
                "unit" => f.unit = Some(UnitId(number("unit", v)?)),
                "status" => {
                    f.status = Some(
                        StatusFilter::parse(v)
                            .ok_or_else(|| AppError::BadRequest(format!("unknown status {v:?}")))?,
                    )
                }
                "group" => f.group = Some(v.to_owned()),
                "requirement" => {
                    f.requirement = Some(
                        v.parse::<RequirementKey>()
                            .map_err(|e| AppError::BadRequest(format!("requirement: {e}")))?,
                    )
                }
                "sort" => {
                    f.sort = if v == "name" {
                        TeamSort::Name
                    } else {
                        TeamSort::Overdue
                    }
                }
                "view" => f.compact = v == "compact",
                "person" => req.people.push(number("person", v)?),
                _ => {}
            }
        }
        Ok(req)
    }
}

impl TeamFilter {
    /// The filter as query-string fields (those set), for links and forms that keep it.
    pub fn fields(&self, unit: UnitId) -> Vec<(&'static str, String)> {
        [
            ("unit", Some(unit.0.to_string())),
            ("status", self.status.map(|s| s.code().to_owned())),
            ("group", self.group.clone()),
            ("requirement", self.requirement.as_ref().map(column_key)),
            ("sort", Some(self.sort.code().to_owned())),
            ("view", self.compact.then(|| "compact".to_owned())),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
    }

    /// Whether any filter narrows the people shown (the unit, order and layout do not).
    pub fn narrows(&self) -> bool {
        self.status.is_some() || self.group.is_some() || self.requirement.is_some()
    }
}

/// A requirement as the team's filter and columns name it: `subject:level`.
pub fn column_key(k: &RequirementKey) -> String {
    k.to_string()
}

/// Fields as a query string.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_reads_its_fields_and_names_a_bad_one() {
        let r = TeamRequest::parse(
            b"unit=12&status=overdue&group=+&requirement=cstf.fire%3A2&sort=name&view=compact&person=4&person=9&csrf_token=x",
        )
        .expect("parses");
        let f = &r.filter;
        assert_eq!(f.unit, Some(UnitId(12)));
        assert_eq!(f.status, Some(StatusFilter::Overdue));
        assert_eq!(f.group, None);
        assert_eq!(column_key(f.requirement.as_ref().unwrap()), "cstf.fire:2");
        assert_eq!(f.sort, TeamSort::Name);
        assert!(f.compact && f.narrows());
        assert_eq!(r.people, [4, 9]);
        assert_eq!(
            f.fields(UnitId(12)),
            [
                ("unit", "12".to_owned()),
                ("status", "overdue".to_owned()),
                ("requirement", "cstf.fire:2".to_owned()),
                ("sort", "name".to_owned()),
                ("view", "compact".to_owned()),
            ]
        );
        assert_eq!(
            TeamRequest::parse(b"status=expired").unwrap().filter.status,
            Some(StatusFilter::Is(Status::Expired))
        );
        assert!(!TeamRequest::parse(b"sort=name").unwrap().filter.narrows());
        for (bad, field) in [
            ("unit=x", "unit"),
            ("status=late", "status"),
            ("requirement=fire", "requirement"),
            ("requirement=fire:x", "level"),
            ("person=me", "person"),
        ] {
            let e = TeamRequest::parse(bad.as_bytes()).expect_err("refused");
            assert!(e.message().contains(field), "{}", e.message());
        }
    }

    #[test]
    fn overdue_is_expired_or_missing() {
        let o = StatusFilter::Overdue;
        assert!(o.matches(Status::Expired) && o.matches(Status::Missing));
        assert!(!o.matches(Status::Expiring) && !o.matches(Status::Pending));
        assert_eq!(StatusFilter::all().len(), Status::ALL.len() + 1);
    }
}
