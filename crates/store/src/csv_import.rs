//! CSV import of staff and posts, and of training records (columns in docs/import.md): parsing and checking a file
//! into one [`WriteBatch`], shared by `lantern import` and the organisation admin's upload page.
//!
//! All-or-nothing per file: every row is checked first, and a file with any bad row gets a report naming each bad
//! row, column and reason, and writes nothing. A good file is written in one transaction. Re-importing the same file
//! changes nothing: people upsert by employee number, posts by assignment number, records by content.

use crate::{BatchOutcome, BatchProblem, PersonRow, PostRow, RecordRow, UnitRow, WriteBatch};
use lantern_domain::*;
use std::collections::HashMap;

/// Which kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvKind {
    /// People and their posts (one row per post).
    Staff,
    /// Training records.
    Records,
}

/// A column of an import file: its name, whether every file must have it, what it means and an example value. The
/// import page explains each column from these, and its downloadable template has them as its header row with the
/// examples as its one row; the parser checks headers against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub meaning: &'static str,
    /// An example value (`{org}` stands for the organisation's ODS code).
    pub example: &'static str,
}

const fn col(
    name: &'static str,
    required: bool,
    meaning: &'static str,
    example: &'static str,
) -> Column {
    Column {
        name,
        required,
        meaning,
        example,
    }
}

/// Columns of the staff file (one row per post: an ESR extract).
pub const STAFF_COLUMNS: &[Column] = &[
    col(
        "employee_number",
        true,
        "The person's ESR employee number: people are matched by it.",
        "10012345",
    ),
    col(
        "assignment_number",
        true,
        "The post's ESR assignment number, unique within the organisation: posts are matched by it.",
        "10012345-1",
    ),
    col("given_name", true, "First name.", "Amara"),
    col("family_name", true, "Last name.", "Okafor"),
    col(
        "email",
        false,
        "Work email address: reminders go to it.",
        "amara.okafor@nhs.net",
    ),
    col(
        "org_code",
        true,
        "ODS code of the employing organisation (this organisation).",
        "{org}",
    ),
    col(
        "unit_code",
        true,
        "The unit's code within the organisation.",
        "W7",
    ),
    col(
        "unit_name",
        false,
        "When given, the unit is created, or renamed, from this row.",
        "Ward 7",
    ),
    col(
        "unit_kind",
        false,
        "directorate, department, ward or team (ward when blank).",
        "ward",
    ),
    col(
        "parent_unit_code",
        false,
        "The unit above this one, in the file or already in Lantern.",
        "",
    ),
    col(
        "staff_group",
        true,
        "ESR staff group, by code or by ESR's name.",
        "Nursing and Midwifery Registered",
    ),
    col(
        "job_role",
        true,
        "The post's job role: rules may select on it.",
        "Staff nurse",
    ),
    col("band", false, "Agenda for Change band.", "5"),
    col(
        "specialty",
        false,
        "Specialty: rules may select on it.",
        "General surgery",
    ),
    col(
        "patient_facing",
        true,
        "yes or no: whether the post sees patients.",
        "yes",
    ),
    col(
        "start_date",
        true,
        "First day in post (YYYY-MM-DD).",
        "2026-01-05",
    ),
    col(
        "end_date",
        false,
        "Last day in post (YYYY-MM-DD); blank while the post is held.",
        "",
    ),
    col(
        "registration_body",
        false,
        "GMC, NMC, HCPC, GPhC or GDC; with registration_number.",
        "NMC",
    ),
    col(
        "registration_number",
        false,
        "The professional registration number; with registration_body.",
        "12A3456E",
    ),
    col(
        "registration_renewal_date",
        false,
        "When the registration next needs renewing (YYYY-MM-DD).",
        "2027-03-31",
    ),
];

/// Columns of the records file.
pub const RECORD_COLUMNS: &[Column] = &[
    col(
        "employee_number",
        true,
        "The person's employee number (they must be in Lantern).",
        "10012345",
    ),
    col(
        "subject",
        true,
        "The competency's code, such as cstf.fire_safety (the requirement's code on its rule page).",
        "cstf.fire_safety",
    ),
    col(
        "level",
        true,
        "1, 2, 3...: a higher level satisfies the lower ones.",
        "1",
    ),
    col(
        "completed_on",
        true,
        "The day it was completed (YYYY-MM-DD), not in the future.",
        "2026-11-02",
    ),
    col(
        "hours",
        false,
        "Learning hours, for hours-based requirements such as safeguarding.",
        "1.5",
    ),
    col(
        "provider",
        true,
        "Who delivered it.",
        "Ward 7 practice educator",
    ),
    col(
        "provider_type",
        true,
        "nhs_trust, icb, commissioning_support_unit, community_interest_company, national_elearning, resuscitation_council, gp_practice, local_authority, university, private_hospital or commercial.",
        "nhs_trust",
    ),
    col(
        "provider_org_code",
        false,
        "ODS code when the provider is an organisation in Lantern: an organisation always accepts its own training.",
        "{org}",
    ),
    col(
        "source",
        false,
        "elearning, classroom, assessment, import (when blank) or transfer.",
        "classroom",
    ),
    col(
        "evidence_ref",
        false,
        "A certificate number or other evidence reference.",
        "FS-2026-0412",
    ),
];

impl CsvKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            CsvKind::Staff => STAFF_COLUMNS,
            CsvKind::Records => RECORD_COLUMNS,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            CsvKind::Staff => "staff",
            CsvKind::Records => "records",
        }
    }

    pub fn parse(text: &str) -> Option<CsvKind> {
        [CsvKind::Staff, CsvKind::Records]
            .into_iter()
            .find(|k| k.code() == text)
    }
}

/// A file of this kind to fill in: the header row, and one example row (for the organisation `org`).
pub fn template(kind: CsvKind, org: &str) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let cols = kind.columns();
    // Writing to memory cannot fail.
    let _ = w.write_record(cols.iter().map(|c| c.name));
    let _ = w.write_record(cols.iter().map(|c| c.example.replace("{org}", org)));
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Largest file accepted (a 1.5-million-row ESR extract is well under this).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The result of checking a file: a batch to write, or the problems that stop it.
pub fn parse(
    kind: CsvKind,
    bytes: &[u8],
    progress: &dyn Fn(u64),
) -> Result<WriteBatch, Vec<BatchProblem>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let columns = kind.columns();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![problem(
                1,
                "(header)",
                format!("cannot read the header row: {e}"),
            )]);
        }
    };
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_lowercase().replace([' ', '-'], "_"), i))
        .collect();
    let mut problems = Vec::new();
    for c in columns {
        if c.required && !index.contains_key(c.name) {
            problems.push(problem(
                1,
                c.name,
                "required column is missing from the header row",
            ));
        }
    }
    for h in index.keys() {
        if !columns.iter().any(|c| c.name == h) {
            problems.push(problem(
                1,
                h,
                format!(
                    "unknown column; expected some of: {}",
                    columns
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut batch = WriteBatch::default();
    let mut units_seen: HashMap<(String, String), ()> = HashMap::new();
    let mut people_seen: HashMap<String, usize> = HashMap::new();
    for (i, result) in reader.records().enumerate() {
        let line = i + 2; // header is line 1
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(line, "(row)", format!("cannot read this row: {e}")));
                continue;
            }
        };
        progress(record.position().map_or(0, |p| p.byte()));
        let mut row = Row {
            line,
            record: &record,
            index: &index,
            problems: &mut problems,
        };
        match kind {
            CsvKind::Staff => staff_row(&mut row, &mut batch, &mut units_seen, &mut people_seen),
            CsvKind::Records => record_row(&mut row, &mut batch),
        }
    }
    if problems.is_empty() && batch.is_empty() {
        problems.push(problem(2, "(row)", "the file has a header but no rows"));
    }
    if problems.is_empty() {
        Ok(batch)
    } else {
        Err(problems)
    }
}

fn problem(line: usize, field: &str, message: impl Into<String>) -> BatchProblem {
    BatchProblem {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

struct Row<'a> {
    line: usize,
    record: &'a csv::StringRecord,
    index: &'a HashMap<String, usize>,
    problems: &'a mut Vec<BatchProblem>,
}

impl Row<'_> {
    fn opt(&self, name: &str) -> Option<String> {
        self.index
            .get(name)
            .and_then(|i| self.record.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn req(&mut self, name: &str) -> Option<String> {
        let v = self.opt(name);
        if v.is_none() {
            self.problems
                .push(problem(self.line, name, "a value is required"));
        }
        v
    }

    fn fail(&mut self, name: &str, message: String) {
        self.problems.push(problem(self.line, name, message));
    }

    /// A required competency subject: a problem naming the column when it is missing or not a subject.
    fn subject(&mut self, name: &str) -> Option<Subject> {
        let v = self.req(name)?;
        Subject::try_from(v).map_err(|e| self.fail(name, e)).ok()
    }

    fn date(&mut self, name: &str, required: bool) -> Option<Option<Date>> {
        let v = if required {
            self.req(name)?
        } else {
            match self.opt(name) {
                Some(v) => v,
                None => return Some(None),
            }
        };
        match parse_date(&v) {
            Some(d) => Some(Some(d)),
            None => {
                self.fail(
                    name,
                    format!("{v:?} is not a date: use YYYY-MM-DD or DD/MM/YYYY"),
                );
                None
            }
        }
    }

    fn vocab<T: Copy>(
        &mut self,
        name: &str,
        required: bool,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        code: fn(T) -> &'static str,
    ) -> Option<Option<T>> {
        let v = if required {
            self.req(name)?
        } else {
            match self.opt(name) {
                Some(v) => v,
                None => return Some(None),
            }
        };
        match parse(&v) {
            Some(t) => Some(Some(t)),
            None => {
                let allowed: Vec<&str> = all.iter().map(|t| code(*t)).collect();
                self.fail(name, format!("{v:?} is not one of: {}", allowed.join(", ")));
                None
            }
        }
    }
}

/// ISO dates, or the DD/MM/YYYY that ESR exports use.
pub fn parse_date(v: &str) -> Option<Date> {
    v.parse::<Date>()
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y").ok())
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" => Some(true),
        "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn staff_row(
    row: &mut Row<'_>,
    batch: &mut WriteBatch,
    units_seen: &mut HashMap<(String, String), ()>,
    people_seen: &mut HashMap<String, usize>,
) {
    let line = row.line;
    let employee_number = row.req("employee_number");
    let assignment_number = row.req("assignment_number");
    let given_name = row.req("given_name");
    let family_name = row.req("family_name");
    let email = row.opt("email");
    if let Some(e) = &email
        && let Some(problem) = lantern_domain::email::problem(e)
    {
        row.fail("email", format!("{e:?} {problem}"));
    }
    let org = row.req("org_code");
    let unit = row.req("unit_code");
    let staff_group = row.vocab(
        "staff_group",
        true,
        StaffGroup::parse,
        StaffGroup::ALL,
        StaffGroup::code,
    );
    let job_role = row.req("job_role");
    let patient_facing = match row.req("patient_facing") {
        Some(v) => match parse_bool(&v) {
            Some(b) => Some(b),
            None => {
                row.fail(
                    "patient_facing",
                    format!("{v:?} is not yes or no (Y/N, true/false, 1/0)"),
                );
                None
            }
        },
        None => None,
    };
    let start = row.date("start_date", true);
    let end = row.date("end_date", false);
    if let (Some(Some(s)), Some(Some(e))) = (start, end)
        && e < s
    {
        row.fail("end_date", format!("{e} is before the start date {s}"));
    }
    let unit_kind = row.vocab(
        "unit_kind",
        false,
        UnitKind::parse,
        UnitKind::ALL,
        UnitKind::code,
    );
    let body = row.vocab(
        "registration_body",
        false,
        RegulatoryBody::parse,
        RegulatoryBody::ALL,
        RegulatoryBody::code,
    );
    let reg_number = row.opt("registration_number");
    let renewal = row.date("registration_renewal_date", false);
    if matches!(body, Some(Some(_))) != reg_number.is_some() {
        row.fail(
            "registration_number",
            "registration_body and registration_number go together".into(),
        );
    }
    let (
        Some(employee_number),
        Some(assignment_number),
        Some(given_name),
        Some(family_name),
        Some(org),
        Some(unit),
        Some(Some(staff_group)),
        Some(job_role),
        Some(patient_facing),
        Some(Some(start)),
        Some(end),
        Some(unit_kind),
        Some(body),
        Some(renewal),
    ) = (
        employee_number,
        assignment_number,
        given_name,
        family_name,
        org,
        unit,
        staff_group,
        job_role,
        patient_facing,
        start,
        end,
        unit_kind,
        body,
        renewal,
    )
    else {
        return;
    };
    if let Some(unit_name) = row.opt("unit_name")
        && units_seen.insert((org.clone(), unit.clone()), ()).is_none()
    {
        batch.units.push(UnitRow {
            line,
            org: org.clone(),
            code: unit.clone(),
            name: unit_name,
            kind: unit_kind.unwrap_or(UnitKind::Ward),
            parent: row.opt("parent_unit_code"),
            site: None,
        });
    }
    // One person may hold several posts: one row per post, the person's details repeated.
    let registrations = match (body, reg_number) {
        (Some(body), Some(number)) => vec![Registration {
            body,
            number,
            renewal_date: renewal,
        }],
        _ => vec![],
    };
    match people_seen.get(&employee_number) {
        Some(&ix) => {
            let p: &mut PersonRow = &mut batch.people[ix];
            if p.given_name != given_name || p.family_name != family_name {
                row.fail(
                    "given_name",
                    format!(
                        "employee {employee_number} has a different name on line {}",
                        p.line
                    ),
                );
            }
            for r in registrations {
                if !p.registrations.iter().any(|x| x.body == r.body) {
                    p.registrations.push(r);
                }
            }
        }
        None => {
            people_seen.insert(employee_number.clone(), batch.people.len());
            batch.people.push(PersonRow {
                line,
                employee_number: employee_number.clone(),
                given_name,
                family_name,
                email,
                registrations,
            });
        }
    }
    batch.posts.push(PostRow {
        line,
        employee_number,
        org,
        unit,
        assignment_number,
        staff_group,
        job_role,
        band: row.opt("band"),
        specialty: row.opt("specialty"),
        patient_facing,
        start,
        end,
    });
}

fn record_row(row: &mut Row<'_>, batch: &mut WriteBatch) {
    let line = row.line;
    let employee_number = row.req("employee_number");
    let subject = row.subject("subject");
    let level = match row.req("level") {
        Some(v) => match v.parse::<u8>() {
            Ok(l) if l >= 1 => Some(l),
            _ => {
                row.fail(
                    "level",
                    format!("{v:?} is not a level number (1, 2, 3, ...)"),
                );
                None
            }
        },
        None => None,
    };
    let completed_on = row.date("completed_on", true);
    // Today where? The rows may name several organisations: only a date after today everywhere is refused, so
    // training done this morning in London is never "in the future" while UTC still says yesterday.
    if let Some(Some(d)) = completed_on
        && d > lantern_domain::local_time::latest_date_at(chrono::Utc::now())
    {
        row.fail("completed_on", format!("{d} is in the future"));
    }
    let hours = match row.opt("hours") {
        Some(v) => match v.parse::<f64>() {
            Ok(h) if h > 0.0 && h <= lantern_domain::MAX_RECORD_HOURS => Some(Some(h)),
            _ => {
                row.fail(
                    "hours",
                    format!(
                        "{v:?} is not a number of hours between 0 and {}",
                        lantern_domain::MAX_RECORD_HOURS
                    ),
                );
                None
            }
        },
        None => Some(None),
    };
    let provider = row.req("provider");
    let provider_type = row.vocab(
        "provider_type",
        true,
        ProviderType::parse,
        ProviderType::ALL,
        ProviderType::code,
    );
    let source = row.vocab(
        "source",
        false,
        RecordSource::parse,
        RecordSource::ALL,
        RecordSource::code,
    );
    let (
        Some(employee_number),
        Some(subject),
        Some(level),
        Some(Some(completed_on)),
        Some(hours),
        Some(provider),
        Some(Some(provider_type)),
        Some(source),
    ) = (
        employee_number,
        subject,
        level,
        completed_on,
        hours,
        provider,
        provider_type,
        source,
    )
    else {
        return;
    };
    batch.records.push(RecordRow {
        line,
        employee_number,
        subject,
        level,
        completed_on,
        hours,
        provider,
        provider_type,
        provider_org: row.opt("provider_org_code"),
        source: source.unwrap_or(RecordSource::Import),
        evidence_ref: row.opt("evidence_ref"),
        recorded_at: None,
    });
}

/// The problems as a CSV report: line, column, problem.
pub fn report_csv(problems: &[BatchProblem]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["line", "column", "problem"]);
    for p in problems {
        let _ = w.write_record([p.line.to_string(), p.field.clone(), p.message.clone()]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// What a written batch changed, in a sentence.
pub fn describe(o: &BatchOutcome) -> String {
    if !o.changed_anything() {
        return format!(
            "nothing changed (all {} records were already there).",
            o.records_already_present
        )
        .replace(
            "(all 0 records were already there)",
            "(everything was already there)",
        );
    }
    format!(
        "{} people created, {} updated; {} posts created, {} updated; {} units written; {} records created, {} already present.",
        o.people_created,
        o.people_updated,
        o.posts_created,
        o.posts_updated,
        o.units_written,
        o.records_created,
        o.records_already_present
    )
}
