//! Where a requirement is done: a course in Lantern that satisfies it (the organisation's own, or one shared with
//! it), else the link the organisation set for it (a national e-learning course, a booking page). My training, the
//! person page and the reminder emails all say the same thing from here.

use crate::AppState;
use lantern_domain::OrgId;
use lantern_store::completion_links::CompletionLink;
use lantern_store::learning::CourseEntry;

/// One organisation's courses and links, loaded once for a page or a round of emails.
pub struct Routes {
    ods: String,
    courses: Vec<CourseEntry>,
    links: Vec<CompletionLink>,
}

/// Where one requirement is done.
pub enum Where<'a> {
    Course(&'a CourseEntry),
    Link(&'a CompletionLink),
}

impl Routes {
    pub async fn load(state: &AppState, org: OrgId, ods: &str) -> lantern_store::Result<Routes> {
        let mut courses = state.store.courses(org).await?;
        courses.extend(state.store.shared_courses(org).await?);
        Ok(Routes {
            ods: ods.to_owned(),
            courses,
            links: state.store.completion_links(org).await?,
        })
    }

    /// The course that satisfies the requirement, else the organisation's link for it.
    pub fn find(&self, subject: &str, level: u8) -> Option<Where<'_>> {
        self.course(subject, level)
            .map(Where::Course)
            .or_else(|| self.link(subject).map(Where::Link))
    }

    /// The course here that satisfies the requirement (at the lowest level that does).
    pub fn course(&self, subject: &str, level: u8) -> Option<&CourseEntry> {
        super::pathway::course_for(&self.courses, subject, level)
    }

    /// The organisation's link for the requirement's subject.
    pub fn link(&self, subject: &str) -> Option<&CompletionLink> {
        self.links.iter().find(|l| l.subject == subject)
    }

    /// The address of a course's page in Lantern, from the site's root.
    pub fn course_path(&self, c: &CourseEntry) -> String {
        format!(
            "/orgs/{}/learning/courses/{}",
            self.ods,
            c.address_in(&self.ods)
        )
    }

    /// The line an email gives: "Do it in Lantern: Title, https://..." or "How to complete it: label, https://...".
    pub fn email_line(&self, subject: &str, level: u8, public_url: &str) -> Option<String> {
        Some(match self.find(subject, level)? {
            Where::Course(c) => format!(
                "Do it in Lantern: {} (about {} minutes), {}{}",
                c.course.title,
                c.course.estimated_minutes(),
                public_url.trim_end_matches('/'),
                self.course_path(c)
            ),
            Where::Link(l) => format!("How to complete it: {}, {}", l.label, l.url),
        })
    }
}
