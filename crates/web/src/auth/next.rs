//! Where to go after signing in (`next`): only somewhere on this site.
//!
//! A browser resolves a `Location` header with the WHATWG URL parser, which removes tabs and newlines anywhere in
//! the value and reads `\` as `/` (WHATWG URL Standard, "basic URL parser"); so `/\t/evil.example` or `/\evil`
//! takes it to another host even though the text starts with one slash. `next` is therefore resolved here the same
//! way, against a fixed base, and accepted only when the result is on the base's origin; what is returned is the
//! resolved path and query as the parser serialised them, never the raw input (OWASP Unvalidated Redirects and
//! Forwards Cheat Sheet: allow-list the destination).

/// An address on this site, safe to put in a `Location` header: made only by [`safe_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The home page, where a refused `next` goes.
    pub fn home() -> Self {
        NextPath("/".to_owned())
    }
}

impl std::fmt::Display for NextPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any origin would do: it only stands for "this site" while `next` is resolved. `.invalid` is reserved (RFC 2606).
const BASE: &str = "http://lantern.invalid/";

/// The path and query `next` leads to on this site, or `/` when it leads anywhere else, is not a URL, or holds a
/// control character (a newline or NUL could never be sent in a header; one that slipped through would fail the
/// response after the session had started, so it is refused here, before).
pub fn safe_next(next: Option<&str>) -> NextPath {
    let Some(next) = next.filter(|n| !n.is_empty()) else {
        return NextPath::home();
    };
    if next.chars().any(char::is_control) {
        tracing::info!(
            next = next.escape_debug().to_string(),
            "refused a sign-in destination with a control character"
        );
        return NextPath::home();
    }
    // A relative reference only: anything with a scheme of its own (`https:`, `javascript:`, even `http:/path`)
    // is an absolute URL, and refused whatever it names.
    if url::Url::parse(next).is_ok() {
        return NextPath::home();
    }
    let base = url::Url::parse(BASE).expect("the base URL parses");
    let Ok(resolved) = base.join(next) else {
        return NextPath::home();
    };
    if resolved.origin() != base.origin()
        || !resolved.username().is_empty()
        || resolved.password().is_some()
    {
        return NextPath::home();
    }
    let mut out = resolved.path().to_owned();
    // `/.//evil.example` resolves to the path `//evil.example`: on its own in a Location header, that is
    // protocol-relative and names another host.
    if !out.starts_with('/') || out.starts_with("//") {
        return NextPath::home();
    }
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    NextPath(out)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_kept() {
        let cases: &[(&str, &str)] = &[
            // Kept: paths on this site, with their query.
            ("/", "/"),
            ("/orgs/RJ1", "/orgs/RJ1"),
            ("/ok?x=1", "/ok?x=1"),
            (
                "/orgs/RJ1?as_at=2026-01-01&unit=3",
                "/orgs/RJ1?as_at=2026-01-01&unit=3",
            ),
            ("/team#row-4", "/team"),
            ("/a/../me", "/me"),
            ("me", "/me"),
            ("/caf\u{e9}", "/caf%C3%A9"),
            ("/a b", "/a%20b"),
            // Another host, however it is spelt.
            ("//evil.example", "/"),
            ("//evil.example/x", "/"),
            ("/\\evil.example", "/"),
            ("\\\\evil.example", "/"),
            ("\\/evil.example", "/"),
            ("/\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/\r/evil.example", "/"),
            ("/\t\\evil.example", "/"),
            ("https://evil.example", "/"),
            ("http://evil.example/", "/"),
            ("HTTPS://evil.example", "/"),
            ("https:evil.example", "/"),
            ("http:/evil.example", "/"),
            ("http:evil.example", "/"),
            ("//lantern.invalid@evil.example", "/"),
            ("http://lantern.invalid@evil.example/", "/"),
            ("http://user@lantern.invalid/", "/"),
            ("/.//evil.example", "/"),
            ("/..//evil.example", "/"),
            ("/%2e//evil.example", "/"),
            ("/./\\evil.example", "/"),
            (" //evil.example", "/"),
            ("\u{0}//evil.example", "/"),
            // Other schemes.
            ("javascript:alert(1)", "/"),
            ("JavaScript:alert(1)", "/"),
            ("java\tscript:alert(1)", "/"),
            ("data:text/html,<script>alert(1)</script>", "/"),
            ("mailto:x@evil.example", "/"),
            // Control characters anywhere: refused before anything else (a header cannot carry them).
            ("/me\r\nSet-Cookie: x=1", "/"),
            ("/me\n", "/"),
            ("/me\0", "/"),
            ("/me\u{7f}", "/"),
            ("", "/"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_next(Some(input)).as_str(), *want, "next = {:?}", input);
        }
        assert_eq!(safe_next(None).as_str(), "/");
    }

    #[test]
    fn what_is_kept_is_a_valid_header_value() {
        for input in [
            "/a b",
            "/caf\u{e9}?q=\u{fc}",
            "/x?y=<z>\"",
            "/%0d%0aSet-Cookie:x",
        ] {
            let out = safe_next(Some(input));
            assert!(
                axum::http::HeaderValue::from_str(out.as_str()).is_ok(),
                "{input:?} -> {out}"
            );
            assert!(out.as_str().starts_with('/') && !out.as_str().starts_with("//"));
        }
    }
}
