//! Reading a password at the terminal without showing it (OWASP ASVS 2.1.12: a password is shown only when the person
//! asks), so it is left neither on the screen nor in the terminal's scroll-back.
//!
//! Echo is turned off *before* the prompt appears, so nothing typed after the prompt, however quickly (a paste), is
//! echoed; it is turned back on however the read ends, Ctrl-C included.

/// Prompts on the controlling terminal (`/dev/tty`) and reads one line with echo off.
#[cfg(unix)]
pub async fn read_password(prompt: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::io::{BufRead, Write};
    use std::sync::Arc;
    let tty = Arc::new(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .context("opening the terminal to ask for the password (or set LANTERN_PASSWORD)")?,
    );
    let saved = tcgetattr(&*tty).context("reading the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    // The Enter still moves to a new line.
    quiet.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&*tty, OptionalActions::Now, &quiet).context("turning the terminal's echo off")?;
    let restore = {
        let tty = tty.clone();
        move || {
            let _ = tcsetattr(&*tty, OptionalActions::Now, &saved);
        }
    };
    let reader = tty.clone();
    let prompt = prompt.to_owned();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        (&*reader).write_all(prompt.as_bytes())?;
        (&*reader).flush()?;
        let mut line = String::new();
        std::io::BufReader::new(&*reader).read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    });
    let answer = tokio::select! {
        line = read => line.context("the terminal reader stopped")?.context("reading the password"),
        _ = tokio::signal::ctrl_c() => {
            // The blocked read is abandoned with the process; the terminal gets its echo back first.
            let _ = (&*tty).write_all(b"\n");
            Err(anyhow::anyhow!("cancelled"))
        }
    };
    restore();
    answer
}

#[cfg(not(unix))]
pub async fn read_password(prompt: &str) -> anyhow::Result<String> {
    anyhow::bail!(
        "{prompt}: set LANTERN_PASSWORD (reading a password at this terminal is not supported)"
    )
}
