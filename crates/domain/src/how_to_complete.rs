//! Where to do a requirement when Lantern holds no course for it: an organisation's link per requirement (a national
//! e-learning course, a booking page for a classroom session), shown to a learner who has it to do. What a link may
//! be is checked here: an absolute https address (no script, no local file), and a label that says what it opens.

/// The longest address and label kept.
const MAX_URL: usize = 500;
const MAX_LABEL: usize = 120;

/// What is wrong with a link, by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

/// Everything wrong with an address and its label.
pub fn check(url: &str, label: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let url = url.trim();
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    if url.len() > MAX_URL {
        out.push(Problem {
            field: "url",
            message: format!("Keep the address to {MAX_URL} characters"),
        });
    } else if host.is_empty()
        || !host.contains('.')
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    {
        out.push(Problem {
            field: "url",
            message: "Enter the full address, starting https://, like https://portal.e-lfh.org.uk/"
                .into(),
        });
    }
    let label = label.trim();
    if label.chars().count() < 3
        || label.chars().count() > MAX_LABEL
        || label.chars().any(char::is_control)
    {
        out.push(Problem {
            field: "label",
            message: format!("Say what the link opens, 3 to {MAX_LABEL} characters, like \"Fire Safety on e-Learning for Healthcare\""),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_https_addresses_with_a_label() {
        assert!(
            check(
                "https://portal.e-lfh.org.uk/Component/Details/1",
                "Fire Safety on e-LfH"
            )
            .is_empty()
        );
        for bad in [
            "http://portal.e-lfh.org.uk/",
            "javascript:alert(1)",
            "https://",
            "https://intranet/fire",
            "https://example.org/a b",
            "https://example.org/\"onmouseover=",
            "/orgs/RJ1",
        ] {
            assert_eq!(check(bad, "Fire Safety")[0].field, "url", "{bad}");
        }
        assert_eq!(check("https://example.org/", "")[0].field, "label");
    }
}
