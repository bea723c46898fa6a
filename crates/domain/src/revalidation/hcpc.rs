//! HCPC registration renewal, for allied health and other professions.
//!
//! Sources: HCPC, "Standards of continuing professional development"
//! (https://www.hcpc-uk.org/standards/standards-of-continuing-professional-development/) and "CPD audit do's and
//! don'ts" (2019):
//! - registration is renewed every 2 years; at renewal a registrant declares they meet the CPD standards;
//! - the five standards: a continuous, up-to-date and accurate record of CPD activities (1); a mixture of learning
//!   activities relevant to current or future practice (2); CPD that has contributed to the quality of practice and
//!   service delivery (3) and that benefits service users (4); and, on request, a written profile explaining how the
//!   standards are met (5);
//! - at each renewal the HCPC audits 2.5% of each profession at random: the profile describes 4 to 6 activities from
//!   the last 2 years, with a dated list of all of them, and explains gaps of 3 months or more.

use super::{Check, Evidence, EvidenceKind, Items, Revalidation, cycle_end, months_before};
use crate::Date;
use crate::model::{RecordFact, Registration};

/// The fewest activities an audit profile describes.
const PROFILE_ACTIVITIES: usize = 4;

pub(super) fn summarise(
    reg: &Registration,
    records: &[RecordFact],
    evidence: &[Evidence],
    today: Date,
) -> Revalidation {
    let to = cycle_end(reg, today);
    let from = months_before(to, 24);
    let items = Items::new(reg, records, evidence, from, to, today);
    let n = items.activities();
    let count = |n: usize| match n {
        0 => "none recorded".to_owned(),
        1 => "1 activity".to_owned(),
        n => format!("{n} activities"),
    };
    let checks = vec![
        Check {
            item: "A continuous record of CPD (standard 1)".to_owned(),
            needed: "activities recorded through the 2 years".to_owned(),
            have: count(n),
            met: n > 0,
            evidence: Some(EvidenceKind::CpdActivity),
            detail: Some(
                "Your training records count, and CPD activities you record here. If you are audited, explain any \
                 gap of 3 months or more."
                    .to_owned(),
            ),
        },
        Check {
            item: "Enough for an audit profile (standard 5)".to_owned(),
            needed: format!("{PROFILE_ACTIVITIES} to 6 activities from the last 2 years"),
            have: count(n),
            met: n >= PROFILE_ACTIVITIES,
            evidence: Some(EvidenceKind::CpdActivity),
            detail: None,
        },
    ];
    let mut out = items.summary(reg, from, to, checks);
    out.standard =
        "HCPC: renewal every 2 years, declaring that you meet the five standards of CPD".to_owned();
    out.notes = vec![
        "The five standards: keep a continuous, up-to-date and accurate record of your CPD (1); make it a mixture of \
         learning activities relevant to your current or future practice (2); make sure it has contributed to the \
         quality of your practice and service delivery (3) and benefits service users (4); and, if asked, send a \
         written profile, your own work with evidence, explaining how you meet them (5)."
            .to_owned(),
        "Audit: at each renewal the HCPC picks 2.5% of each profession at random to send a CPD profile. It describes \
         4 to 6 activities from the last 2 years, lists every activity with its date, and explains any gap of 3 \
         months or more."
            .to_owned(),
        "Lantern checks standards 1 and 5 from what is recorded; standards 2 to 4 are yours to show in the profile."
            .to_owned(),
    ];
    out
}
