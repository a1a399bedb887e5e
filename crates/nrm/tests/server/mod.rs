//! The real `nrm serve` binary started on a test store, for the tests that need a process
//! (kill -9, several instances).

#![allow(dead_code, reason = "each test file uses part of this module")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use nrm_store::testing::TestStore;

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `nrm serve` on `store`'s database with its keys, on a free loopback port, with
    /// `env` added; returns once it has said where it listens.
    pub fn start(store: &TestStore, env: &[(&str, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_nrm"));
        // Only the configuration given here: an inherited NRM_* variable (the test's own
        // NRM_CRASH_CYCLES, say) is not the server's, and its configuration refuses unknown ones.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("NRM_") {
                command.env_remove(name);
            }
        }
        command
            .arg("serve")
            .env("NRM_DATABASE_URL", &store.url)
            .env("NRM_MASTER_KEY", &store.master_key_hex)
            .env("NRM_AUDIT_KEY", &store.audit_key_hex)
            .env("NRM_LISTEN", "127.0.0.1:0")
            .env("NRM_LOG", "warn")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("start nrm: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("read: {e}"));
        let base = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Self { child, base }
    }

    /// Stops the process at once (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
