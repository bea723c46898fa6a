//! Native lessons: Markdown written by authors, rendered to HTML that cannot carry script.
//!
//! Safety comes from what the renderer will emit rather than from cleaning HTML afterwards: raw HTML in the source
//! is shown as text, never passed through; links keep only `https:`, `http:`, `mailto:`, in-page `#` and relative
//! targets (so no `javascript:` or `data:` URL); images may only be the lesson's own uploaded images, named by the
//! caller. The page's Content Security Policy is the second wall.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Renders a lesson. `image_url` maps an image reference in the Markdown (`![alt](name.png)`) to the URL of an
/// uploaded image, or None when the lesson has no such image (the alt text is shown instead).
pub fn render(markdown: &str, image_url: impl Fn(&str) -> Option<String>) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut events = Vec::new();
    let mut in_missing_image = 0usize;
    for event in Parser::new_ext(markdown, options) {
        let event = match event {
            // Raw HTML becomes visible text.
            Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: safe_link(dest_url),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => match image_url(&dest_url) {
                Some(url) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: url.into(),
                    title,
                    id,
                }),
                None => {
                    in_missing_image += 1;
                    continue;
                }
            },
            Event::End(TagEnd::Image) if in_missing_image > 0 => {
                in_missing_image -= 1;
                continue;
            }
            other => other,
        };
        events.push(event);
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

/// A link target, or `#` when its scheme could run code or leave no trace of where it goes.
fn safe_link(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains('/') && !s.contains('?') && !s.contains('#'));
    match scheme {
        None | Some("https") | Some("http") | Some("mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

/// The largest lesson image taken: a photograph or diagram for a screen fits well within it.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// Why an upload is not taken as a lesson image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageProblem {
    #[error("the image is empty")]
    Empty,
    #[error("the image is larger than 2 MB; save it smaller")]
    TooLarge,
    #[error(
        "the file is not a PNG, JPEG, GIF or WebP image (SVG is not taken: it can carry script)"
    )]
    NotAnImage,
}

/// The content type of a lesson image, recognised from its first bytes (the name and the type the browser claimed
/// are never trusted), or why it is refused.
pub fn image_type(bytes: &[u8]) -> Result<&'static str, ImageProblem> {
    if bytes.is_empty() {
        return Err(ImageProblem::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageProblem::TooLarge);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(ImageProblem::NotAnImage)
    }
}

/// Whether a name can be an image's name in a lesson: a plain file name, so a reference cannot be a URL or a path.
pub fn valid_image_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The images a lesson refers to, so an author is told which are not uploaded yet.
pub fn image_references(markdown: &str) -> Vec<String> {
    Parser::new(markdown)
        .filter_map(|e| match e {
            Event::Start(Tag::Image {
                link_type: LinkType::Inline | LinkType::Reference | LinkType::Shortcut | LinkType::Collapsed,
                dest_url,
                ..
            }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploaded(name: &str) -> Option<String> {
        (name == "exit.png").then(|| "/lessons/7/images/exit.png".to_owned())
    }

    #[test]
    fn images_are_recognised_by_their_content_and_capped() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Ok("image/png"));
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Ok("image/jpeg"));
        assert_eq!(image_type(b"GIF89a..."), Ok("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(
            image_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
            Err(ImageProblem::NotAnImage)
        );
        assert_eq!(image_type(b"<html>"), Err(ImageProblem::NotAnImage));
        assert_eq!(image_type(b""), Err(ImageProblem::Empty));
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(image_type(&big), Err(ImageProblem::TooLarge));
        assert!(valid_image_name("fire-exit_2.png"));
        for bad in [
            "",
            "../x.png",
            "a/b.png",
            "https://x.test/a.png",
            ".hidden",
            "a b.png",
        ] {
            assert!(!valid_image_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn markdown_renders_with_tables_and_lists() {
        let html = render(
            "# Fire\n\n- Raise the alarm\n- **Leave**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            uploaded,
        );
        assert!(html.contains("<h1>Fire</h1>"), "{html}");
        assert!(html.contains("<li><strong>Leave</strong></li>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn raw_html_and_script_are_shown_as_text_never_run() {
        let html = render(
            "Hello <script>alert(document.cookie)</script>\n\n<img src=x onerror=alert(1)>\n",
            uploaded,
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn links_with_dangerous_schemes_go_nowhere() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " javascript:x",
            "data:text/html,<b>",
            "vbscript:x",
        ] {
            let html = render(&format!("[click]({bad})"), uploaded);
            assert!(html.contains("href=\"#\""), "{bad}: {html}");
        }
        for good in [
            "https://www.nhs.uk/",
            "mailto:ld@trust.nhs.uk",
            "#section",
            "other-lesson",
            "/courses/3?x=1:2",
        ] {
            let html = render(&format!("[ok]({good})"), uploaded);
            assert!(
                !html.contains("href=\"#\"") || good == "#section",
                "{good}: {html}"
            );
        }
    }

    #[test]
    fn only_uploaded_images_are_shown() {
        let html = render(
            "![Fire exit sign](exit.png) ![tracker](https://evil.example/pixel.gif)",
            uploaded,
        );
        assert!(
            html.contains("src=\"/lessons/7/images/exit.png\""),
            "{html}"
        );
        assert!(html.contains("alt=\"Fire exit sign\""), "{html}");
        assert!(!html.contains("evil.example"), "{html}");
        assert!(
            html.contains("tracker"),
            "the missing image's alt text stays: {html}"
        );
        assert_eq!(
            image_references("![a](one.png) and ![b](two.jpg)"),
            ["one.png", "two.jpg"]
        );
    }
}
