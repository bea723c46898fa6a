//! Any text as a scenario file: refused with a reason, or accepted and then played (its course to the time limit,
//! every offered action at minute 1, the score), never a panic.
#![no_main]
use lantern_sim::engine::Run;
use lantern_sim::{scenario, scoring};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(s) = scenario::parse("fuzz.toml", text) {
        let mut run = Run::new(&s, 7);
        let _ = run.trace(s.minutes);
        // Each offered action, with the fields a learner's form would send (an action takes the ones it uses).
        for (i, a) in s.actions.iter().enumerate() {
            let mut fields =
                std::collections::HashMap::from([("news2", "3"), ("to", "registrar"), ("target", "94-98")]);
            if let Ok(action) = lantern_sim::script::action(a.code(), &mut fields) {
                let _ = run.act(60 + i as u32, action);
            }
        }
        let _ = run.end(s.minutes * 60);
        let score = scoring::score(&run);
        // The score's invariants, as the crate's property tests state them.
        assert!(score.earned <= score.possible);
        assert!(score.percent <= 100);
        assert_eq!(score.passed, score.failed_because.is_empty());
    }
});
