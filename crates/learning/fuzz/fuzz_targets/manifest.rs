//! Any bytes as imsmanifest.xml: parsed or refused with a reason, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = lantern_learning::scorm::Manifest::parse(data) {
        // A manifest that parses always has something to launch, at a path inside the package.
        for item in m.launchable_items() {
            if let Some(url) = m.launch_url(item) {
                assert!(!url.starts_with('/') && !url.split(['/', '?', '#']).any(|s| s == ".."));
            }
        }
    }
});
