//! NEWS2, the National Early Warning Score 2, as the Royal College of Physicians' chart of 2017 scores it (Royal
//! College of Physicians, "National Early Warning Score (NEWS) 2: Standardising the assessment of acute-illness
//! severity in the NHS", December 2017; chart 1 for the parameters, chart 2 for the SpO2 scales, charts 3 and 4 for
//! the clinical response and the frequency of monitoring).
//!
//! [`Input`] is what a caller sends: numbers as given, which [`Input::check`] turns into [`Observations`] or
//! refuses with the field and reason, both where NEWS2 does not apply (under 16, pregnancy) and where a value cannot
//! be real. [`score`] is the chart: each parameter's sub-score, the aggregate and the risk band.
//!
//! Temperatures are held in tenths of a degree, so the chart's edges (35.0/35.1, 36.0/36.1, 38.0/38.1, 39.0/39.1)
//! are compared exactly.

use serde::{Deserialize, Serialize};
use std::fmt;

/// ACVPU: alert, or new confusion, or responding only to voice or to pain, or unresponsive.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Consciousness {
    #[serde(rename = "A")]
    Alert,
    #[serde(rename = "C")]
    NewConfusion,
    #[serde(rename = "V")]
    Voice,
    #[serde(rename = "P")]
    Pain,
    #[serde(rename = "U")]
    Unresponsive,
}

/// Which SpO2 scale the patient is scored on. Scale 2 is for a prescribed target of 88-92%, in hypercapnic
/// respiratory failure, and only when a clinician has decided so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Spo2Scale {
    One,
    Two,
}

/// One set of observations, checked (see [`Input::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observations {
    /// Breaths per minute.
    pub respiration_rate: u16,
    /// Oxygen saturation, percent.
    pub spo2: u8,
    pub spo2_scale: Spo2Scale,
    /// Any supplemental oxygen.
    pub on_oxygen: bool,
    /// mmHg.
    pub systolic_bp: u16,
    /// Beats per minute.
    pub pulse: u16,
    pub consciousness: Consciousness,
    /// Degrees Celsius, in tenths (38.4 is 384).
    pub temperature_tenths: i16,
}

/// Observations as a caller sends them (`POST /api/v1/news2`): numbers as given, checked by [`Input::check`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub respiration_rate: f64,
    pub spo2: f64,
    /// 1 or 2.
    pub spo2_scale: f64,
    pub on_oxygen: bool,
    pub systolic_bp: f64,
    pub pulse: f64,
    pub consciousness: Consciousness,
    /// Degrees Celsius, to one decimal place.
    pub temperature: f64,
    /// Years, when known: NEWS2 is for adults of 16 and over.
    #[serde(default)]
    pub age: Option<f64>,
    /// When known: NEWS2 is not for use in pregnancy.
    #[serde(default)]
    pub pregnant: Option<bool>,
}

/// Why observations cannot be scored: the field at fault and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Refusal {
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

fn refuse(field: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        field,
        reason: reason.into(),
    }
}

/// A whole number from `lo` to `hi`. The upper limits are beyond anything a living patient shows (so an extreme
/// but real value, a pulse of 200 or a rate of 0 in arrest, is scored) and catch a slip of the keyboard.
fn whole(field: &'static str, v: f64, lo: u16, hi: u16, unit: &str) -> Result<u16, Refusal> {
    if !v.is_finite() || v.fract() != 0.0 {
        return Err(refuse(field, format!("must be a whole number of {unit}")));
    }
    if v < f64::from(lo) || v > f64::from(hi) {
        return Err(refuse(
            field,
            format!("{v} {unit} cannot be a real observation (from {lo} to {hi})"),
        ));
    }
    Ok(v as u16)
}

impl Input {
    /// The observations, or the first field that cannot be scored and why.
    pub fn check(&self) -> Result<Observations, Refusal> {
        if let Some(age) = self.age {
            if !age.is_finite() || !(0.0..=130.0).contains(&age) {
                return Err(refuse("age", format!("{age} cannot be an age in years")));
            }
            if age < 16.0 {
                return Err(refuse(
                    "age",
                    "NEWS2 is for adults of 16 and over; use a paediatric early warning score for a child",
                ));
            }
        }
        if self.pregnant == Some(true) {
            return Err(refuse(
                "pregnant",
                "NEWS2 is not for use in pregnancy; use the maternity early warning score",
            ));
        }
        let spo2_scale = if self.spo2_scale == 1.0 {
            Spo2Scale::One
        } else if self.spo2_scale == 2.0 {
            Spo2Scale::Two
        } else {
            return Err(refuse("spo2_scale", "must be 1 or 2"));
        };
        let tenths = self.temperature * 10.0;
        if !tenths.is_finite() || (tenths - tenths.round()).abs() > 1e-6 {
            return Err(refuse(
                "temperature",
                "must be in degrees Celsius to one decimal place, as the chart records it",
            ));
        }
        if !(100.0..=470.0).contains(&tenths.round()) {
            return Err(refuse(
                "temperature",
                format!(
                    "{} °C cannot be a real body temperature (from 10.0 to 47.0)",
                    self.temperature
                ),
            ));
        }
        Ok(Observations {
            respiration_rate: whole(
                "respiration_rate",
                self.respiration_rate,
                0,
                100,
                "breaths per minute",
            )?,
            spo2: whole("spo2", self.spo2, 0, 100, "percent")? as u8,
            spo2_scale,
            on_oxygen: self.on_oxygen,
            systolic_bp: whole("systolic_bp", self.systolic_bp, 0, 350, "mmHg")?,
            pulse: whole("pulse", self.pulse, 0, 350, "beats per minute")?,
            consciousness: self.consciousness,
            temperature_tenths: tenths.round() as i16,
        })
    }
}

/// Each parameter's sub-score (0 to 3).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Parts {
    pub respiration_rate: u8,
    pub spo2: u8,
    pub air_or_oxygen: u8,
    pub systolic_bp: u8,
    pub pulse: u8,
    pub consciousness: u8,
    pub temperature: u8,
}

impl Parts {
    fn all(&self) -> [u8; 7] {
        [
            self.respiration_rate,
            self.spo2,
            self.air_or_oxygen,
            self.systolic_bp,
            self.pulse,
            self.consciousness,
            self.temperature,
        ]
    }
}

/// The chart's clinical risk, by the aggregate and by any single parameter.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// An aggregate of 0 to 4, no parameter scoring 3.
    Low,
    /// A single parameter scoring 3, the aggregate under 5.
    LowMedium,
    /// An aggregate of 5 or 6: an urgent response.
    Medium,
    /// An aggregate of 7 or more: an emergency response.
    High,
}

/// A scored set of observations.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    pub total: u8,
    pub parts: Parts,
    pub risk: Risk,
    /// What the chart says to do, in a sentence.
    pub response: &'static str,
    /// The minimum frequency of observations.
    pub monitoring: &'static str,
}

/// The chart: each parameter's sub-score, the aggregate, the risk, the response and the monitoring.
pub fn score(o: &Observations) -> Score {
    let parts = Parts {
        respiration_rate: match o.respiration_rate {
            ..=8 => 3,
            9..=11 => 1,
            12..=20 => 0,
            21..=24 => 2,
            _ => 3,
        },
        spo2: match o.spo2_scale {
            Spo2Scale::One => match o.spo2 {
                ..=91 => 3,
                92..=93 => 2,
                94..=95 => 1,
                _ => 0,
            },
            // Scale 2 scores a saturation above the target only on oxygen: on air, 93% or more is 0.
            Spo2Scale::Two => match (o.spo2, o.on_oxygen) {
                (..=83, _) => 3,
                (84..=85, _) => 2,
                (86..=87, _) => 1,
                (88..=92, _) | (_, false) => 0,
                (93..=94, true) => 1,
                (95..=96, true) => 2,
                (_, true) => 3,
            },
        },
        air_or_oxygen: if o.on_oxygen { 2 } else { 0 },
        systolic_bp: match o.systolic_bp {
            ..=90 => 3,
            91..=100 => 2,
            101..=110 => 1,
            111..=219 => 0,
            _ => 3,
        },
        pulse: match o.pulse {
            ..=40 => 3,
            41..=50 => 1,
            51..=90 => 0,
            91..=110 => 1,
            111..=130 => 2,
            _ => 3,
        },
        consciousness: if o.consciousness == Consciousness::Alert {
            0
        } else {
            3
        },
        temperature: match o.temperature_tenths {
            ..=350 => 3,
            351..=360 => 1,
            361..=380 => 0,
            381..=390 => 1,
            _ => 2,
        },
    };
    let total: u8 = parts.all().iter().sum();
    let risk = if total >= 7 {
        Risk::High
    } else if total >= 5 {
        Risk::Medium
    } else if parts.all().contains(&3) {
        Risk::LowMedium
    } else {
        Risk::Low
    };
    let (response, monitoring) = match (risk, total) {
        (Risk::Low, 0) => (
            "Carry on with routine NEWS2 monitoring.",
            "At least every 12 hours.",
        ),
        (Risk::Low, _) => (
            "A registered nurse assesses the patient and decides whether to observe more often or to escalate care.",
            "At least every 4 to 6 hours.",
        ),
        (Risk::LowMedium, _) => (
            "A registered nurse tells the medical team caring for the patient, who review the patient and decide \
             whether care needs escalating.",
            "At least every hour.",
        ),
        (Risk::Medium, _) => (
            "Urgent response: a registered nurse tells the medical team at once, and a clinician skilled in caring \
             for acutely ill patients assesses the patient urgently, where the patient can be monitored.",
            "At least every hour.",
        ),
        (Risk::High, _) => (
            "Emergency response: a registered nurse tells the medical team at once, at specialist registrar level or \
             above; a team with critical-care skills, airway management included, assesses the patient as an \
             emergency; consider moving the patient to level 2 or 3 care.",
            "Continuous monitoring of vital signs.",
        ),
    };
    Score {
        total,
        parts,
        risk,
        response,
        monitoring,
    }
}

#[cfg(test)]
mod tests;
