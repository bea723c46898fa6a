//! Any bytes as cmi5.xml: parsed or refused with a reason, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = lantern_learning::cmi5::CourseStructure::parse(data) {
        assert!(!c.aus().is_empty());
        let _ = c.satisfaction(&BTreeMap::new());
    }
});
