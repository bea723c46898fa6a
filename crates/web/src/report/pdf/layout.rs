//! Lays a document of blocks (headings, paragraphs, tables) out on landscape A4 pages, then draws it with krilla as
//! tagged content.
//!
//! Layout is done in full before anything is drawn, so every page's footer can say "Page N of M". Every position is
//! absolute (from the page's top-left corner), so nothing drifts down the page as rows are added.
//!
//! Tagging follows ISO 14289-1 (PDF/UA-1) and ISO 32000-1 14.8: the structure tree is Document > H1, P, H2,
//! Table > THead/TBody > TR > TH/TD, each pointing at its marked content; footers, rules and the header rows repeated
//! on continuation pages are artifacts, so a screen reader reads each table's header once and every row once.

use super::fonts::{FONTS, Face};
use krilla::Document;
use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};
use std::num::NonZeroU16;

pub(super) const PAGE_W: f32 = 841.89;
pub(super) const PAGE_H: f32 = 595.28;
pub(super) const LEFT: f32 = 40.0;
pub(super) const RIGHT: f32 = PAGE_W - 40.0;
/// The width text and tables may take.
pub(super) const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 40.0;
/// Content stops here; the footer is below it.
const BOTTOM: f32 = PAGE_H - 56.0;

const TABLE_SIZE: f32 = 8.5;
const TABLE_LEAD: f32 = 11.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.5;

pub(super) enum Block {
    Heading {
        level: u16,
        text: String,
    },
    /// A paragraph, optionally opening with a bold label ("As at: ").
    Para {
        label: Option<String>,
        text: String,
        size: f32,
    },
    Table(Table),
}

pub(super) struct Table {
    /// What the table holds, for assistive technology (the Table element's /Summary).
    pub summary: String,
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
}

pub(super) struct Column {
    pub heading: String,
    pub width: f32,
    /// Right-aligned.
    pub numeric: bool,
}

pub(super) struct TableRow {
    pub cells: Vec<String>,
    /// Extra left indent of the first cell (a unit's depth in the tree).
    pub indent: f32,
}

/// The narrowest a column can be without cutting a word of its heading (or a count of up to six digits).
pub(super) fn min_width(heading: &str) -> f32 {
    let widest = heading
        .split(' ')
        .chain(["000000"])
        .map(|w| FONTS.bold.width(w, TABLE_SIZE))
        .fold(0.0, f32::max);
    widest.ceil() + 2.0 * CELL_PAD_X + 2.0
}

/// A block broken into lines that fit.
enum Measured {
    Lines {
        lines: Vec<String>,
        size: f32,
        lead: f32,
        bold: bool,
        label_width: f32,
        space_before: f32,
    },
    Table {
        header: Vec<Vec<String>>,
        header_h: f32,
        rows: Vec<(Vec<Vec<String>>, f32)>,
    },
}

impl Measured {
    fn height(&self) -> f32 {
        match self {
            Measured::Lines {
                lines,
                lead,
                space_before,
                ..
            } => space_before + lead * lines.len() as f32,
            Measured::Table { header_h, rows, .. } => header_h + rows.first().map_or(0.0, |r| r.1),
        }
    }
}

/// What goes where on a page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Part {
    Whole,
    /// A table's header row; `repeated` on the pages a table continues onto.
    Header {
        repeated: bool,
    },
    Row(usize),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Placed {
    pub block: usize,
    pub part: Part,
    /// Top of the item, from the top of the page.
    pub y: f32,
}

fn measure(block: &Block) -> Measured {
    let f = &*FONTS;
    match block {
        Block::Heading { level, text } => {
            let size = if *level == 1 { 16.0 } else { 12.0 };
            Measured::Lines {
                lines: f.bold.wrap(text, size, WIDTH),
                size,
                lead: size * 1.45,
                bold: true,
                label_width: 0.0,
                space_before: if *level == 1 { 0.0 } else { 10.0 },
            }
        }
        Block::Para { label, text, size } => {
            let label_width = label.as_deref().map_or(0.0, |l| f.bold.width(l, *size));
            Measured::Lines {
                lines: f.regular.wrap(text, *size, WIDTH - label_width),
                size: *size,
                lead: size * 1.5,
                bold: false,
                label_width,
                space_before: 0.0,
            }
        }
        Block::Table(t) => {
            let cell_lines = |face: &Face, text: &str, c: &Column, indent: f32| {
                face.wrap(text, TABLE_SIZE, c.width - 2.0 * CELL_PAD_X - indent)
            };
            let height = |cells: &[Vec<String>]| {
                cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * TABLE_LEAD + 2.0 * CELL_PAD_Y
            };
            let header: Vec<Vec<String>> = t
                .columns
                .iter()
                .map(|c| cell_lines(&f.bold, &c.heading, c, 0.0))
                .collect();
            let rows = t
                .rows
                .iter()
                .map(|r| {
                    let cells: Vec<Vec<String>> = r
                        .cells
                        .iter()
                        .zip(&t.columns)
                        .enumerate()
                        .map(|(i, (text, c))| {
                            cell_lines(&f.regular, text, c, if i == 0 { r.indent } else { 0.0 })
                        })
                        .collect();
                    let h = height(&cells);
                    (cells, h)
                })
                .collect();
            Measured::Table {
                header_h: height(&header),
                header,
                rows,
            }
        }
    }
}

/// Breaks the blocks into pages: a heading stays with what follows it, a table starts only where its header and first
/// row fit, and a table that runs on repeats its header row at the top of the next page.
fn paginate(measured: &[Measured]) -> Vec<Vec<Placed>> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = TOP;
    let new_page = |pages: &mut Vec<Vec<Placed>>, y: &mut f32| {
        pages.push(Vec::new());
        *y = TOP;
    };
    for (i, m) in measured.iter().enumerate() {
        match m {
            Measured::Lines { .. } => {
                let is_heading = matches!(m, Measured::Lines { bold: true, .. });
                let keep = m.height()
                    + if is_heading {
                        measured.get(i + 1).map_or(0.0, Measured::height)
                    } else {
                        0.0
                    };
                if y + keep > BOTTOM && !pages.last().is_some_and(Vec::is_empty) {
                    new_page(&mut pages, &mut y);
                }
                pages.last_mut().expect("a page").push(Placed {
                    block: i,
                    part: Part::Whole,
                    y,
                });
                y += m.height();
            }
            Measured::Table { header_h, rows, .. } => {
                if y + m.height() > BOTTOM && !pages.last().is_some_and(Vec::is_empty) {
                    new_page(&mut pages, &mut y);
                }
                pages.last_mut().expect("a page").push(Placed {
                    block: i,
                    part: Part::Header { repeated: false },
                    y,
                });
                y += header_h;
                for (r, (_, h)) in rows.iter().enumerate() {
                    if y + h > BOTTOM {
                        new_page(&mut pages, &mut y);
                        pages.last_mut().expect("a page").push(Placed {
                            block: i,
                            part: Part::Header { repeated: true },
                            y,
                        });
                        y += header_h;
                    }
                    pages.last_mut().expect("a page").push(Placed {
                        block: i,
                        part: Part::Row(r),
                        y,
                    });
                    y += h;
                }
                y += 8.0;
            }
        }
    }
    pages
}

/// What is known about the whole document when it is drawn.
pub(super) struct Content {
    pub blocks: Vec<Block>,
    /// The two footer lines of a page, given its number and the page count.
    pub footer: Box<dyn Fn(usize, usize) -> [String; 2]>,
}

/// The structure elements of one block, filled in as its parts are drawn.
struct BlockTags {
    main: TagGroup,
    head: Option<TagGroup>,
    body: Option<TagGroup>,
}

/// Lays the blocks out and draws them into `doc`; returns the page count, and sets the tag tree and the outline
/// (one entry per heading, which PDF/UA-1 asks of a document).
pub(super) fn draw(doc: &mut Document, content: &Content) -> usize {
    let measured: Vec<Measured> = content.blocks.iter().map(measure).collect();
    let pages = paginate(&measured);
    let total = pages.len();
    let mut tags: Vec<Option<BlockTags>> = content.blocks.iter().map(|_| None).collect();
    let mut outline = Outline::new();
    for (p, items) in pages.iter().enumerate() {
        let mut page =
            doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid size"));
        let mut s = page.surface();
        for item in items {
            let block = &content.blocks[item.block];
            let m = &measured[item.block];
            let t = tags[item.block].get_or_insert_with(|| BlockTags::new(block));
            match (block, m, item.part) {
                (Block::Heading { text, .. }, Measured::Lines { .. }, _) => {
                    for id in draw_lines(&mut s, m, None, item.y) {
                        t.main.push(id);
                    }
                    outline.push_child(OutlineNode::new(
                        text.clone(),
                        XyzDestination::new(p, Point::from_xy(LEFT, item.y)),
                    ));
                }
                (Block::Para { label, .. }, Measured::Lines { .. }, _) => {
                    for id in draw_lines(&mut s, m, label.as_deref(), item.y) {
                        t.main.push(id);
                    }
                }
                (
                    Block::Table(table),
                    Measured::Table {
                        header,
                        header_h,
                        rows,
                    },
                    part,
                ) => match part {
                    Part::Header { repeated: true } => {
                        s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                            ArtifactType::PaginationOther,
                        )));
                        draw_row(&mut s, table, header, item.y, 0.0, true, false, &mut |_| {});
                        s.end_tagged();
                        rule(&mut s, item.y + header_h, 0.8);
                    }
                    Part::Header { repeated: false } => {
                        let mut tr = TagGroup::new(Tag::TR);
                        draw_row(
                            &mut s,
                            table,
                            header,
                            item.y,
                            0.0,
                            true,
                            true,
                            &mut |cell| {
                                let mut th = TagGroup::new(Tag::TH(TableHeaderScope::Column));
                                cell.into_iter().for_each(|id| th.push(id));
                                tr.push(th);
                            },
                        );
                        t.head.as_mut().expect("a table's head").push(tr);
                        rule(&mut s, item.y + header_h, 0.8);
                    }
                    Part::Row(r) => {
                        let (cells, h) = &rows[r];
                        let mut tr = TagGroup::new(Tag::TR);
                        let mut first = true;
                        draw_row(
                            &mut s,
                            table,
                            cells,
                            item.y,
                            table.rows[r].indent,
                            false,
                            true,
                            &mut |cell| {
                                // The first cell names the row (a requirement, a unit): a row header.
                                let mut g = if first {
                                    TagGroup::new(Tag::TH(TableHeaderScope::Row))
                                } else {
                                    TagGroup::new(Tag::TD)
                                };
                                first = false;
                                cell.into_iter().for_each(|id| g.push(id));
                                tr.push(g);
                            },
                        );
                        t.body.as_mut().expect("a table's body").push(tr);
                        rule(&mut s, item.y + h, 0.25);
                    }
                    Part::Whole => {}
                },
                _ => {}
            }
        }
        footer(&mut s, &(content.footer)(p + 1, total));
        s.finish();
        page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some("en-GB".into()));
    for t in tags.into_iter().flatten() {
        let mut main = t.main;
        if let Some(head) = t.head {
            main.push(head);
        }
        if let Some(body) = t.body {
            main.push(body);
        }
        tree.push(main);
    }
    doc.set_tag_tree(tree);
    doc.set_outline(outline);
    total
}

impl BlockTags {
    fn new(block: &Block) -> Self {
        let (main, table): (TagKind, bool) = match block {
            Block::Heading { level, text } => (
                Tag::Hn(
                    NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN),
                    Some(text.clone()),
                )
                .into(),
                false,
            ),
            Block::Para { .. } => (Tag::P.into(), false),
            Block::Table(t) => (
                Tag::Table.with_summary(Some(t.summary.clone())).into(),
                true,
            ),
        };
        BlockTags {
            main: TagGroup::new(main),
            head: table.then(|| TagGroup::new(Tag::THead)),
            body: table.then(|| TagGroup::new(Tag::TBody)),
        }
    }
}

/// Draws text with its baseline at `baseline`.
fn text(s: &mut Surface, face: &Face, size: f32, x: f32, baseline: f32, text: &str) {
    let (drawn, glyphs) = face.shape(text);
    s.draw_glyphs(
        Point::from_xy(x, baseline),
        &glyphs,
        face.font.clone(),
        &drawn,
        size,
        false,
    );
}

/// A heading's or paragraph's lines, each its own marked-content sequence; returns their identifiers in order.
fn draw_lines(s: &mut Surface, m: &Measured, label: Option<&str>, top: f32) -> Vec<Identifier> {
    let Measured::Lines {
        lines,
        size,
        lead,
        bold,
        label_width,
        space_before,
    } = m
    else {
        return Vec::new();
    };
    let f = &*FONTS;
    let mut ids = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + space_before + lead * i as f32 + lead * 0.75;
        ids.push(s.start_tagged(ContentTag::Span(SpanTag::empty())));
        if let (0, Some(label)) = (i, label) {
            text(s, &f.bold, *size, LEFT, baseline, label);
        }
        text(s, f.face(*bold), *size, LEFT + label_width, baseline, line);
        s.end_tagged();
    }
    ids
}

/// One table row, in `bold` for a header row. Each cell's lines are marked-content sequences whose identifiers are
/// handed to `cell` in column order, unless the row is drawn inside an artifact (`tagged` false: marked content cannot
/// nest).
#[allow(clippy::too_many_arguments)]
fn draw_row(
    s: &mut Surface,
    table: &Table,
    cells: &[Vec<String>],
    top: f32,
    indent: f32,
    bold: bool,
    tagged: bool,
    cell: &mut dyn FnMut(Vec<Identifier>),
) {
    let face = FONTS.face(bold);
    let mut x = LEFT;
    for (i, (lines, col)) in cells.iter().zip(&table.columns).enumerate() {
        let indent = if i == 0 { indent } else { 0.0 };
        let mut ids = Vec::new();
        for (l, line) in lines.iter().enumerate() {
            let baseline = top + CELL_PAD_Y + TABLE_LEAD * l as f32 + TABLE_LEAD * 0.78;
            let lx = if col.numeric {
                x + col.width - CELL_PAD_X - face.width(line, TABLE_SIZE)
            } else {
                x + CELL_PAD_X + indent
            };
            if tagged {
                ids.push(s.start_tagged(ContentTag::Span(SpanTag::empty())));
            }
            text(s, face, TABLE_SIZE, lx, baseline, line);
            if tagged {
                s.end_tagged();
            }
        }
        cell(ids);
        x += col.width;
    }
}

/// A horizontal rule across the content width (an artifact: it only separates rows).
fn rule(s: &mut Surface, y: f32, width: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(LEFT, y);
    pb.line_to(RIGHT, y);
    let Some(path) = pb.finish() else { return };
    s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
        ArtifactType::Layout,
    )));
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        paint: rgb::Color::new(0x76, 0x86, 0x92).into(),
        width,
        ..Stroke::default()
    }));
    s.draw_path(&path);
    s.set_stroke(None);
    s.set_fill(Some(Fill::default()));
    s.end_tagged();
}

/// The footer: an artifact (PDF/UA-1 7.8), the same on every page but for the page number.
fn footer(s: &mut Surface, lines: &[String; 2]) {
    let f = &*FONTS;
    let size = 7.5;
    s.start_tagged(ContentTag::Artifact(Artifact::with_kind(
        ArtifactType::Footer,
    )));
    for (i, line) in lines.iter().enumerate() {
        text(
            s,
            &f.regular,
            size,
            LEFT,
            PAGE_H - 34.0 + 11.0 * i as f32,
            line,
        );
    }
    s.end_tagged();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> Block {
        Block::Table(Table {
            summary: "test".into(),
            columns: vec![
                Column {
                    heading: "Name".into(),
                    width: 300.0,
                    numeric: false,
                },
                Column {
                    heading: "Count".into(),
                    width: 60.0,
                    numeric: true,
                },
            ],
            rows: (0..rows)
                .map(|i| TableRow {
                    // Every seventh name wraps onto a second line.
                    cells: vec![
                        if i % 7 == 0 {
                            "a long name ".repeat(12)
                        } else {
                            format!("row {i}")
                        },
                        i.to_string(),
                    ],
                    indent: 0.0,
                })
                .collect(),
        })
    }

    #[test]
    fn a_long_table_runs_over_pages_with_its_header_repeated_and_every_row_once_in_order() {
        let blocks = [
            Block::Heading {
                level: 2,
                text: "A table".into(),
            },
            table(200),
        ];
        let measured: Vec<Measured> = blocks.iter().map(measure).collect();
        let pages = paginate(&measured);
        assert!(pages.len() > 3, "{} pages", pages.len());
        let mut next_row = 0;
        for (p, items) in pages.iter().enumerate() {
            let first_table_item = items
                .iter()
                .find(|i| i.block == 1)
                .expect("table on every page");
            let expected = Part::Header { repeated: p > 0 };
            assert_eq!(first_table_item.part, expected, "page {p}");
            for item in items {
                if let Part::Row(r) = item.part {
                    assert_eq!(r, next_row, "rows in order, each once");
                    next_row += 1;
                    let Measured::Table { rows, .. } = &measured[1] else {
                        unreachable!()
                    };
                    assert!(
                        item.y + rows[r].1 <= BOTTOM,
                        "row {r} ends above the footer"
                    );
                }
            }
        }
        assert_eq!(next_row, 200);
    }

    #[test]
    fn a_heading_is_never_left_alone_at_the_foot_of_a_page() {
        // Enough paragraphs to bring the heading near the bottom of the first page.
        let mut blocks: Vec<Block> = (0..31)
            .map(|i| Block::Para {
                label: None,
                text: format!("line {i}"),
                size: 9.5,
            })
            .collect();
        blocks.push(Block::Heading {
            level: 2,
            text: "Next".into(),
        });
        blocks.push(table(3));
        let measured: Vec<Measured> = blocks.iter().map(measure).collect();
        let pages = paginate(&measured);
        let heading_page = pages
            .iter()
            .position(|p| p.iter().any(|i| i.block == 31))
            .unwrap();
        let table_page = pages
            .iter()
            .position(|p| p.iter().any(|i| i.block == 32))
            .unwrap();
        // The heading alone would fit on the first page; with the table's header and first row it does not.
        assert_eq!((heading_page, table_page), (1, 1));
    }

    #[test]
    fn text_wraps_within_its_width_and_keeps_every_word() {
        let f = &*FONTS;
        let text = "Infection Prevention and Control Level 2 for clinical staff in every setting";
        let lines = f.regular.wrap(text, TABLE_SIZE, 120.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| f.regular.width(l, TABLE_SIZE) <= 120.0)
        );
        assert_eq!(lines.join(" "), text);
    }
}
