//! Password hashing with argon2id (RFC 9106; OWASP's first choice), run off the async threads because it is slow on
//! purpose.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Argon2id uses 19 MiB per hash by design. At most one hash per core runs at once, so a burst of sign-ins (or an
/// attack) queues instead of exhausting memory and threads.
fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Semaphore::new(cores.clamp(1, 8))
    })
}

/// The shortest password accepted. NCSC guidance favours length over composition rules.
pub const MIN_LENGTH: usize = 12;

/// Why a new password is refused, if it is.
pub fn weakness(password: &str) -> Option<String> {
    if password.chars().count() < MIN_LENGTH {
        return Some(format!(
            "Enter a password of at least {MIN_LENGTH} characters"
        ));
    }
    if password.chars().count() > 256 {
        return Some("Enter a password of at most 256 characters".to_owned());
    }
    None
}

/// Hashes a password into an argon2id PHC string with a fresh random salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _slot = hashing_slots().acquire().await?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Checks a password against a stored hash. With no hash (an unknown account, or single-sign-on only) it still
/// spends the same time on a dummy hash, so response times do not reveal which accounts exist.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let stored_known = stored.is_some();
    let phc = stored.unwrap_or_else(|| dummy_hash().to_owned());
    let Ok(_slot) = hashing_slots().acquire().await else {
        return false;
    };
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && stored_known
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"not a real password, only spends time")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery".into()).await.expect("hash");
        let b = hash("correct horse battery".into()).await.expect("hash");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("correct horse battery".into(), Some(a.clone())).await);
        assert!(!verify("correct horse batterx".into(), Some(a)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(weakness("short").is_some() && weakness("a long enough passphrase").is_none());
    }
}
