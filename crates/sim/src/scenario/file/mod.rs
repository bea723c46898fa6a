//! The scenario file: TOML an educator writes (docs/scenarios.md), read into [`Scenario`] and checked, so that a
//! bad file is refused with its line, the field at fault and why, before anyone plays it.

mod raw;

use super::*;
use crate::news2::Input;
use raw::*;
use std::fmt;
use toml::Spanned;

pub use raw::json_schema;

/// What is wrong with a scenario file, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// The field at fault, as a path (`phase[2].starts.after`).
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.reason
        )
    }
}

/// Reads and checks a scenario file. `file` names it in errors. Every problem is reported, in the order of the file.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Vec<FileError>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| vec![syntax_error(file, text, &e)])?;
    let mut c = Checker {
        file,
        text,
        errors: Vec::new(),
    };
    let scenario = c.scenario(raw);
    if c.errors.is_empty() {
        Ok(scenario)
    } else {
        c.errors.sort_by_key(|e| e.line);
        Err(c.errors)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// A TOML or shape error: the parser's message, with the key written on the line it points at.
fn syntax_error(file: &str, text: &str, e: &toml::de::Error) -> FileError {
    let start = e.span().map(|s| s.start).unwrap_or(0);
    let line = line_of(text, start);
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let field = match line_text.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => line_text.trim().to_owned(),
    };
    FileError {
        file: file.to_owned(),
        line,
        field,
        reason: e.message().trim().to_owned(),
    }
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<FileError>,
}

/// Where a table starts in the file, to name its line.
#[derive(Clone, Copy)]
struct At(usize);

impl<'a> Checker<'a> {
    fn at<T>(&self, s: &Spanned<T>) -> At {
        At(line_of(self.text, s.span().start))
    }

    fn fail(&mut self, at: At, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FileError {
            file: self.file.to_owned(),
            line: at.0,
            field: field.into(),
            reason: reason.into(),
        });
    }

    fn text(&mut self, at: At, field: &str, value: String) -> String {
        if value.trim().is_empty() {
            self.fail(at, field, "must not be empty");
        }
        value
    }

    fn id(&mut self, at: At, field: &str, value: String) -> String {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            self.fail(
                at,
                field,
                format!("{value:?} is not an identifier: lower-case letters, digits and hyphens, up to 64"),
            );
        }
        value
    }

    fn scenario(&mut self, raw: RawFile) -> Scenario {
        let h_at = self.at(&raw.scenario);
        let h = raw.scenario.into_inner();
        let id = self.id(h_at, "scenario.id", h.id);
        let title = self.text(h_at, "scenario.title", h.title);
        let summary = self.text(h_at, "scenario.summary", h.summary);
        if !(1..=720).contains(&h.minutes) {
            self.fail(
                h_at,
                "scenario.minutes",
                "must be from 1 to 720 simulated minutes",
            );
        }
        if !(1..=100).contains(&h.pass_mark) {
            self.fail(
                h_at,
                "scenario.pass_mark",
                "must be a percentage from 1 to 100",
            );
        }
        if h.sources.iter().all(|s| s.trim().is_empty()) {
            self.fail(
                h_at,
                "scenario.sources",
                "cite at least one source for the scenario's clinical content",
            );
        }
        let mut competencies = Vec::new();
        for (i, c) in h.competencies.iter().enumerate() {
            match Subject::parse(c) {
                Ok(subject) => competencies.push(subject),
                Err(e) => self.fail(h_at, format!("scenario.competencies[{i}]"), e),
            }
        }
        let actions = match h.actions {
            None => ActionKind::ALL.to_vec(),
            Some(codes) => {
                let mut out = Vec::new();
                for (i, code) in codes.iter().enumerate() {
                    match self.action(h_at, &format!("scenario.actions[{i}]"), code) {
                        Some(a) if out.contains(&a) => self.fail(
                            h_at,
                            format!("scenario.actions[{i}]"),
                            format!("{code:?} is listed twice"),
                        ),
                        Some(a) => out.push(a),
                        None => {}
                    }
                }
                out
            }
        };
        let mut s = Scenario {
            id,
            title,
            summary,
            minutes: h.minutes,
            pass_mark: h.pass_mark,
            competencies,
            sources: h.sources,
            further_reading: h.further_reading,
            actions,
            roles: Vec::new(),
            patient: None,
            phases: Vec::new(),
            expected: Vec::new(),
            harmful: Vec::new(),
            ai: Vec::new(),
            questions: Vec::new(),
            history: Vec::new(),
            news2_points: 0,
        };
        s.patient = raw.patient.map(|p| {
            let at = self.at(&p);
            self.patient(at, p.into_inner())
        });
        s.news2_points = match (&s.patient, h.news2_points) {
            (Some(_), points) => points.unwrap_or(10),
            (None, Some(_)) => {
                self.fail(
                    h_at,
                    "scenario.news2_points",
                    "a scenario without a [patient] has no observations to score",
                );
                0
            }
            (None, None) => 0,
        };
        self.roles(raw.role, &mut s);
        let mut ids: Vec<String> = Vec::new();
        for (i, p) in raw.phase.into_iter().enumerate() {
            let at = self.at(&p);
            let p = p.into_inner();
            let field = format!("phase[{i}]");
            if s.patient.is_none() {
                self.fail(
                    at,
                    &field,
                    "a phase changes the patient's vital signs: add a [patient]",
                );
            }
            let id = self.unique_id(at, &format!("{field}.id"), p.id, &mut ids);
            let starts = self.trigger(at, &format!("{field}.starts"), p.starts, &s);
            let to = self.target(at, &format!("{field}.to"), p.to);
            if p.over_minutes > s.minutes {
                self.fail(
                    at,
                    format!("{field}.over_minutes"),
                    "is longer than the scenario",
                );
            }
            s.phases.push(Phase {
                id,
                starts,
                over_minutes: p.over_minutes,
                to,
                note: p.note,
            });
        }
        for (i, e) in raw.expected.into_iter().enumerate() {
            let at = self.at(&e);
            let e = e.into_inner();
            let field = format!("expected[{i}]");
            let action = self.available(at, &format!("{field}.action"), &e.action, &s);
            let any_of = self.options(at, &format!("{field}.any_of"), action, e.any_of);
            let from = self.trigger(at, &format!("{field}.from"), e.from, &s);
            if e.within_minutes == 0 {
                self.fail(at, format!("{field}.within_minutes"), "must be 1 or more");
            }
            let why = self.text(at, &format!("{field}.why"), e.why);
            let role = e
                .role
                .filter(|r| self.expected_role(at, &field, r, action, &s));
            if let Some(action) = action {
                s.expected.push(Expected {
                    action,
                    any_of,
                    from,
                    within_minutes: e.within_minutes,
                    points: e.points,
                    critical: e.critical,
                    why,
                    role,
                });
            }
        }
        for (i, e) in raw.harmful.into_iter().enumerate() {
            let at = self.at(&e);
            let e = e.into_inner();
            let field = format!("harmful[{i}]");
            let action = self.available(at, &format!("{field}.action"), &e.action, &s);
            let any_of = self.options(at, &format!("{field}.any_of"), action, e.any_of);
            let why = self.text(at, &format!("{field}.why"), e.why);
            if let Some(action) = action {
                s.harmful.push(Harmful {
                    action,
                    any_of,
                    points: e.points,
                    critical: e.critical,
                    why,
                });
            }
        }
        for (i, a) in raw.ai.into_iter().enumerate() {
            let at = self.at(&a);
            let a = a.into_inner();
            let field = format!("ai[{i}]");
            let id = self.unique_id(at, &format!("{field}.id"), a.id, &mut ids);
            let shows = self.trigger(at, &format!("{field}.shows"), a.shows, &s);
            if !(0.0..=1.0).contains(&a.confidence) {
                self.fail(
                    at,
                    format!("{field}.confidence"),
                    format!("{} is not from 0 to 1", a.confidence),
                );
            }
            let event = AiEvent {
                id,
                tool: self.text(at, &format!("{field}.tool"), a.tool),
                kind: self.text(at, &format!("{field}.kind"), a.kind),
                shows,
                suggestion: self.text(at, &format!("{field}.suggestion"), a.suggestion),
                confidence: a.confidence,
                model_card: self.text(at, &format!("{field}.model_card"), a.model_card),
                evidence: self.text(at, &format!("{field}.evidence"), a.evidence),
                correct: a.correct,
                points: a.points,
                why: self.text(at, &format!("{field}.why"), a.why),
            };
            s.ai.push(event);
        }
        for (i, q) in raw.question.into_iter().enumerate() {
            let at = self.at(&q);
            let q = q.into_inner();
            let field = format!("question[{i}]");
            let id = self.unique_id(at, &format!("{field}.id"), q.id, &mut ids);
            let asked = self.trigger(at, &format!("{field}.asked"), q.asked, &s);
            let prompt = self.text(at, &format!("{field}.prompt"), q.prompt);
            if q.options.len() < 2 {
                self.fail(
                    at,
                    format!("{field}.options"),
                    "a question needs at least two options",
                );
            }
            if !q.options.iter().any(|o| o.correct) {
                self.fail(
                    at,
                    format!("{field}.options"),
                    "no option is marked correct = true",
                );
            }
            let options = q
                .options
                .into_iter()
                .enumerate()
                .map(|(j, o)| AnswerOption {
                    text: self.text(at, &format!("{field}.options[{j}].text"), o.text),
                    correct: o.correct,
                    feedback: self.text(at, &format!("{field}.options[{j}].feedback"), o.feedback),
                })
                .collect();
            s.questions.push(Question {
                id,
                asked,
                prompt,
                options,
                points: q.points,
            });
        }
        for (i, h) in raw.history.into_iter().enumerate() {
            let at = self.at(&h);
            let h = h.into_inner();
            let field = format!("history[{i}]");
            let id = self.unique_id(at, &format!("{field}.id"), h.id, &mut ids);
            if s.patient.is_none() {
                self.fail(at, field.as_str(), "a history needs a [patient] to ask");
            }
            s.history.push(HistoryQuestion {
                id,
                question: self.text(at, &format!("{field}.question"), h.question),
                answer: self.text(at, &format!("{field}.answer"), h.answer),
            });
        }
        let possible: u32 = s.expected.iter().map(|e| e.points).sum::<u32>()
            + s.ai.iter().map(|a| a.points).sum::<u32>()
            + s.questions.iter().map(|q| q.points).sum::<u32>()
            + s.news2_points;
        if possible == 0 {
            self.fail(
                h_at,
                "scenario",
                "nothing is scored: add [[expected]] actions, [[ai]] events or [[question]]s",
            );
        }
        s
    }

    fn unique_id(&mut self, at: At, field: &str, id: String, seen: &mut Vec<String>) -> String {
        let id = self.id(at, field, id);
        if seen.contains(&id) {
            self.fail(
                at,
                field,
                format!(
                    "{id:?} is used twice (phases, AI events, questions and history share ids)"
                ),
            );
        }
        seen.push(id.clone());
        id
    }

    fn action(&mut self, at: At, field: &str, code: &str) -> Option<ActionKind> {
        let found = ActionKind::from_code(code);
        if found.is_none() {
            let known: Vec<&str> = ActionKind::ALL.iter().map(|a| a.code()).collect();
            self.fail(
                at,
                field,
                format!(
                    "{code:?} is not an action; actions are {}",
                    known.join(", ")
                ),
            );
        }
        found
    }

    /// An action that exists and that this scenario offers.
    fn available(&mut self, at: At, field: &str, code: &str, s: &Scenario) -> Option<ActionKind> {
        let action = self.action(at, field, code)?;
        if !s.actions.contains(&action) {
            self.fail(
                at,
                field,
                format!("{code:?} is not among the scenario's actions, so it could never be done"),
            );
            return None;
        }
        Some(action)
    }

    fn options(
        &mut self,
        at: At,
        field: &str,
        action: Option<ActionKind>,
        any_of: Vec<String>,
    ) -> Vec<String> {
        let Some(action) = action else { return any_of };
        let allowed = action.options();
        for o in &any_of {
            if !allowed.contains(&o.as_str()) {
                let reason = if allowed.is_empty() {
                    format!("{} takes no options", action.code())
                } else {
                    format!("{o:?} is not one of {}", allowed.join(", "))
                };
                self.fail(at, field, reason);
            }
        }
        any_of
    }

    fn trigger(&mut self, at: At, field: &str, t: RawTrigger, s: &Scenario) -> Trigger {
        let set = [
            t.minute.is_some(),
            t.news2_at_least.is_some(),
            t.after.is_some(),
        ];
        let when = match (t.minute, t.news2_at_least, t.after) {
            _ if set.iter().filter(|x| **x).count() != 1 => {
                self.fail(
                    at,
                    field,
                    "give exactly one of minute, news2_at_least or after",
                );
                When::Minute(0)
            }
            (Some(m), _, _) => {
                if m >= s.minutes {
                    self.fail(
                        at,
                        format!("{field}.minute"),
                        format!(
                            "minute {m} is not before the scenario ends at {}",
                            s.minutes
                        ),
                    );
                }
                When::Minute(m)
            }
            (_, Some(n), _) => {
                if s.patient.is_none() {
                    self.fail(
                        at,
                        format!("{field}.news2_at_least"),
                        "a scenario without a [patient] has no NEWS2",
                    );
                }
                if n > 20 {
                    self.fail(at, format!("{field}.news2_at_least"), "NEWS2 is at most 20");
                }
                When::News2AtLeast(n)
            }
            (None, None, None) => unreachable!("counted above"),
            (_, _, Some(codes)) => {
                if codes.is_empty() {
                    self.fail(at, format!("{field}.after"), "name at least one action");
                }
                When::After(self.available_list(at, &format!("{field}.after"), &codes, s))
            }
        };
        let unless = self.available_list(at, &format!("{field}.unless"), &t.unless, s);
        Trigger { when, unless }
    }

    /// A team scenario's roles: ids unique, titles given, each role's actions the scenario's own, and every action
    /// the scenario offers taken by some role.
    fn roles(&mut self, raw: Vec<Spanned<RawRole>>, s: &mut Scenario) {
        if raw.len() == 1 {
            let at = self.at(&raw[0]);
            self.fail(
                at,
                "role",
                "a team scenario needs two roles or more; leave [[role]] out for one learner",
            );
        }
        let mut ids = Vec::new();
        let mut first_at = None;
        for (i, r) in raw.into_iter().enumerate() {
            let at = self.at(&r);
            first_at.get_or_insert(at);
            let r = r.into_inner();
            let field = format!("role[{i}]");
            let id = self.id(at, &format!("{field}.id"), r.id);
            if ids.contains(&id) {
                self.fail(at, format!("{field}.id"), format!("{id:?} is used twice"));
            }
            ids.push(id.clone());
            let title = self.text(at, &format!("{field}.title"), r.title);
            let mut actions = Vec::new();
            for (j, code) in r.actions.iter().enumerate() {
                if let Some(a) = self.available(at, &format!("{field}.actions[{j}]"), code, s)
                    && !actions.contains(&a)
                {
                    actions.push(a);
                }
            }
            s.roles.push(TeamRole { id, title, actions });
        }
        if let (Some(first), Some(at)) = (s.roles.first().map(|r| r.id.clone()), first_at) {
            for a in s.actions.clone() {
                if !s.roles.iter().any(|r| r.actions.contains(&a)) {
                    self.fail(
                        at,
                        "role",
                        format!("no role takes {}, which the scenario offers (give it to {first:?}, say)", a.code()),
                    );
                }
            }
        }
    }

    /// An expected action's role: one of the scenario's, and one that takes the action.
    fn expected_role(
        &mut self,
        at: At,
        field: &str,
        role: &str,
        action: Option<ActionKind>,
        s: &Scenario,
    ) -> bool {
        let Some(r) = s.role(role) else {
            let known: Vec<&str> = s.roles.iter().map(|r| r.id.as_str()).collect();
            self.fail(
                at,
                format!("{field}.role"),
                match known.is_empty() {
                    true => "only a team scenario (with [[role]] tables) names roles".to_owned(),
                    false => format!("{role:?} is not one of the roles ({})", known.join(", ")),
                },
            );
            return false;
        };
        if let Some(a) = action
            && !r.actions.contains(&a)
        {
            self.fail(
                at,
                format!("{field}.role"),
                format!(
                    "{role:?} does not take {}: add it to that role's actions",
                    a.code()
                ),
            );
            return false;
        }
        true
    }

    /// Actions written `code` or `code:option`, each one the scenario offers.
    fn available_list(
        &mut self,
        at: At,
        field: &str,
        codes: &[String],
        s: &Scenario,
    ) -> Vec<ActionMatch> {
        let mut out = Vec::new();
        for written in codes {
            let (code, option) = match written.split_once(':') {
                Some((c, o)) => (c, Some(o.to_owned())),
                None => (written.as_str(), None),
            };
            let Some(action) = self.available(at, field, code, s) else {
                continue;
            };
            if let Some(o) = &option {
                self.options(at, field, Some(action), vec![o.clone()]);
            }
            out.push(ActionMatch { action, option });
        }
        out
    }

    fn patient(&mut self, at: At, p: RawPatient) -> Patient {
        let spo2_scale = match p.spo2_scale {
            1 => Spo2Scale::One,
            2 => Spo2Scale::Two,
            n => {
                self.fail(
                    at,
                    "patient.spo2_scale",
                    format!("{n} is not a NEWS2 SpO2 scale: 1 or 2"),
                );
                Spo2Scale::One
            }
        };
        let vitals = Vitals {
            respiration_rate: p.vitals.respiration_rate,
            spo2: p.vitals.spo2,
            systolic_bp: p.vitals.systolic_bp,
            pulse: p.vitals.pulse,
            consciousness: p.vitals.consciousness,
            temperature: p.vitals.temperature,
        };
        // The same checks as NEWS2's: an adult, and observations that can be real.
        let input = Input {
            respiration_rate: vitals.respiration_rate.round(),
            spo2: vitals.spo2.round(),
            spo2_scale: if spo2_scale == Spo2Scale::Two {
                2.0
            } else {
                1.0
            },
            on_oxygen: false,
            systolic_bp: vitals.systolic_bp.round(),
            pulse: vitals.pulse.round(),
            consciousness: vitals.consciousness,
            temperature: (vitals.temperature * 10.0).round() / 10.0,
            age: Some(f64::from(p.age)),
            pregnant: None,
        };
        if let Err(r) = input.check() {
            let field = if r.field == "age" {
                "patient.age".to_owned()
            } else {
                format!("patient.vitals.{}", r.field)
            };
            self.fail(at, field, r.reason);
        }
        let noise = Noise {
            respiration_rate: p.noise.respiration_rate,
            spo2: p.noise.spo2,
            systolic_bp: p.noise.systolic_bp,
            pulse: p.noise.pulse,
            temperature: p.noise.temperature,
        };
        for (name, v, most) in [
            ("respiration_rate", noise.respiration_rate, 5.0),
            ("spo2", noise.spo2, 3.0),
            ("systolic_bp", noise.systolic_bp, 15.0),
            ("pulse", noise.pulse, 15.0),
            ("temperature", noise.temperature, 0.5),
        ] {
            if !(0.0..=most).contains(&v) {
                self.fail(
                    at,
                    format!("patient.noise.{name}"),
                    format!("must be from 0 to {most}"),
                );
            }
        }
        if !(0.0..=20.0).contains(&p.oxygen_gain) {
            self.fail(
                at,
                "patient.oxygen_gain",
                "must be from 0 to 20 percentage points",
            );
        }
        Patient {
            name: self.text(at, "patient.name", p.name),
            age: p.age,
            sex: self.text(at, "patient.sex", p.sex),
            setting: self.text(at, "patient.setting", p.setting),
            history: self.text(at, "patient.history", p.history),
            spo2_scale,
            vitals,
            noise,
            oxygen_gain: p.oxygen_gain,
        }
    }

    fn target(&mut self, at: At, field: &str, t: RawTarget) -> Target {
        for (name, v, lo, hi) in [
            ("respiration_rate", t.respiration_rate, 0.0, 80.0),
            ("spo2", t.spo2, 50.0, 100.0),
            ("systolic_bp", t.systolic_bp, 40.0, 260.0),
            ("pulse", t.pulse, 20.0, 220.0),
            ("temperature", t.temperature, 30.0, 43.0),
        ] {
            if let Some(v) = v
                && !(lo..=hi).contains(&v)
            {
                self.fail(
                    at,
                    format!("{field}.{name}"),
                    format!("{v} is outside {lo} to {hi}"),
                );
            }
        }
        Target {
            respiration_rate: t.respiration_rate,
            spo2: t.spo2,
            systolic_bp: t.systolic_bp,
            pulse: t.pulse,
            consciousness: t.consciousness,
            temperature: t.temperature,
        }
    }
}
