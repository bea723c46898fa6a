//! Any bytes as a package zip: opened and unpacked within the limits, or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lantern_learning::scorm::{Limits, Package};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_unpacked_bytes: 16 * 1024 * 1024,
        ..Limits::default()
    };
    if let Ok(mut p) = Package::open(std::io::Cursor::new(data), limits) {
        let mut total = 0usize;
        let _ = p.unpack(|_, bytes| {
            total += bytes.len();
            Ok(())
        });
        assert!(total as u64 <= limits.max_unpacked_bytes);
    }
});
