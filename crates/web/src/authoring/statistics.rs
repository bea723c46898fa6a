//! A bank's item statistics: per question, the attempts behind the figures, facility (the share who got it right)
//! and discrimination (the corrected point-biserial correlation with the rest of the paper), with a flag on
//! questions that look broken once enough attempts stand behind them (`lantern_learning::assessment`). Facility is
//! drawn as a bar, with the figure beside it in text.

use super::author_org;
use crate::AppState;
use crate::pages::PageResult;
use crate::pages::layout::{Layout, Page};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use lantern_learning::assessment::{ItemFlag, MIN_ATTEMPTS_FOR_FLAGS, item_statistics};

pub struct ItemRow {
    pub id: String,
    pub stem: String,
    pub outcome: String,
    pub attempts: usize,
    /// Whole per cent.
    pub facility: u32,
    pub discrimination: String,
    pub flag: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "authoring_statistics.html")]
pub struct StatisticsPage {
    layout: Layout,
    ods: String,
    code: String,
    papers: usize,
    rows: Vec<ItemRow>,
    min_attempts: usize,
}

pub async fn page(
    State(state): State<AppState>,
    page: Page,
    Path((ods, code)): Path<(String, String)>,
) -> PageResult<StatisticsPage> {
    let org = author_org(&state, &page.caller, &ods).await?;
    let data = state.store.bank_responses(org.id, &code).await?;
    let stats = item_statistics(&data.responses);
    // Every question of the latest version, asked or not yet; then any asked only in earlier versions.
    let mut rows: Vec<ItemRow> = data
        .questions
        .iter()
        .map(|q| {
            let s = stats.iter().find(|s| s.question == q.id);
            ItemRow {
                id: q.id.clone(),
                stem: q.stem.clone(),
                outcome: q.outcome.clone(),
                attempts: s.map_or(0, |s| s.attempts),
                facility: s.map_or(0, |s| (s.facility * 100.0).round() as u32),
                discrimination: s
                    .and_then(|s| s.discrimination)
                    .map_or("Not enough spread yet".to_owned(), |d| format!("{d:.2}")),
                flag: s.and_then(|s| s.flag).map(|f| match f {
                    ItemFlag::NegativeDiscrimination => {
                        "Stronger candidates get it wrong more often: check the key and the wording"
                    }
                    ItemFlag::VeryHard => {
                        "Fewer than 1 in 5 get it right: check the key and the wording"
                    }
                    ItemFlag::VeryEasy => "Almost everyone gets it right: it tells nobody apart",
                }),
            }
        })
        .collect();
    for s in &stats {
        if !rows.iter().any(|r| r.id == s.question) {
            rows.push(ItemRow {
                id: s.question.clone(),
                stem: "(no longer in the bank)".into(),
                outcome: String::new(),
                attempts: s.attempts,
                facility: (s.facility * 100.0).round() as u32,
                discrimination: s
                    .discrimination
                    .map_or("-".to_owned(), |d| format!("{d:.2}")),
                flag: None,
            });
        }
    }
    Ok(StatisticsPage {
        layout: page.layout,
        ods: org.ods_code.to_string(),
        code,
        papers: data.responses.len(),
        rows,
        min_attempts: MIN_ATTEMPTS_FOR_FLAGS,
    })
}
