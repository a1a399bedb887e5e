//! A progress bar for long seeding runs (`nrm demo`, `nrm bench scale`), on stderr.
//!
//! On a terminal it redraws one line in place, at most ten times a second: a bar, the count,
//! the rate and the time left. Anywhere else (a log file, CI) it prints a plain line every
//! ten seconds instead, so logs are not flooded with carriage returns.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

/// One run's progress towards `total`.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    started: Instant,
    drawn: Option<Instant>,
    terminal: bool,
}

const WIDTH: u64 = 30;

impl Progress {
    pub fn new(label: impl Into<String>, total: u64) -> Self {
        Self {
            label: label.into(),
            total,
            started: Instant::now(),
            drawn: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Cases per second so far, for `done` of them.
    pub fn rate(&self, done: u64) -> f64 {
        done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    /// Shows `done` of the total.
    pub fn set(&mut self, done: u64) {
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(10)
        };
        if self.drawn.is_some_and(|at| at.elapsed() < every) && done < self.total {
            return;
        }
        self.drawn = Some(Instant::now());
        let line = self.line(done);
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    /// Ends the bar's line (on a terminal) and returns the overall rate.
    pub fn finish(&mut self, done: u64) -> f64 {
        self.drawn = None;
        self.set(done);
        if self.terminal {
            eprintln!();
        }
        self.rate(done)
    }

    fn line(&self, done: u64) -> String {
        let total = self.total.max(1);
        let filled = (WIDTH * done.min(total) / total) as usize;
        let rate = self.rate(done);
        let left = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        format!(
            "  {} [{}{}] {}/{} {:.0}/s, {} left",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH as usize - filled),
            done,
            self.total,
            rate,
            minutes(left)
        )
    }
}

fn minutes(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_bar_and_the_count() {
        let progress = Progress {
            label: "sqlite".to_owned(),
            total: 1000,
            started: Instant::now(),
            drawn: None,
            terminal: false,
        };
        let line = progress.line(500);
        assert!(
            line.contains(&format!("[{}{}]", "#".repeat(15), ".".repeat(15))),
            "{line}"
        );
        assert!(line.contains("500/1000"), "{line}");
        assert_eq!(minutes(125.0), "2:05");
    }
}
