//! The report's PDF and Excel downloads, read back: the PDF's text page by page (lopdf) and its structure tree, the
//! workbook's cells (calamine) and its sheet XML.

use crate::web::Client;
use crate::{backends, d, test_auth};
use axum::http::StatusCode;
use lantern_store::{Scope, Store};
use std::io::Read;
use std::sync::Arc;

const AS_AT: &str = "2025-06-30";

/// Each backend with the demo world, and its auditor signed in.
async fn auditors() -> Vec<(String, Arc<dyn Store>, Client, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    for (name, store, dir) in backends().await {
        lantern::demo::generate(store.as_ref(), 300, 13, d("2026-11-23"), false)
            .await
            .expect("demo");
        lantern::users::demo_accounts(store.as_ref())
            .await
            .expect("accounts");
        let app = lantern_web::app(lantern_web::AppState::new(store.clone(), test_auth()));
        let auditor =
            Client::signed_in(&app, "auditor@demo.lantern.test", "auditor-demo-password").await;
        out.push((name, store, auditor, dir));
    }
    out
}

/// The requirement headings of the report's CSV (every other column after the first three).
fn requirements(csv: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    header
        .iter()
        .skip(3)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Each page's text, whitespace collapsed (lines of a wrapped cell join with a space).
fn page_texts(doc: &lopdf::Document) -> Vec<String> {
    doc.get_pages()
        .keys()
        .map(|n| {
            let text = doc.extract_text(&[*n]).expect("page text");
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The first page (1-based) whose text contains `needle`.
fn page_of(pages: &[String], needle: &str) -> Option<usize> {
    pages.iter().position(|t| t.contains(needle)).map(|i| i + 1)
}

/// The structure types (/S) of every element below the structure tree root, depth first.
fn structure_types(doc: &lopdf::Document) -> Vec<String> {
    fn walk(doc: &lopdf::Document, obj: &lopdf::Object, out: &mut Vec<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        let obj = match obj {
            lopdf::Object::Reference(id) => match doc.get_object(*id) {
                Ok(o) => o,
                Err(_) => return,
            },
            o => o,
        };
        match obj {
            lopdf::Object::Array(items) => {
                for i in items {
                    walk(doc, i, out, depth + 1);
                }
            }
            lopdf::Object::Dictionary(dict) => {
                if let Ok(s) = dict.get(b"S").and_then(|s| s.as_name()) {
                    out.push(String::from_utf8_lossy(s).into_owned());
                }
                if let Ok(k) = dict.get(b"K") {
                    walk(doc, k, out, depth + 1);
                }
            }
            _ => {}
        }
    }
    let catalog = doc.catalog().expect("catalog");
    let root = catalog.get(b"StructTreeRoot").expect("a structure tree");
    let mut out = Vec::new();
    walk(doc, root, &mut out, 0);
    out
}

#[tokio::test]
async fn the_inspection_pdf_is_paginated_tagged_and_states_its_hash_on_every_page() {
    for (name, store, mut auditor, _dir) in auditors().await {
        let csv = auditor
            .get(&format!("/orgs/RJ1/report.csv?as_at={AS_AT}"))
            .await;
        let hash = csv.headers["x-content-sha256"].to_str().unwrap().to_owned();
        let res = auditor
            .get_bytes(&format!("/orgs/RJ1/report.pdf?as_at={AS_AT}"))
            .await;
        assert_eq!(res.0, StatusCode::OK, "{name}");
        let doc = lopdf::Document::load_mem(&res.1).expect("a PDF lopdf reads");
        let pages = page_texts(&doc);
        let n = pages.len();
        assert!(
            n > 1,
            "{name}: a large organisation's summary runs over pages, got {n}"
        );

        // Every page says which page of how many, when the report was generated and the hash of its content.
        let generated = pages[0]
            .split("Generated: ")
            .nth(1)
            .and_then(|rest| rest.get(..23))
            .expect("the title block states the generation time")
            .to_owned();
        assert!(generated.ends_with(" UTC"), "{name}: {generated}");
        for (i, text) in pages.iter().enumerate() {
            assert!(
                text.contains(&format!("Page {} of {n}", i + 1)),
                "{name}: page {} numbered: {text}",
                i + 1
            );
            assert!(text.contains(&hash), "{name}: hash on page {}", i + 1);
            assert!(
                text.contains(&format!("Generated {generated}")),
                "{name}: generation time on page {}",
                i + 1
            );
            // Each page's table has its header row, repeated where a table runs on.
            assert!(
                text.contains(
                    "Applicable Compliant Expiring Expired Missing Not yet due Exempt Compliance"
                ),
                "{name}: column headings on page {}: {text}",
                i + 1
            );
        }
        assert!(pages[0].contains(&format!("As at: {AS_AT}")), "{name}");
        assert!(
            pages[0].contains("Organisation: Guy's and St Thomas'") && pages[0].contains("(RJ1)"),
            "{name}: {}",
            pages[0]
        );

        // Every requirement of the summary, in order, each on the page after the previous one's or the same.
        let reqs = requirements(&csv.body);
        assert!(reqs.len() > 10, "{name}: {reqs:?}");
        let mut last = 1;
        for r in &reqs {
            let page = page_of(&pages, &format!("{r} "))
                .unwrap_or_else(|| panic!("{name}: requirement {r:?} is in no page of the PDF"));
            assert!(
                page >= last,
                "{name}: {r} on page {page}, before page {last}"
            );
            last = page;
        }

        // Every unit, with its code, in the order of the tree, after the requirements.
        let rj1 = store.org_by_code(&Scope::Platform, "RJ1").await.unwrap();
        let ctx = store.org_context(&Scope::Platform, rj1.id).await.unwrap();
        assert!(ctx.units.len() > 20, "{name}: a large organisation");
        let by_unit = page_of(&pages, "Compliance by unit").expect("the unit summary");
        assert!(by_unit >= last, "{name}");
        for u in &ctx.units {
            let page = page_of(&pages, &format!("{} {} ", u.name, u.code))
                .unwrap_or_else(|| panic!("{name}: unit {} ({}) is in no page", u.name, u.code));
            assert!(page >= by_unit, "{name}: {} on page {page}", u.name);
        }
        assert!(
            page_of(&pages, &ctx.units.last().unwrap().code).unwrap() > 1,
            "{name}: the unit table runs past the first page"
        );

        // Tagged (ISO 32000-1 14.8; ISO 14289-1): marked, with a structure tree of headings, paragraphs and tables,
        // the document's language, and its title shown in place of the file name.
        let catalog = doc.catalog().unwrap();
        let mark_info = doc
            .dereference(catalog.get(b"MarkInfo").expect("MarkInfo"))
            .unwrap()
            .1
            .as_dict()
            .unwrap()
            .clone();
        assert!(mark_info.get(b"Marked").unwrap().as_bool().unwrap());
        assert_eq!(
            catalog.get(b"Lang").unwrap().as_str().unwrap(),
            b"en-GB",
            "{name}"
        );
        let prefs = doc
            .dereference(
                catalog
                    .get(b"ViewerPreferences")
                    .expect("ViewerPreferences"),
            )
            .unwrap()
            .1
            .as_dict()
            .unwrap()
            .clone();
        assert!(prefs.get(b"DisplayDocTitle").unwrap().as_bool().unwrap());
        let info = doc
            .dereference(doc.trailer.get(b"Info").expect("Info"))
            .unwrap()
            .1
            .as_dict()
            .unwrap()
            .clone();
        let title = lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap();
        assert!(title.contains(&format!("as at {AS_AT}")), "{name}: {title}");
        let types = structure_types(&doc);
        for t in ["H1", "H2", "P", "Table", "THead", "TBody", "TR", "TH", "TD"] {
            assert!(types.iter().any(|s| s == t), "{name}: no {t} in {types:?}");
        }
        // One body row per requirement and per unit, one header row per table: repeated headers are artifacts.
        assert_eq!(
            types.iter().filter(|s| *s == "TR").count(),
            reqs.len() + ctx.units.len() + 2,
            "{name}"
        );
        // Real, embedded fonts: none of the standard 14, which PDF/UA does not allow.
        let mut descriptors = 0;
        for obj in doc.objects.values() {
            if let Ok(dict) = obj.as_dict()
                && dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"FontDescriptor")
            {
                descriptors += 1;
                assert!(dict.has(b"FontFile2") || dict.has(b"FontFile3"), "{name}");
            }
        }
        assert!(descriptors >= 2, "{name}: regular and bold");

        // A unit's report lists that unit and the units below it, no others.
        let top = ctx
            .units
            .iter()
            .find(|u| u.parent_id.is_none() && ctx.units.iter().any(|c| c.parent_id == Some(u.id)))
            .expect("a unit with units below it");
        let (status, bytes) = auditor
            .get_bytes(&format!(
                "/orgs/RJ1/report.pdf?as_at={AS_AT}&unit={}",
                top.id
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let text = page_texts(&lopdf::Document::load_mem(&bytes).unwrap()).join(" ");
        for u in &ctx.units {
            let below = u.id == top.id || u.parent_id == Some(top.id) || {
                let parent = ctx.units.iter().find(|p| Some(p.id) == u.parent_id);
                parent.is_some_and(|p| p.parent_id == Some(top.id))
            };
            assert_eq!(
                text.contains(&format!("{} {} ", u.name, u.code)),
                below,
                "{name}: {} in the report of {}",
                u.name,
                top.name
            );
        }
    }
}

/// A sheet's XML from the workbook.
fn sheet_xml(xlsx: &[u8], n: usize) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip");
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{n}.xml"))
        .expect("the sheet")
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test]
async fn the_excel_report_has_real_dates_a_frozen_header_and_a_filter() {
    use calamine::{Data, Reader, Xlsx};
    for (name, _store, mut auditor, _dir) in auditors().await {
        let csv = auditor
            .get(&format!("/orgs/RJ1/report.csv?as_at={AS_AT}"))
            .await;
        let res = auditor
            .get_bytes(&format!("/orgs/RJ1/report.xlsx?as_at={AS_AT}"))
            .await;
        assert_eq!(res.0, StatusCode::OK, "{name}");
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(res.1.clone())).expect("xlsx");
        let people = wb.worksheet_range("People").expect("the people sheet");
        let rows: Vec<&[Data]> = people.rows().collect();
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        let csv_rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(
            rows.len(),
            csv_rows.len() + 1,
            "{name}: a header and a row a person"
        );
        let due_cols: Vec<usize> = rows[0]
            .iter()
            .enumerate()
            .filter(|(_, h)| h.to_string().ends_with(" due"))
            .map(|(i, _)| i)
            .collect();
        assert!(!due_cols.is_empty(), "{name}");
        // Every due date is a date cell holding the CSV's date; no date is text.
        let mut dates = 0;
        for (row, csv_row) in rows[1..].iter().zip(&csv_rows) {
            for &c in &due_cols {
                match (&row[c], &csv_row[c]) {
                    (Data::Empty, "") => {}
                    (Data::DateTime(dt), expected) => {
                        let got = dt.as_datetime().expect("a date").date();
                        assert_eq!(got.to_string(), expected, "{name}");
                        dates += 1;
                    }
                    (other, expected) => {
                        panic!("{name}: due date {expected:?} stored as {other:?}")
                    }
                }
            }
        }
        assert!(dates > 100, "{name}: {dates} due dates");

        // Each table sheet: the header row frozen, an autofilter over the table, columns sized.
        let last_row = rows.len();
        let xml = sheet_xml(&res.1, 1);
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{name}: {}",
            &xml[..xml.find("<sheetData").unwrap_or(0)]
        );
        assert!(
            xml.contains(r#"<autoFilter ref="A1:"#) && xml.contains(&format!("{last_row}\"/>")),
            "{name}: the filter covers every row"
        );
        assert!(
            xml.contains("<cols>") && xml.contains("customWidth=\"1\""),
            "{name}"
        );
        for n in [2, 3] {
            let xml = sheet_xml(&res.1, n);
            assert!(xml.contains(r#"state="frozen""#), "{name}: sheet {n}");
            assert!(xml.contains("<autoFilter ref=\"A1:"), "{name}: sheet {n}");
        }
        let about = wb.worksheet_range("About").expect("about");
        let as_at = about.rows().find(|r| r[0] == "As at").expect("as at");
        assert!(
            matches!(&as_at[1], Data::DateTime(dt) if dt.as_datetime().unwrap().date() == d(AS_AT)),
            "{name}: {:?}",
            as_at[1]
        );
    }
}
