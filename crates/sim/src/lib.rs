//! Clinical and AI-assisted simulations, with no I/O: everything here is a function of its inputs (and, for the
//! scenario engine to come, of a seed it is handed).
//!
//! - `news2`: the National Early Warning Score 2 (Royal College of Physicians, 2017): each parameter's sub-score,
//!   the aggregate, the risk band with its clinical response and minimum monitoring frequency, and refusal with a
//!   reason where NEWS2 does not apply or an observation cannot be real. The engine, the player and
//!   `POST /api/v1/news2` all call [`news2::score`].

pub mod news2;
