//! The PDF's fonts: Noto Sans regular and bold (SIL Open Font License 1.1), taken from npm by `build.rs` with the
//! lockfile and embedded in the binary. PDF/UA-1 needs embedded fonts (ISO 14289-1, 7.21.4.1), which the standard 14
//! fonts are not; krilla embeds only the glyphs a document uses.
//!
//! Text is laid out one glyph per character with the font's own advances (no kerning or ligatures: names and labels
//! in Latin script need neither), so what is measured here is exactly what is drawn.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};
use std::sync::LazyLock;

static REGULAR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/NotoSans-Regular.ttf"));
static BOLD: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/NotoSans-Bold.ttf"));

/// One font: krilla's handle for drawing, and its character map and advances for measuring.
pub(super) struct Face {
    pub font: Font,
    charmap: skrifa::charmap::Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Drawn for a character the font lacks, so no text is ever drawn with the missing-glyph box.
    fallback: skrifa::GlyphId,
}

pub(super) struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

pub(super) static FONTS: LazyLock<Fonts> = LazyLock::new(|| Fonts {
    regular: Face::new(REGULAR),
    bold: Face::new(BOLD),
});

impl Fonts {
    pub fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

impl Face {
    fn new(bytes: &'static [u8]) -> Face {
        // Both files are fixed at build time; a build whose fonts do not parse must not ship.
        let font_ref = FontRef::new(bytes).expect("the embedded Noto Sans parses");
        let charmap = font_ref.charmap();
        let fallback = charmap.map('?').expect("Noto Sans has '?'");
        Face {
            font: Font::new(bytes.into(), 0).expect("krilla reads the embedded Noto Sans"),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(
                font_ref
                    .metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em,
            ),
            charmap,
            fallback,
        }
    }

    fn glyph(&self, ch: char) -> (char, skrifa::GlyphId) {
        match self.charmap.map(ch).filter(|g| g.to_u32() != 0) {
            Some(g) if !ch.is_control() => (ch, g),
            _ => ('?', self.fallback),
        }
    }

    /// Advance of a glyph in ems.
    fn advance(&self, g: skrifa::GlyphId) -> f32 {
        self.metrics.advance_width(g).unwrap_or(0.0) / self.units_per_em
    }

    /// The text as drawn (characters the font lacks become '?') and its glyphs, each mapped back to its character so
    /// that the text can be extracted, searched and read aloud.
    pub fn shape(&self, text: &str) -> (String, Vec<KrillaGlyph>) {
        let mut drawn = String::with_capacity(text.len());
        let mut glyphs = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let (ch, g) = self.glyph(ch);
            let start = drawn.len();
            drawn.push(ch);
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(g.to_u32()),
                self.advance(g),
                0.0,
                0.0,
                0.0,
                start..drawn.len(),
                None,
            ));
        }
        (drawn, glyphs)
    }

    /// Width of the text at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c).1))
            .sum::<f32>()
            * size
    }

    /// The text broken at spaces into lines no wider than `width` (a word longer than a line is cut by character).
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: cut it if even that is too wide.
            for ch in word.chars() {
                line.push(ch);
                if self.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(ch);
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}
