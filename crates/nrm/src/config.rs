//! Configuration: defaults, then a TOML file, then `NRM_*` environment variables.
//!
//! A configuration that could not work safely is refused at start-up with a message that says
//! what to change: a database URL that points nowhere sensible, a missing master key, or (in
//! production) a PostgreSQL connection across a network that does not verify the server.

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

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
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
    /// The lookup key as 64 hex characters, once the master key has been rotated (`nrm key
    /// rotate` writes it to `lookup_key_file`): lookup hashes stay keyed by the first master
    /// key's lookup key. Unset before any rotation (derived from the master key).
    pub lookup_key: Option<String>,
    /// A file holding the lookup key (default: DATA_DIR/lookup.key, used when it exists).
    pub lookup_key_file: Option<PathBuf>,
    /// How often `serve` runs the retention job, erasing personal data whose retention has
    /// ended (0 turns it off, for deployments that run `nrm retention run` from a scheduler).
    pub retention_interval_seconds: u64,
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
    /// Lets anyone read `/metrics` (counts only). Otherwise it needs an administrator or an
    /// API token with the `read_service_metrics` scope. `nrm demo` opens it.
    pub metrics_open: bool,
    /// `text` (default) or `json`: one JSON object a line, with the request id of the request
    /// each line belongs to. Also `NRM_LOG_FORMAT`.
    pub log_format: LogFormat,

    // Transport security: HTTPS served directly, and TLS to PostgreSQL.
    /// PEM certificate chain to serve HTTPS with (together with `tls_key_file`). Unset: plain
    /// HTTP, for deployments behind a proxy that terminates TLS.
    pub tls_certificate_file: Option<PathBuf>,
    /// PEM private key for `tls_certificate_file`.
    pub tls_key_file: Option<PathBuf>,
    /// PEM certificate of the authority that signed the PostgreSQL server's certificate
    /// (replaces the URL's `sslrootcert`); with no `sslmode` in the URL it means `verify-full`.
    pub database_ca_file: Option<PathBuf>,
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
            lookup_key: None,
            lookup_key_file: None,
            retention_interval_seconds: 86_400,
            audit_checkpoint_dir: None,
            audit_checkpoint_interval_seconds: 300,
            max_connections: 16,
            sweep_interval_seconds: 600,
            metrics_open: false,
            log_format: LogFormat::Text,

            tls_certificate_file: None,
            tls_key_file: None,
            database_ca_file: None,
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
            .merge(Env::prefixed("NRM_").ignore(&["log", "test_database_url", "new_user_password"]))
            .extract()
            .context("the configuration is not valid")?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses combinations that would be unsafe.
    pub fn validate(&self) -> anyhow::Result<()> {
        nrm_store::DatabaseKind::of_url(&self.database_url)?;
        self.validate_transport()?;
        Ok(())
    }

    /// The certificate and key files to serve HTTPS with, when both are set.
    pub fn https_files(&self) -> Option<(&Path, &Path)> {
        self.tls_certificate_file
            .as_deref()
            .zip(self.tls_key_file.as_deref())
    }

    /// Refuses a half-configured HTTPS listener, a CA file the database URL would not use, and
    /// in production a PostgreSQL connection that leaves the machine without `verify-full`
    /// (anyone on the path could read victims' data or pose as the database).
    fn validate_transport(&self) -> anyhow::Result<()> {
        if self.tls_certificate_file.is_some() != self.tls_key_file.is_some() {
            bail!(
                "tls_certificate_file and tls_key_file go together: set both to serve HTTPS, or \
                 neither to serve plain HTTP behind a proxy that terminates TLS"
            );
        }
        if nrm_store::DatabaseKind::of_url(&self.database_url)? != nrm_store::DatabaseKind::Postgres
        {
            if self.database_ca_file.is_some() {
                bail!("database_ca_file is for PostgreSQL, but database_url names SQLite");
            }
            return Ok(());
        }
        let transport =
            nrm_store::PostgresTransport::of(&self.database_url, self.database_ca_file.as_deref())?;
        if self.environment != Environment::Production
            || transport.local
            || transport.verifies_server
        {
            return Ok(());
        }
        let why = if transport.ssl_mode == "verify-ca" {
            "verify-ca does not check the server's name, and the trusted authorities include the \
             public ones, so any publicly trusted certificate would pass"
        } else {
            "the server's certificate would not be verified, so anyone on the network path could \
             read the data or pose as the database"
        };
        bail!(
            "environment = production refuses this PostgreSQL connection: sslmode={} and the \
             host is not a Unix socket or loopback address; {why}. Set sslmode=verify-full in \
             database_url (with database_ca_file, or sslrootcert in the URL, for a private \
             authority), or connect through a Unix socket",
            transport.ssl_mode
        );
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// The master key from `master_key`, or from the key file, with the lookup key kept
    /// through rotations when one is configured.
    pub fn load_master_key(&self) -> anyhow::Result<MasterKey> {
        let key = self.load_master_key_only()?;
        match self.load_lookup_key()? {
            Some(hex) => key
                .with_lookup_key(&hex)
                .context("lookup_key must be 64 hexadecimal characters"),
            None => Ok(key),
        }
    }

    fn load_master_key_only(&self) -> anyhow::Result<MasterKey> {
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

    pub fn lookup_key_path(&self) -> PathBuf {
        self.lookup_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("lookup.key"))
    }

    /// The configured lookup key (hex), if any: `lookup_key`, or the file when it exists.
    fn load_lookup_key(&self) -> anyhow::Result<Option<String>> {
        if let Some(hex) = &self.lookup_key {
            return Ok(Some(hex.clone()));
        }
        let path = self.lookup_key_path();
        match std::fs::read_to_string(&path) {
            Ok(hex) => Ok(Some(hex)),
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && self.lookup_key_file.is_none() =>
            {
                Ok(None)
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the lookup key file (owner-only) unless a lookup key is configured already.
    pub fn ensure_lookup_key_file(&self, hex: &str) -> anyhow::Result<()> {
        if self.lookup_key.is_some() {
            return Ok(());
        }
        create_key_file(&self.lookup_key_path(), hex)
    }

    /// Creates the data folder (and any missing parents) for its owner only (0700).
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder
            .create(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))
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

    // Transport security.

    fn refusal(config: &Config) -> Option<String> {
        config.validate().err().map(|e| format!("{e:#}"))
    }

    fn production(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            environment: Environment::Production,
            ..Config::default()
        }
    }

    // ASVS v5.0.0-12.3.1
    #[test]
    fn production_refuses_postgres_an_eavesdropper_on_the_network_could_read() {
        for url in [
            // No sslmode: sqlx's default `prefer` falls back to plain text.
            "postgres://nrm:s3cret@db.internal/nrm",
            "postgres://nrm:s3cret@db.internal/nrm?sslmode=disable",
            "postgres://nrm:s3cret@db.internal/nrm?sslmode=allow",
            "postgres://nrm:s3cret@db.internal/nrm?sslmode=prefer",
            // Encrypted, but anyone in the middle can present a certificate.
            "postgres://nrm:s3cret@db.internal/nrm?sslmode=require",
            "postgresql://nrm:s3cret@10.0.0.5:5432/nrm?sslmode=require",
            // Checks the authority but not the name, against public authorities too.
            "postgres://nrm:s3cret@db.internal/nrm?sslmode=verify-ca&sslrootcert=/etc/nrm/ca.pem",
            // hostaddr is where sqlx really connects, whatever the host says.
            "postgres://nrm:s3cret@localhost/nrm?hostaddr=10.0.0.5",
        ] {
            let message =
                refusal(&production(url)).unwrap_or_else(|| panic!("production accepted {url}"));
            assert!(
                message.contains("refuses this PostgreSQL connection")
                    && message.contains("sslmode=verify-full"),
                "{url}: {message}"
            );
            assert!(
                !message.contains("s3cret"),
                "the password leaked: {message}"
            );
        }
    }

    // ASVS v5.0.0-12.3.1
    #[test]
    fn production_accepts_verified_tls_or_a_connection_that_stays_on_the_machine() {
        for url in [
            "postgres://nrm@db.internal/nrm?sslmode=verify-full",
            "postgres://nrm@db.internal/nrm?sslmode=verify-full&sslrootcert=/etc/nrm/ca.pem",
            // A CA file in the URL with no sslmode means verify-full.
            "postgres://nrm@db.internal/nrm?sslrootcert=/etc/nrm/ca.pem",
            "postgres://nrm@localhost/nrm",
            "postgres://nrm@127.0.0.1:5432/nrm?sslmode=disable",
            "postgres://nrm@127.0.0.2/nrm",
            "postgres://nrm@db.internal/nrm?hostaddr=127.0.0.1",
            "postgres://nrm@[::1]/nrm",
            "postgres://nrm@%2Fvar%2Frun%2Fpostgresql/nrm",
            "postgres:///nrm?host=/var/run/postgresql",
            "sqlite://data/nrm.sqlite",
        ] {
            assert_eq!(refusal(&production(url)), None, "{url}");
        }
        // The CA file setting with no sslmode in the URL is verify-full too.
        let config = Config {
            database_ca_file: Some(PathBuf::from("/etc/nrm/database-ca.pem")),
            ..production("postgres://nrm@db.internal/nrm")
        };
        assert_eq!(refusal(&config), None);
    }

    #[test]
    fn development_may_use_postgres_without_verification() {
        let config = Config {
            database_url: "postgres://nrm@db.internal/nrm?sslmode=require".to_owned(),
            ..Config::default()
        };
        assert_eq!(refusal(&config), None);
    }

    // ASVS v5.0.0-12.3.2
    #[test]
    fn a_ca_file_that_would_go_unchecked_is_refused_in_any_environment() {
        for environment in [Environment::Development, Environment::Production] {
            let config = Config {
                database_url: "postgres://nrm@db.internal/nrm?sslmode=require".to_owned(),
                database_ca_file: Some(PathBuf::from("/etc/nrm/database-ca.pem")),
                environment,
                ..Config::default()
            };
            let message = refusal(&config).unwrap_or_else(|| panic!("{environment:?} accepted"));
            assert!(message.contains("would not check the server"), "{message}");
        }
        let sqlite = Config {
            database_ca_file: Some(PathBuf::from("/etc/nrm/database-ca.pem")),
            ..Config::default()
        };
        assert!(refusal(&sqlite).is_some_and(|m| m.contains("names SQLite")));
    }

    #[test]
    fn https_needs_both_the_certificate_and_the_key() {
        for (certificate, key) in [(Some("cert.pem"), None), (None, Some("key.pem"))] {
            let config = Config {
                tls_certificate_file: certificate.map(PathBuf::from),
                tls_key_file: key.map(PathBuf::from),
                ..Config::default()
            };
            let message = refusal(&config).unwrap_or_else(|| panic!("half HTTPS accepted"));
            assert!(message.contains("go together"), "{message}");
            assert_eq!(config.https_files(), None);
        }
        let config = Config {
            tls_certificate_file: Some(PathBuf::from("cert.pem")),
            tls_key_file: Some(PathBuf::from("key.pem")),
            ..Config::default()
        };
        assert_eq!(refusal(&config), None);
        assert!(config.https_files().is_some());
    }
}
