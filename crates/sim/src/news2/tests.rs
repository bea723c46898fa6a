//! NEWS2 at every edge of every band of chart 1 and chart 2, on both scales, on air and on oxygen; the aggregate's
//! risk bands; the refusals.

use super::*;
use proptest::prelude::*;

/// A patient who scores 0 on everything: the base each test changes one parameter of.
fn well() -> Observations {
    Observations {
        respiration_rate: 16,
        spo2: 97,
        spo2_scale: Spo2Scale::One,
        on_oxygen: false,
        systolic_bp: 120,
        pulse: 70,
        consciousness: Consciousness::Alert,
        temperature_tenths: 370,
    }
}

#[test]
fn a_well_patient_scores_zero_and_is_observed_12_hourly() {
    let s = score(&well());
    assert_eq!(s.total, 0);
    assert_eq!(s.parts, Parts::default());
    assert_eq!(s.risk, Risk::Low);
    assert!(s.monitoring.contains("12 hours"));
}

#[test]
fn respiration_rate_at_every_edge() {
    for (rate, want) in [
        (0, 3),
        (8, 3),
        (9, 1),
        (11, 1),
        (12, 0),
        (20, 0),
        (21, 2),
        (24, 2),
        (25, 3),
        (60, 3),
    ] {
        let s = score(&Observations {
            respiration_rate: rate,
            ..well()
        });
        assert_eq!(s.parts.respiration_rate, want, "rate {rate}");
        assert_eq!(s.total, want, "rate {rate}");
    }
}

#[test]
fn spo2_scale_1_at_every_edge_on_air_and_on_oxygen() {
    for (spo2, want) in [
        (70, 3),
        (91, 3),
        (92, 2),
        (93, 2),
        (94, 1),
        (95, 1),
        (96, 0),
        (100, 0),
    ] {
        for on_oxygen in [false, true] {
            let s = score(&Observations {
                spo2,
                on_oxygen,
                ..well()
            });
            assert_eq!(s.parts.spo2, want, "SpO2 {spo2}, oxygen {on_oxygen}");
            assert_eq!(s.parts.air_or_oxygen, if on_oxygen { 2 } else { 0 });
            assert_eq!(s.total, want + s.parts.air_or_oxygen);
        }
    }
}

#[test]
fn spo2_scale_2_at_every_edge_on_air_and_on_oxygen() {
    // (SpO2, on air, on oxygen): above the 88-92% target scores only on oxygen.
    for (spo2, air, oxygen) in [
        (70, 3, 3),
        (83, 3, 3),
        (84, 2, 2),
        (85, 2, 2),
        (86, 1, 1),
        (87, 1, 1),
        (88, 0, 0),
        (92, 0, 0),
        (93, 0, 1),
        (94, 0, 1),
        (95, 0, 2),
        (96, 0, 2),
        (97, 0, 3),
        (100, 0, 3),
    ] {
        for (on_oxygen, want) in [(false, air), (true, oxygen)] {
            let s = score(&Observations {
                spo2,
                spo2_scale: Spo2Scale::Two,
                on_oxygen,
                ..well()
            });
            assert_eq!(
                s.parts.spo2, want,
                "scale 2, SpO2 {spo2}, oxygen {on_oxygen}"
            );
        }
    }
}

#[test]
fn systolic_bp_at_every_edge() {
    for (bp, want) in [
        (0, 3),
        (90, 3),
        (91, 2),
        (100, 2),
        (101, 1),
        (110, 1),
        (111, 0),
        (219, 0),
        (220, 3),
        (300, 3),
    ] {
        let s = score(&Observations {
            systolic_bp: bp,
            ..well()
        });
        assert_eq!(s.parts.systolic_bp, want, "systolic {bp}");
    }
}

#[test]
fn pulse_at_every_edge() {
    for (pulse, want) in [
        (0, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
        (200, 3),
    ] {
        let s = score(&Observations { pulse, ..well() });
        assert_eq!(s.parts.pulse, want, "pulse {pulse}");
    }
}

#[test]
fn consciousness_alert_or_not() {
    use Consciousness::*;
    for (c, want) in [
        (Alert, 0),
        (NewConfusion, 3),
        (Voice, 3),
        (Pain, 3),
        (Unresponsive, 3),
    ] {
        let s = score(&Observations {
            consciousness: c,
            ..well()
        });
        assert_eq!(s.parts.consciousness, want, "{c:?}");
    }
}

#[test]
fn temperature_at_every_edge_in_tenths() {
    for (t, want) in [
        (300, 3),
        (350, 3),
        (351, 1),
        (360, 1),
        (361, 0),
        (380, 0),
        (381, 1),
        (390, 1),
        (391, 2),
        (420, 2),
    ] {
        let s = score(&Observations {
            temperature_tenths: t,
            ..well()
        });
        assert_eq!(s.parts.temperature, want, "temperature {t} tenths");
    }
}

#[test]
fn the_risk_bands_and_a_single_red_score() {
    // 1-4 with no 3: low, 4-6-hourly.
    let s = score(&Observations {
        pulse: 95,
        temperature_tenths: 385,
        ..well()
    });
    assert_eq!((s.total, s.risk), (2, Risk::Low));
    assert!(s.monitoring.contains("4 to 6 hours"));
    // A single 3 under 5: low-medium, hourly.
    let s = score(&Observations {
        consciousness: Consciousness::NewConfusion,
        ..well()
    });
    assert_eq!((s.total, s.risk), (3, Risk::LowMedium));
    assert!(s.monitoring.contains("every hour"));
    // A single 3 with an aggregate of 5: medium (the aggregate decides).
    let s = score(&Observations {
        consciousness: Consciousness::NewConfusion,
        respiration_rate: 22,
        ..well()
    });
    assert_eq!((s.total, s.risk), (5, Risk::Medium));
    // 6: still medium; 7: high, continuous monitoring.
    let s = score(&Observations {
        respiration_rate: 22,
        pulse: 115,
        temperature_tenths: 392,
        ..well()
    });
    assert_eq!((s.total, s.risk), (6, Risk::Medium));
    let s = score(&Observations {
        respiration_rate: 26,
        pulse: 115,
        temperature_tenths: 392,
        ..well()
    });
    assert_eq!((s.total, s.risk), (7, Risk::High));
    assert!(s.monitoring.contains("Continuous"));
}

#[test]
fn the_api_example_scores_seven() {
    let input: Input = serde_json::from_str(
        r#"{"respiration_rate": 22, "spo2": 95, "spo2_scale": 1, "on_oxygen": false, "systolic_bp": 105,
            "pulse": 112, "consciousness": "A", "temperature": 38.4}"#,
    )
    .unwrap();
    let s = score(&input.check().unwrap());
    assert_eq!(
        s.parts,
        Parts {
            respiration_rate: 2,
            spo2: 1,
            air_or_oxygen: 0,
            systolic_bp: 1,
            pulse: 2,
            consciousness: 0,
            temperature: 1,
        }
    );
    assert_eq!((s.total, s.risk), (7, Risk::High));
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["risk"], "high");
    assert_eq!(json["parts"]["air_or_oxygen"], 0);
}

fn input() -> Input {
    Input {
        respiration_rate: 16.0,
        spo2: 97.0,
        spo2_scale: 1.0,
        on_oxygen: false,
        systolic_bp: 120.0,
        pulse: 70.0,
        consciousness: Consciousness::Alert,
        temperature: 37.0,
        age: None,
        pregnant: None,
    }
}

#[test]
fn refusals_name_the_field() {
    let cases: Vec<(Input, &str, &str)> = vec![
        (
            Input {
                respiration_rate: -1.0,
                ..input()
            },
            "respiration_rate",
            "cannot be a real",
        ),
        (
            Input {
                respiration_rate: 16.5,
                ..input()
            },
            "respiration_rate",
            "whole number",
        ),
        (
            Input {
                spo2: 101.0,
                ..input()
            },
            "spo2",
            "cannot be a real",
        ),
        (
            Input {
                spo2_scale: 3.0,
                ..input()
            },
            "spo2_scale",
            "1 or 2",
        ),
        (
            Input {
                systolic_bp: -5.0,
                ..input()
            },
            "systolic_bp",
            "cannot be a real",
        ),
        (
            Input {
                pulse: 400.0,
                ..input()
            },
            "pulse",
            "cannot be a real",
        ),
        (
            Input {
                temperature: 38.45,
                ..input()
            },
            "temperature",
            "one decimal",
        ),
        (
            Input {
                temperature: 50.0,
                ..input()
            },
            "temperature",
            "cannot be a real",
        ),
        (
            Input {
                age: Some(15.0),
                ..input()
            },
            "age",
            "16 and over",
        ),
        (
            Input {
                pregnant: Some(true),
                ..input()
            },
            "pregnant",
            "pregnancy",
        ),
    ];
    for (i, field, reason) in cases {
        let r = i.check().expect_err(field);
        assert_eq!(r.field, field, "{r}");
        assert!(r.reason.contains(reason), "{r}");
    }
    // Extreme but real: a rate of 0 in arrest, a pulse of 200; an adult of 16, not pregnant.
    let ok = Input {
        respiration_rate: 0.0,
        pulse: 200.0,
        age: Some(16.0),
        pregnant: Some(false),
        ..input()
    };
    let s = score(&ok.check().expect("scored"));
    assert_eq!((s.parts.respiration_rate, s.parts.pulse), (3, 3));
    // Temperatures arrive as binary fractions: 36.1 is read as 361 tenths, not 360.
    let t = Input {
        temperature: 36.1,
        ..input()
    }
    .check()
    .unwrap();
    assert_eq!(t.temperature_tenths, 361);
}

fn any_observations() -> impl Strategy<Value = Observations> {
    (
        (0u16..=100, 0u8..=100, any::<bool>(), any::<bool>()),
        (0u16..=350, 0u16..=350, 0usize..5, 100i16..=470),
    )
        .prop_map(
            |((rr, spo2, scale2, oxygen), (bp, pulse, c, t))| Observations {
                respiration_rate: rr,
                spo2,
                spo2_scale: if scale2 {
                    Spo2Scale::Two
                } else {
                    Spo2Scale::One
                },
                on_oxygen: oxygen,
                systolic_bp: bp,
                pulse,
                consciousness: [
                    Consciousness::Alert,
                    Consciousness::NewConfusion,
                    Consciousness::Voice,
                    Consciousness::Pain,
                    Consciousness::Unresponsive,
                ][c],
                temperature_tenths: t,
            },
        )
}

proptest! {
    /// The aggregate is the sum of the parts, within 0 to 20, and the risk follows from the aggregate and the parts.
    #[test]
    fn the_aggregate_and_the_risk_follow_from_the_parts(o in any_observations()) {
        let s = score(&o);
        let parts = s.parts.all();
        prop_assert!(parts.iter().all(|p| *p <= 3));
        prop_assert_eq!(s.total, parts.iter().sum::<u8>());
        prop_assert!(s.total <= 20);
        let want = match s.total {
            7.. => Risk::High,
            5..=6 => Risk::Medium,
            _ if parts.contains(&3) => Risk::LowMedium,
            _ => Risk::Low,
        };
        prop_assert_eq!(s.risk, want);
    }

    /// Oxygen never lowers a score: on oxygen, every part is at least what it is on air.
    #[test]
    fn oxygen_never_lowers_the_score(o in any_observations()) {
        let air = score(&Observations { on_oxygen: false, ..o });
        let oxygen = score(&Observations { on_oxygen: true, ..o });
        prop_assert!(oxygen.total >= air.total + 2);
    }
}
