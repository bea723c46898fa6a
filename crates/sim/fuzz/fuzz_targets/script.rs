//! Any text as an action script (`MM:SS action key=value`): parsed or refused naming the line, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lantern_sim::script::parse(text);
    }
});
