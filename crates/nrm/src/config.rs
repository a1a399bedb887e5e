//! Configuration: defaults, then a TOML file, then `NRM_*` environment variables.
//!
//! A configuration that could not work safely is refused at start-up with a message that says
//! what to change: a database URL that points nowhere sensible, a missing master key.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use nrm_store::{AuditKey, MasterKey};
use serde::{Deserialize, Serialize};

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Development,
    Production,
}

/// Everything `nrm` can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` (default) or `postgres://…`.
    pub database_url: String,
    /// Where the SQLite database and the demo's master key live.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: String,
    pub environment: Environment,
    /// The master key as 64 hex characters (for example from a secret store, via NRM_MASTER_KEY).
    pub master_key: Option<String>,
    /// A file holding the master key as 64 hex characters (default: DATA_DIR/master.key).
    pub master_key_file: Option<PathBuf>,
    /// The audit key as 64 hex characters (for example from a secret store, via NRM_AUDIT_KEY):
    /// the audit chain and its checkpoints are MAC'd with it.
    pub audit_key: Option<String>,
    /// A file holding the audit key as 64 hex characters (default: DATA_DIR/audit.key).
    pub audit_key_file: Option<PathBuf>,
    /// Where signed checkpoints of the audit head are written (default:
    /// DATA_DIR/audit-checkpoints). Ship them elsewhere: they prove what the log held.
    pub audit_checkpoint_dir: Option<PathBuf>,
    /// How often `serve` writes an audit checkpoint (0 turns it off, for deployments that run
    /// `nrm audit checkpoint` from a scheduler instead).
    pub audit_checkpoint_interval_seconds: u64,
    /// Database connections in the pool.
    pub max_connections: u32,
    /// How often `serve` sweeps deadlines for "due soon" and "overdue" (0 turns it off, for
    /// deployments that run `nrm sweep` from a scheduler instead).
    pub sweep_interval_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/nrm.sqlite".to_owned(),
            data_dir: PathBuf::from("data"),
            listen: "127.0.0.1:8080".to_owned(),
            environment: Environment::Development,
            master_key: None,
            master_key_file: None,
            audit_key: None,
            audit_key_file: None,
            audit_checkpoint_dir: None,
            audit_checkpoint_interval_seconds: 300,
            max_connections: 16,
            sweep_interval_seconds: 600,
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (when given, it must exist; otherwise `nrm.toml` if present),
    /// then `NRM_*` variables (for example `NRM_DATABASE_URL`).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    bail!("the configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("nrm.toml")),
        }
        let config: Self = figment
            .merge(Env::prefixed("NRM_").ignore(&[
                "log",
                "log_format",
                "test_database_url",
                "new_user_password",
            ]))
            .extract()
            .context("the configuration is not valid")?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses combinations that would be unsafe.
    pub fn validate(&self) -> anyhow::Result<()> {
        nrm_store::DatabaseKind::of_url(&self.database_url)?;
        Ok(())
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The master key from `master_key`, or from the key file.
    pub fn load_master_key(&self) -> anyhow::Result<MasterKey> {
        if let Some(hex) = &self.master_key {
            return MasterKey::from_hex("configured", hex)
                .context("master_key must be 64 hexadecimal characters");
        }
        let path = self.master_key_path();
        let hex = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no master key: set NRM_MASTER_KEY, or put one in {} (`nrm demo` creates one)",
                path.display()
            )
        })?;
        MasterKey::from_hex("file", &hex)
            .with_context(|| format!("{} must hold 64 hexadecimal characters", path.display()))
    }

    /// Creates the master key file with owner-only permissions if it does not exist yet.
    pub fn ensure_master_key_file(&self) -> anyhow::Result<()> {
        if self.master_key.is_some() {
            return Ok(());
        }
        create_key_file(&self.master_key_path(), &MasterKey::generate_hex())
    }

    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit.key"))
    }

    /// The audit key from `audit_key`, or from the key file.
    pub fn load_audit_key(&self) -> anyhow::Result<AuditKey> {
        if let Some(hex) = &self.audit_key {
            return AuditKey::from_hex(hex).context("audit_key must be 64 hexadecimal characters");
        }
        let path = self.audit_key_path();
        let hex = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no audit key: set NRM_AUDIT_KEY, or put one in {} (`nrm demo` creates one)",
                path.display()
            )
        })?;
        AuditKey::from_hex(&hex)
            .with_context(|| format!("{} must hold 64 hexadecimal characters", path.display()))
    }

    /// Creates the audit key file with owner-only permissions if it does not exist yet.
    pub fn ensure_audit_key_file(&self) -> anyhow::Result<()> {
        if self.audit_key.is_some() {
            return Ok(());
        }
        create_key_file(&self.audit_key_path(), &AuditKey::generate_hex())
    }

    pub fn audit_checkpoint_path(&self) -> PathBuf {
        self.audit_checkpoint_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-checkpoints"))
    }
}

/// Writes `hex` to a new file at `path` readable only by its owner, unless the file exists.
fn create_key_file(path: &Path, hex: &str) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(hex.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonsense_database_urls_are_refused() {
        let config = Config {
            database_url: "mysql://localhost/nrm".to_owned(),
            ..Config::default()
        };
        let message = format!(
            "{:#}",
            config
                .validate()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
        assert!(message.contains("not supported"), "{message}");
    }
}
