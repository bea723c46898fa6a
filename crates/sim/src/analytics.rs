//! Results across learners, for managers and leaders: per scenario and cohort (a staff group, say), how many
//! passed first time and at all, how long they took to escalate, and how they relied on AI suggestions.
//!
//! Small groups identify people, so a group of fewer than [`MIN_GROUP`] people shows its size and nothing else
//! (NHS Digital's small-number suppression rules use thresholds of this order for published statistics). Where one
//! cohort of a scenario is suppressed and the others and the total are shown, its figures could be had by
//! subtraction, so the next smallest cohort is suppressed as well (secondary suppression).
//!
//! Behaviour is read from each person's **first** ended run of a scenario: a second try after the debrief shows
//! what the debrief taught, not what people do on the ward. Whether they passed at all counts every run.

use crate::scoring::Reliance;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The smallest group whose figures are shown.
pub const MIN_GROUP: usize = 10;

/// What analytics reads from a stored score (`scoring::Score` as JSON): the rest of it is the debrief's.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Digest {
    pub passed: bool,
    #[serde(default)]
    pub escalation: Option<EscalationDigest>,
    #[serde(default)]
    pub ai: Vec<AiDigest>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EscalationDigest {
    /// Minutes from the medium or high band being reached to escalating; None when the learner never escalated.
    pub minutes_taken: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AiDigest {
    pub reliance: Reliance,
    pub checked_evidence_first: bool,
}

impl Digest {
    /// Reads a stored score.
    pub fn from_json(score: &str) -> Result<Digest, serde_json::Error> {
        serde_json::from_str(score)
    }
}

/// One ended run, as analytics takes it: in the order the runs were started.
#[derive(Clone, Debug, PartialEq)]
pub struct Played {
    pub person: i64,
    pub scenario: String,
    pub cohort: String,
    pub digest: Digest,
}

/// A count out of a total, with the percentage when the total is not zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub count: usize,
    pub of: usize,
}

impl Rate {
    pub fn percent(self) -> Option<u8> {
        (self.of > 0).then(|| ((self.count * 100 + self.of / 2) / self.of) as u8)
    }
}

/// The figures of a group large enough to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Ended runs, all tries.
    pub runs: usize,
    /// People whose first run passed.
    pub passed_first_time: Rate,
    /// People who have passed in any run.
    pub passed: Rate,
    /// First runs in which the patient reached a band that needs escalation, and of those the ones escalated.
    pub escalated: Rate,
    /// The median minutes from the band being reached to escalating, over first runs that escalated.
    pub median_minutes_to_escalate: Option<f64>,
    /// Of first-run decisions on incorrect AI suggestions, those accepted (automation bias).
    pub automation_bias: Rate,
    /// Of first-run decisions on correct AI suggestions, those overridden (algorithm aversion).
    pub algorithm_aversion: Rate,
    /// Of first-run decisions on AI suggestions, those made after checking the evidence.
    pub evidence_checked: Rate,
}

/// A scenario's results for one cohort, or for everyone (`cohort` None).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub scenario: String,
    pub cohort: Option<String>,
    /// People with an ended run: always shown.
    pub people: usize,
    /// None when the group is too small to show (or would reveal one that is).
    pub figures: Option<Figures>,
}

/// Every scenario's groups: for each scenario (in name order) everyone first, then each cohort by name.
pub fn summarise(runs: &[Played]) -> Vec<Group> {
    let mut by_scenario: BTreeMap<&str, Vec<&Played>> = BTreeMap::new();
    for r in runs {
        by_scenario.entry(&r.scenario).or_default().push(r);
    }
    let mut out = Vec::new();
    for (scenario, runs) in by_scenario {
        let mut groups = vec![group(scenario, None, &runs)];
        let cohorts: BTreeSet<&str> = runs.iter().map(|r| r.cohort.as_str()).collect();
        for c in cohorts {
            let of: Vec<&Played> = runs.iter().copied().filter(|r| r.cohort == c).collect();
            groups.push(group(scenario, Some(c), &of));
        }
        suppress_secondary(&mut groups[1..]);
        out.extend(groups);
    }
    out
}

/// Where exactly one cohort is hidden, hides the smallest shown one too, so no subtraction from the total reveals
/// it. (Two or more hidden cohorts can only be told apart in total.)
fn suppress_secondary(cohorts: &mut [Group]) {
    let hidden = cohorts.iter().filter(|g| g.figures.is_none()).count();
    if hidden != 1 {
        return;
    }
    if let Some(next) = cohorts
        .iter_mut()
        .filter(|g| g.figures.is_some())
        .min_by_key(|g| g.people)
    {
        next.figures = None;
    }
}

fn group(scenario: &str, cohort: Option<&str>, runs: &[&Played]) -> Group {
    // First runs, by person, and whether each person ever passed.
    let mut first: BTreeMap<i64, &Digest> = BTreeMap::new();
    let mut ever: BTreeMap<i64, bool> = BTreeMap::new();
    for r in runs {
        first.entry(r.person).or_insert(&r.digest);
        *ever.entry(r.person).or_default() |= r.digest.passed;
    }
    let people = first.len();
    let figures = (people >= MIN_GROUP).then(|| {
        let mut f = Figures {
            runs: runs.len(),
            passed_first_time: Rate {
                count: first.values().filter(|d| d.passed).count(),
                of: people,
            },
            passed: Rate {
                count: ever.values().filter(|p| **p).count(),
                of: people,
            },
            escalated: Rate::default(),
            median_minutes_to_escalate: None,
            automation_bias: Rate::default(),
            algorithm_aversion: Rate::default(),
            evidence_checked: Rate::default(),
        };
        let mut minutes = Vec::new();
        for d in first.values() {
            if let Some(e) = &d.escalation {
                f.escalated.of += 1;
                if let Some(m) = e.minutes_taken {
                    f.escalated.count += 1;
                    minutes.push(m);
                }
            }
            for a in &d.ai {
                let (incorrect, decided) = match a.reliance {
                    Reliance::AutomationBias | Reliance::AppropriateOverride => (true, true),
                    Reliance::AlgorithmAversion | Reliance::AppropriateAcceptance => (false, true),
                    Reliance::Undecided | Reliance::NotShown => (false, false),
                };
                if !decided {
                    continue;
                }
                let wrong = matches!(
                    a.reliance,
                    Reliance::AutomationBias | Reliance::AlgorithmAversion
                );
                let rate = if incorrect {
                    &mut f.automation_bias
                } else {
                    &mut f.algorithm_aversion
                };
                rate.of += 1;
                rate.count += usize::from(wrong);
                f.evidence_checked.of += 1;
                f.evidence_checked.count += usize::from(a.checked_evidence_first);
            }
        }
        f.median_minutes_to_escalate = median(&mut minutes);
        f
    });
    Group {
        scenario: scenario.to_owned(),
        cohort: cohort.map(str::to_owned),
        people,
        figures,
    }
}

fn median(v: &mut [u32]) -> Option<f64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(v[n / 2])),
        _ => Some((f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn played(
        person: i64,
        cohort: &str,
        passed: bool,
        minutes: Option<u32>,
        ai: &[(Reliance, bool)],
    ) -> Played {
        Played {
            person,
            scenario: "sepsis-post-op".into(),
            cohort: cohort.into(),
            digest: Digest {
                passed,
                escalation: Some(EscalationDigest {
                    minutes_taken: minutes,
                }),
                ai: ai
                    .iter()
                    .map(|(reliance, checked)| AiDigest {
                        reliance: *reliance,
                        checked_evidence_first: *checked,
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn figures_come_from_first_runs_and_passes_from_any() {
        // Twelve nurses: the first four failed first time and passed on a second run; two never escalated.
        let mut runs: Vec<Played> = (0..12)
            .map(|p| {
                let ai = if p < 3 {
                    vec![(Reliance::AutomationBias, false)]
                } else {
                    vec![(Reliance::AppropriateOverride, true)]
                };
                played(p, "Nursing", p >= 4, (p >= 2).then_some(p as u32), &ai)
            })
            .collect();
        for p in 0..4 {
            runs.push(played(
                p,
                "Nursing",
                true,
                Some(1),
                &[(Reliance::AppropriateOverride, true)],
            ));
        }
        let groups = summarise(&runs);
        assert_eq!(groups.len(), 2, "everyone, then the one cohort");
        let f = groups[0].figures.clone().expect("12 people are shown");
        assert_eq!(groups[0].people, 12);
        assert_eq!(f.runs, 16);
        assert_eq!(f.passed_first_time, Rate { count: 8, of: 12 });
        assert_eq!(f.passed, Rate { count: 12, of: 12 });
        assert_eq!(f.escalated, Rate { count: 10, of: 12 });
        // Minutes 2..=11: the median of ten values is between 6 and 7.
        assert_eq!(f.median_minutes_to_escalate, Some(6.5));
        assert_eq!(f.automation_bias, Rate { count: 3, of: 12 });
        assert_eq!(f.automation_bias.percent(), Some(25));
        assert_eq!(f.algorithm_aversion, Rate { count: 0, of: 0 });
        assert_eq!(f.algorithm_aversion.percent(), None);
        assert_eq!(f.evidence_checked, Rate { count: 9, of: 12 });
    }

    #[test]
    fn small_groups_show_their_size_only_and_cannot_be_had_by_subtraction() {
        // 14 nurses, 11 doctors, 3 allied health professionals: 28 in all.
        let runs: Vec<Played> = (0..28)
            .map(|p| {
                let cohort = match p {
                    0..14 => "Nursing",
                    14..25 => "Medical",
                    _ => "Allied health",
                };
                played(p, cohort, p % 2 == 0, Some(5), &[])
            })
            .collect();
        let groups = summarise(&runs);
        let by: BTreeMap<Option<&str>, &Group> =
            groups.iter().map(|g| (g.cohort.as_deref(), g)).collect();
        assert!(by[&None].figures.is_some(), "everyone: 28");
        assert_eq!(
            by[&Some("Allied health")].people,
            3,
            "a small group's size is shown"
        );
        assert!(
            by[&Some("Allied health")].figures.is_none(),
            "3 is under 10"
        );
        assert!(
            by[&Some("Medical")].figures.is_none(),
            "the next smallest (11) is hidden too: everyone minus nursing would reveal allied health"
        );
        assert!(by[&Some("Nursing")].figures.is_some());

        // Two small cohorts hide each other: nothing more is hidden.
        let runs: Vec<Played> = (0..26)
            .map(|p| {
                played(
                    p,
                    ["Nursing", "Medical", "Admin"][usize::from(p >= 20) + usize::from(p >= 23)],
                    true,
                    None,
                    &[],
                )
            })
            .collect();
        let groups = summarise(&runs);
        assert_eq!(groups.iter().filter(|g| g.figures.is_none()).count(), 2);
        assert!(
            groups
                .iter()
                .any(|g| g.cohort.as_deref() == Some("Nursing") && g.figures.is_some())
        );
    }

    #[test]
    fn a_stored_score_reads_as_a_digest() {
        let scenario = crate::shipped::find("ai-sepsis-alert-false-positive").unwrap();
        let s = crate::scenario::parse(scenario.0, scenario.1).unwrap();
        let mut run = crate::engine::Run::new(&s, 3);
        run.end(60).unwrap();
        let score = crate::scoring::score(&run);
        let d = Digest::from_json(&serde_json::to_string(&score).unwrap()).unwrap();
        assert_eq!(d.passed, score.passed);
        assert_eq!(d.ai.len(), score.ai.len());
        assert_eq!(
            d.ai.first().map(|a| a.reliance),
            score.ai.first().map(|a| a.reliance)
        );
    }
}
