//! A small, safe element tree for the XML that packages carry (imsmanifest.xml, cmi5.xml).
//!
//! Safety by construction: a document type declaration is refused outright, so there is no internal subset in which
//! to declare entities; only the five predefined entities and character references are resolved; nothing is ever
//! fetched. Depth and element count are capped, so a hostile file cannot exhaust the stack or memory beyond its own
//! (already size-capped) bytes. Names are kept as local names (the prefix dropped): packages disagree on prefixes
//! (`adlcp:scormtype`, `adlcp:scormType`) and the namespaces they are bound to are checked where it matters.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;

/// Deeper than any real manifest (the deepest item trees seen in packages are a dozen levels).
const MAX_DEPTH: usize = 256;
/// More elements than any real manifest holds (a large multi-SCO course has a few thousand).
const MAX_ELEMENTS: usize = 200_000;

/// One element: its local name, attributes (local name, value), text content and children, and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    pub name: String,
    /// The namespace prefix as written (`adlcp`, `imsss`), or empty.
    pub prefix: String,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Element>,
    /// All the element's own text (not its children's), joined in order.
    pub text: String,
    /// The text that follows this element inside its parent, before the next sibling: with `text`, enough to read
    /// mixed content (`<p>Wash <b>hands</b> first</p>`) in document order (see [`Element::inner_text`]).
    pub tail: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The prefix as written (`xmlns`, `adlcp`, `xml`), or empty.
    pub prefix: String,
    pub name: String,
    pub value: String,
}

/// Why a document could not be read as XML, with the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct XmlError {
    pub line: usize,
    pub reason: String,
}

impl Element {
    /// The value of the attribute with this local name (any prefix but `xmlns`).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.prefix != "xmlns" && a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_str())
    }

    /// Children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child with this local name.
    pub fn child<'a>(&'a self, name: &'a str) -> Option<&'a Element> {
        self.children_named(name).next()
    }

    /// The trimmed text of the first child with this local name.
    pub fn child_text<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Every piece of text inside the element, its children's included, in document order, with whitespace runs
    /// made single spaces. Children for which `skip` says yes are left out (with their own text, but not their
    /// tail, which belongs to the parent). Block elements (`p`, `div`, `li`, `br`) separate words.
    pub fn inner_text(&self, skip: &dyn Fn(&Element) -> bool) -> String {
        fn walk(e: &Element, skip: &dyn Fn(&Element) -> bool, out: &mut String) {
            // `text` is the text before the first child followed by each child's tail, so the head is its prefix.
            let tails: usize = e.children.iter().map(|c| c.tail.len()).sum();
            out.push_str(&e.text[..e.text.len() - tails]);
            for c in &e.children {
                if !skip(c) {
                    let block = matches!(c.name.as_str(), "p" | "div" | "li" | "br" | "ul" | "ol");
                    if block {
                        out.push(' ');
                    }
                    walk(c, skip, out);
                    if block {
                        out.push(' ');
                    }
                }
                out.push_str(&c.tail);
            }
        }
        let mut out = String::new();
        walk(self, skip, &mut out);
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Namespace declarations on this element: (prefix, or "" for the default namespace; URI).
    pub fn namespaces(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attributes
            .iter()
            .filter_map(|a| match (a.prefix.as_str(), a.name.as_str()) {
                ("xmlns", prefix) => Some((prefix, a.value.as_str())),
                ("", "xmlns") => Some(("", a.value.as_str())),
                _ => None,
            })
    }
}

/// Parses a whole document into its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.starts_with(b"\xFF\xFE") || text.starts_with(b"\xFE\xFF") {
        return Err(XmlError {
            line: 1,
            reason: "the file is UTF-16; save it as UTF-8".into(),
        });
    }
    let text = std::str::from_utf8(text).map_err(|e| XmlError {
        line: line_at(&bytes[..e.valid_up_to()], e.valid_up_to()),
        reason: "the file is not valid UTF-8".into(),
    })?;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let at = reader.buffer_position() as usize;
        let line = || line_at(text.as_bytes(), at);
        let event = reader.read_event().map_err(|e| XmlError {
            line: line_at(text.as_bytes(), reader.error_position() as usize),
            reason: e.to_string(),
        })?;
        let fail = |reason: String| XmlError {
            line: line(),
            reason,
        };
        match event {
            Event::DocType(_) => {
                return Err(fail(
                    "a document type declaration (<!DOCTYPE>) is not allowed: packages never need one, and it \
                     could declare entities"
                        .into(),
                ));
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(fail(format!(
                    "<{}> after the root element has ended",
                    e.name().as_ref()
                )));
            }
            Event::Start(ref e) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(fail(format!(
                        "the document is too deep or too large (over {MAX_DEPTH} levels or {MAX_ELEMENTS} elements)"
                    )));
                }
                stack.push(element(e, line()).map_err(fail)?);
            }
            Event::Empty(ref e) => {
                count += 1;
                let el = element(e, line()).map_err(fail)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| fail("an end tag with no start".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let ch: Cow<str> = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string().into(),
                    Ok(None) => match predefined(&r) {
                        Some(s) => s.into(),
                        None => {
                            return Err(fail(format!("&{}; is not an entity XML defines", &*r)));
                        }
                    },
                    Err(e) => return Err(fail(e.to_string())),
                };
                push_text(&mut stack, &ch);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            line: open.line,
            reason: format!("<{}> is never closed", open.name),
        });
    }
    root.ok_or(XmlError {
        line: 1,
        reason: "the file has no root element".into(),
    })
}

/// Text inside the open element: its own, and the tail of its last child so far, if any.
fn push_text(stack: &mut [Element], text: &str) {
    if let Some(top) = stack.last_mut() {
        top.text.push_str(text);
        if let Some(last) = top.children.last_mut() {
            last.tail.push_str(text);
        }
    }
}

fn predefined(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

fn element(e: &BytesStart<'_>, line: usize) -> Result<Element, String> {
    let (prefix, name) = split_name(e.name().as_ref());
    let mut attributes = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("<{name}>: {err}"))?;
        let (aprefix, aname) = split_name(a.key.as_ref());
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| format!("<{name}> attribute {aname}: {err}"))?
            .into_owned();
        attributes.push(Attribute {
            prefix: aprefix,
            name: aname,
            value,
        });
    }
    Ok(Element {
        name,
        prefix,
        attributes,
        children: Vec::new(),
        text: String::new(),
        tail: String::new(),
        line,
    })
}

fn split_name(qname: &str) -> (String, String) {
    match qname.split_once(':') {
        Some((p, n)) => (p.to_owned(), n.to_owned()),
        None => (String::new(), qname.to_owned()),
    }
}

fn line_at(text: &[u8], offset: usize) -> usize {
    1 + text[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_content_reads_in_document_order() {
        let doc = parse(b"<p>Wash <b>hands</b> first<note>skip me</note>, then <i>dry</i>.</p>")
            .expect("parses");
        assert_eq!(doc.text, "Wash  first, then .");
        assert_eq!(
            doc.inner_text(&|_| false),
            "Wash hands firstskip me, then dry."
        );
        assert_eq!(
            doc.inner_text(&|e| e.name == "note"),
            "Wash hands first, then dry."
        );
    }

    #[test]
    fn elements_attributes_and_text_are_read_with_their_lines() {
        let doc = parse(
            b"<?xml version=\"1.0\"?>\n<a xmlns=\"urn:x\" xmlns:p=\"urn:p\" p:k=\"v &amp; w\">\n  <b>one &lt;2&gt; &#x41;</b>\n  <p:c/>\n</a>",
        )
        .expect("parses");
        assert_eq!(doc.name, "a");
        assert_eq!(doc.attr("k"), Some("v & w"));
        assert_eq!(doc.child_text("b"), Some("one <2> A"));
        assert_eq!(doc.child("b").unwrap().line, 3);
        let c = doc.child("c").unwrap();
        assert_eq!((c.prefix.as_str(), c.line), ("p", 4));
        let ns: Vec<_> = doc.namespaces().collect();
        assert_eq!(ns, vec![("", "urn:x"), ("p", "urn:p")]);
    }

    #[test]
    fn a_doctype_is_refused_so_no_entity_can_be_declared_or_fetched() {
        let xxe = b"<?xml version=\"1.0\"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<m>&x;</m>";
        let err = parse(xxe).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("DOCTYPE"), "{err}");
        let laughs = b"<!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><l>&b;</l>";
        assert!(parse(laughs).unwrap_err().reason.contains("DOCTYPE"));
        // And an undeclared entity without a DTD is an error, not an empty string.
        let err = parse(b"<m>\n&x;</m>").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("&x;"), "{err}");
    }

    #[test]
    fn malformed_documents_name_the_line_and_the_problem() {
        let err = parse(b"<a>\n<b>\n</a>").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(parse(b"<a>").unwrap_err().reason.contains("never closed"));
        assert!(parse(b"").unwrap_err().reason.contains("no root"));
        assert!(
            parse(b"\xFF\xFE<\x00a\x00/\x00>\x00")
                .unwrap_err()
                .reason
                .contains("UTF-16")
        );
        assert!(parse(b"<a>\xC3</a>").unwrap_err().reason.contains("UTF-8"));
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(
            parse(deep.as_bytes())
                .unwrap_err()
                .reason
                .contains("too deep")
        );
    }
}
