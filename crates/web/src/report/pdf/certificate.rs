//! A completion certificate for one completed course attempt: who, which course and version, the requirements it
//! renewed, when, where, how (the course, or its assessment taken first), and the attempt's reference, which is
//! also the evidence reference of the training records it made. Written as PDF/UA-1 like the report, with the same
//! layout and embedded Noto Sans.

use super::layout::{Block, Content};

/// What a certificate says.
pub struct Certificate {
    pub name: String,
    pub employee_number: String,
    pub course_title: String,
    pub course_version: u32,
    /// "Fire safety level 1", for each requirement the course satisfies.
    pub requirements: Vec<String>,
    /// The organisation's date of completion.
    pub completed_on: chrono::NaiveDate,
    /// Completed by passing the assessment first (test-out).
    pub tested_out: bool,
    pub org_name: String,
    pub ods_code: String,
    /// The attempt's reference: the training records' evidence reference.
    pub reference: String,
    pub generated_at: chrono::DateTime<chrono::Utc>,
}

impl Certificate {
    fn title(&self) -> String {
        format!("Certificate of completion: {}", self.course_title)
    }

    fn blocks(&self) -> Vec<Block> {
        let para = |label: &str, text: String| Block::Para {
            label: Some(format!("{label}: ")),
            text,
            size: 12.0,
        };
        let how = if self.tested_out {
            "by passing the course's assessment (test-out)"
        } else {
            "by completing the course"
        };
        vec![
            Block::Heading {
                level: 1,
                text: "Certificate of completion".into(),
            },
            Block::Para {
                label: None,
                text: format!(
                    "This certifies that {} completed {}, version {}, on {}, {how}.",
                    self.name,
                    self.course_title,
                    self.course_version,
                    self.completed_on.format("%-d %B %Y")
                ),
                size: 14.0,
            },
            para("Name", self.name.clone()),
            para("Employee number", self.employee_number.clone()),
            para(
                "Course",
                format!("{}, version {}", self.course_title, self.course_version),
            ),
            para(
                "Requirements",
                if self.requirements.is_empty() {
                    "none (a development course)".to_owned()
                } else {
                    self.requirements.join("; ")
                },
            ),
            para("Completed", self.completed_on.format("%-d %B %Y").to_string()),
            para(
                "Organisation",
                format!("{} ({})", self.org_name, self.ods_code),
            ),
            para("Reference", self.reference.clone()),
            Block::Para {
                label: None,
                text: "The completion is on the person's training record in Lantern under this reference, with \
                       the provider and date above."
                    .into(),
                size: 9.5,
            },
        ]
    }

    /// The certificate as a PDF.
    pub fn pdf(&self) -> anyhow::Result<Vec<u8>> {
        let footer_head = format!("Lantern certificate. {}", self.reference);
        let generated = format!(
            "Generated {} UTC",
            self.generated_at.format("%-d %B %Y %H:%M")
        );
        let content = Content {
            blocks: self.blocks(),
            footer: Box::new(move |page, total| {
                [
                    format!("{footer_head}. Page {page} of {total}"),
                    generated.clone(),
                ]
            }),
        };
        super::write(
            &content,
            self.title(),
            self.reference.clone(),
            self.generated_at,
        )
        .map_err(|e| e.context("writing a certificate's PDF"))
    }
}
