//! The debrief's picture: the vital signs the monitor showed, minute by minute, in panels that share a time axis,
//! with NEWS2 on top (its 5 and 7 thresholds drawn) and a mark at each action the learner took. Drawn on the server
//! as SVG (no script, nothing inline that the content security policy forbids); the same figures are given as a
//! table beside it for screen readers and for anyone who would rather read.

use lantern_sim::engine::Run;
use lantern_sim::scoring::Score;
use std::fmt::Write as _;

pub struct ChartRow {
    pub time: String,
    pub rr: u16,
    pub spo2: u8,
    pub bp: u16,
    pub pulse: u16,
    pub news2: u8,
}

pub struct Chart {
    pub svg: String,
    /// Every fifth minute, and the last.
    pub rows: Vec<ChartRow>,
}

const WIDTH: f64 = 640.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const PANEL: f64 = 92.0;
const GAP: f64 = 26.0;

struct Panel {
    title: &'static str,
    lo: f64,
    hi: f64,
    /// Lines across at these values, labelled.
    marks: &'static [f64],
    values: Vec<f64>,
    colour: &'static str,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart {
    pub fn of(run: &Run, score: &Score) -> Chart {
        let end = (score.ended_at / 60).max(1);
        let trace = run.trace(end);
        let shown: Vec<_> = (0..=end).filter_map(|m| run.shown(&trace, m)).collect();
        let panels = [
            Panel {
                title: "NEWS2",
                lo: 0.0,
                hi: 20.0,
                marks: &[5.0, 7.0],
                values: shown.iter().map(|s| f64::from(s.news2)).collect(),
                colour: "#d5281b",
            },
            Panel {
                title: "Respiration rate (/min)",
                lo: 0.0,
                hi: 40.0,
                marks: &[12.0, 20.0],
                values: shown
                    .iter()
                    .map(|s| f64::from(s.observations.respiration_rate))
                    .collect(),
                colour: "#005eb8",
            },
            Panel {
                title: "SpO2 (%)",
                lo: 80.0,
                hi: 100.0,
                marks: &[88.0, 96.0],
                values: shown
                    .iter()
                    .map(|s| f64::from(s.observations.spo2))
                    .collect(),
                colour: "#007f3b",
            },
            Panel {
                title: "Pulse (/min)",
                lo: 40.0,
                hi: 160.0,
                marks: &[90.0, 130.0],
                values: shown
                    .iter()
                    .map(|s| f64::from(s.observations.pulse))
                    .collect(),
                colour: "#7c2855",
            },
            Panel {
                title: "Systolic BP (mmHg)",
                lo: 60.0,
                hi: 180.0,
                marks: &[90.0, 110.0],
                values: shown
                    .iter()
                    .map(|s| f64::from(s.observations.systolic_bp))
                    .collect(),
                colour: "#330072",
            },
        ];
        let height = (PANEL + GAP) * panels.len() as f64 + 24.0;
        let x = |minute: f64| LEFT + (WIDTH - LEFT - RIGHT) * minute / f64::from(end);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg class="lantern-sim-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="sim-chart-title" xmlns="http://www.w3.org/2000/svg"><title id="sim-chart-title">Vital signs and NEWS2 by minute, with the learner's actions marked; the figures are in the table below</title>"#
        );
        for (i, p) in panels.iter().enumerate() {
            let top = 18.0 + i as f64 * (PANEL + GAP);
            let y = |v: f64| top + PANEL - PANEL * ((v.clamp(p.lo, p.hi) - p.lo) / (p.hi - p.lo));
            let _ = write!(
                svg,
                r##"<text x="{LEFT}" y="{:.1}" font-size="13" font-weight="bold" fill="#212b32">{}</text><rect x="{LEFT}" y="{top:.1}" width="{:.1}" height="{PANEL}" fill="#ffffff" stroke="#aeb7bd"/>"##,
                top - 5.0,
                p.title,
                WIDTH - LEFT - RIGHT
            );
            for v in [p.lo, p.hi].iter().chain(p.marks) {
                let dash = if p.marks.contains(v) {
                    r#" stroke-dasharray="4 3""#
                } else {
                    ""
                };
                let _ = write!(
                    svg,
                    r##"<line x1="{LEFT}" x2="{:.1}" y1="{yv:.1}" y2="{yv:.1}" stroke="#d8dde0"{dash}/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#4c6272">{v}</text>"##,
                    WIDTH - RIGHT,
                    LEFT - 4.0,
                    y(*v) + 4.0,
                    yv = y(*v),
                );
            }
            let points: Vec<String> = p
                .values
                .iter()
                .enumerate()
                .map(|(m, v)| format!("{:.1},{:.1}", x(m as f64), y(*v)))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                points.join(" "),
                p.colour
            );
        }
        // The learner's actions: a tick under the panels, each with its description as a tooltip.
        let base = 18.0 + panels.len() as f64 * (PANEL + GAP) - GAP + 4.0;
        for t in &run.actions {
            let ax = x(f64::from(t.at) / 60.0);
            let what = super::player::describe(&t.action, run.scenario);
            let _ = write!(
                svg,
                r##"<line x1="{ax:.1}" x2="{ax:.1}" y1="18" y2="{base:.1}" stroke="#768692" stroke-width="1" stroke-dasharray="2 3"><title>{} {}</title></line><path d="M{ax:.1} {base:.1} l-5 9 h10 z" fill="#425563"><title>{} {}</title></path>"##,
                lantern_sim::engine::clock(t.at),
                escape(&what),
                lantern_sim::engine::clock(t.at),
                escape(&what),
            );
        }
        let step = match end {
            0..=30 => 5,
            31..=90 => 10,
            _ => 30,
        };
        for m in (0..=end).step_by(step) {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#4c6272">{m} min</text>"##,
                x(f64::from(m)),
                base + 22.0
            );
        }
        svg.push_str("</svg>");
        let rows = shown
            .iter()
            .filter(|s| s.minute % 5 == 0 || s.minute == end)
            .map(|s| ChartRow {
                time: format!("{:02}:00", s.minute),
                rr: s.observations.respiration_rate,
                spo2: s.observations.spo2,
                bp: s.observations.systolic_bp,
                pulse: s.observations.pulse,
                news2: s.news2,
            })
            .collect();
        Chart { svg, rows }
    }
}
