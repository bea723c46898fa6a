//! The one rule for what Lantern accepts as an email address, wherever one is typed or imported (staff files,
//! accounts, invitations, password resets). Deliberately plain: a local part, one `@`, and a domain with a dot, no
//! spaces, at most 254 characters (the longest address a mail server must accept as a path, RFC 5321 section 4.5.3.1).
//! Whether the address works is for the mail server to say; this only refuses what cannot be one.

/// The longest address accepted.
pub const MAX_LEN: usize = 254;

/// Why `address` (already trimmed) is not an email address, or None when it can be one.
pub fn problem(address: &str) -> Option<&'static str> {
    if address.len() > MAX_LEN {
        return Some("is longer than an email address can be");
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("has a space in it");
    }
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') =>
        {
            None
        }
        _ => Some("is not an email address, like name@nhs.net"),
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn addresses() {
        for ok in ["a@b.nhs.net", "first.last+tag@nhs.net", "X@Y.UK"] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "a",
            "@nhs.net",
            "a@",
            "a@b",
            "a@@b.net",
            "a@b@c.net",
            "a b@c.net",
            "a@.net",
            "a@net.",
        ] {
            assert!(problem(bad).is_some(), "{bad}");
        }
        assert!(problem(&format!("{}@nhs.net", "a".repeat(250))).is_some());
    }
}
