//! The Result object and its Score (xAPI 1.0.3 Data 2.4.5).

use serde_json::Value;

use crate::error::{Result, XapiError};
use crate::json::{Path, as_object, check_keys, field, opt_bool, opt_number, opt_str};
use crate::types::{check_duration, check_extensions};

const RESULT_KEYS: [&str; 6] = [
    "score",
    "success",
    "completion",
    "response",
    "duration",
    "extensions",
];
const SCORE_KEYS: [&str; 4] = ["scaled", "raw", "min", "max"];

/// What a statement's result says of how the attempt went; a part the statement does not give is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ResultFacts<'a> {
    pub success: Option<bool>,
    /// result.score.scaled, from -1 to 1.
    pub scaled: Option<f64>,
    /// result.duration, an ISO 8601 duration.
    pub duration: Option<&'a str>,
}

/// The result facts of a statement (the statement itself, not a SubStatement in its object).
pub fn result_facts(statement: &Value) -> ResultFacts<'_> {
    let Some(r) = statement.get("result") else {
        return ResultFacts::default();
    };
    ResultFacts {
        success: r.get("success").and_then(Value::as_bool),
        scaled: r
            .get("score")
            .and_then(|s| s.get("scaled"))
            .and_then(Value::as_f64),
        duration: r.get("duration").and_then(Value::as_str),
    }
}

pub(crate) fn validate_result(v: &Value, path: &Path<'_>) -> Result<()> {
    let m = as_object(v, path, "a Result object")?;
    check_keys(m, &RESULT_KEYS, path, "a Result")?;
    if let Some(score) = field(m, "score", path)? {
        validate_score(score, &path.key("score"))?;
    }
    opt_bool(m, "success", path)?;
    opt_bool(m, "completion", path)?;
    opt_str(m, "response", path)?;
    if let Some(d) = field(m, "duration", path)? {
        check_duration(d, &path.key("duration"))?;
    }
    if let Some(ext) = field(m, "extensions", path)? {
        check_extensions(ext, &path.key("extensions"))?;
    }
    Ok(())
}

/// Data 2.4.5.1.s2 table: scaled in [-1, 1]; min < max; min <= raw <= max where given.
fn validate_score(v: &Value, path: &Path<'_>) -> Result<()> {
    let m = as_object(v, path, "a Score object")?;
    check_keys(m, &SCORE_KEYS, path, "a Score")?;
    let scaled = opt_number(m, "scaled", path)?;
    let raw = opt_number(m, "raw", path)?;
    let min = opt_number(m, "min", path)?;
    let max = opt_number(m, "max", path)?;
    if let Some(s) = scaled
        && !(-1.0..=1.0).contains(&s)
    {
        return Err(XapiError::new(
            path.key("scaled"),
            format!("must be between -1 and 1 inclusive, got {s}"),
        ));
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo >= hi
    {
        return Err(XapiError::new(
            path.key("min"),
            format!("must be less than max ({hi}), got {lo}"),
        ));
    }
    if let Some(r) = raw {
        if let Some(lo) = min.filter(|lo| r < *lo) {
            return Err(XapiError::new(
                path.key("raw"),
                format!("must not be below min ({lo}), got {r}"),
            ));
        }
        if let Some(hi) = max.filter(|hi| r > *hi) {
            return Err(XapiError::new(
                path.key("raw"),
                format!("must not be above max ({hi}), got {r}"),
            ));
        }
    }
    Ok(())
}
