//! Revalidation pages: a registrant's requirements and evidence, recording and withdrawing items and downloading
//! their files (`person.rs`). A manager's team view is `pages/team/revalidation.rs`. What each regulator asks for is
//! decided in `lantern_domain::revalidation`; these pages show it and record evidence.

pub mod person;

use lantern_domain::revalidation::{Readiness, Revalidation};

/// Readiness as pages show it, callable from templates (`revalidation_card.html`).
pub(crate) trait RevalidationExt {
    fn tag_class(&self) -> &'static str;
    fn readiness_text(&self) -> String;
}

impl RevalidationExt for Revalidation {
    fn tag_class(&self) -> &'static str {
        match self.readiness {
            Readiness::OnTrack => "nhsuk-tag--green",
            Readiness::NotYet => "nhsuk-tag--yellow",
            Readiness::NotAssessed => "nhsuk-tag--grey",
        }
    }

    fn readiness_text(&self) -> String {
        match self.readiness {
            Readiness::NotYet => format!("Not yet: {} of {} met", self.met(), self.checks.len()),
            other => other.label().to_owned(),
        }
    }
}
