//! The scenarios Lantern ships (`scenarios/*.toml` at the repository root), compiled into the binary.

/// File name and text of each shipped scenario, in the order the catalogue lists them.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "sepsis-post-op.toml",
        include_str!("../../../scenarios/sepsis-post-op.toml"),
    ),
    (
        "sepsis-post-op-team.toml",
        include_str!("../../../scenarios/sepsis-post-op-team.toml"),
    ),
    (
        "copd-scale-2.toml",
        include_str!("../../../scenarios/copd-scale-2.toml"),
    ),
    (
        "ai-sepsis-alert-false-positive.toml",
        include_str!("../../../scenarios/ai-sepsis-alert-false-positive.toml"),
    ),
    (
        "ai-test-prevalence.toml",
        include_str!("../../../scenarios/ai-test-prevalence.toml"),
    ),
    (
        "ai-cxr-triage-missed-pneumothorax.toml",
        include_str!("../../../scenarios/ai-cxr-triage-missed-pneumothorax.toml"),
    ),
    (
        "ai-discharge-summary-dose.toml",
        include_str!("../../../scenarios/ai-discharge-summary-dose.toml"),
    ),
    (
        "ai-risk-dashboard-data-quality.toml",
        include_str!("../../../scenarios/ai-risk-dashboard-data-quality.toml"),
    ),
    (
        "ai-skin-lesion-bias.toml",
        include_str!("../../../scenarios/ai-skin-lesion-bias.toml"),
    ),
    (
        "ai-chatbot-information-governance.toml",
        include_str!("../../../scenarios/ai-chatbot-information-governance.toml"),
    ),
];

/// A shipped scenario's file name and text, by id.
pub fn find(id: &str) -> Option<(&'static str, &'static str)> {
    SHIPPED
        .iter()
        .find(|(name, _)| name.strip_suffix(".toml") == Some(id))
        .copied()
}
