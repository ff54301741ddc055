//! `federa serve --config FILE`: the server's settings in a TOML file.
//! Every setting is also a flag and an environment variable; a flag beats
//! the environment, which beats the file, which beats the default. The file
//! is read before the command line is parsed and each of its settings that
//! the environment does not already hold becomes that variable.
//!
//! ```toml
//! listen = "0.0.0.0:3000"
//! database_url = "postgres://federa@db/federa"
//! vault_key_file = "/etc/federa/vault.key"
//! public_url = "https://exchange.example.eu"
//! trusted_proxies = ["10.0.0.0/8"]
//! ```

use std::path::Path;

/// The file's keys and the variables they stand for.
const SETTINGS: &[(&str, &str)] = &[
    ("listen", "FEDERA_LISTEN"),
    ("database_url", "FEDERA_DATABASE_URL"),
    ("admin_token", "FEDERA_ADMIN_TOKEN"),
    ("log_format", "FEDERA_LOG_FORMAT"),
    ("job_lease_seconds", "FEDERA_JOB_LEASE_SECONDS"),
    ("job_max_attempts", "FEDERA_JOB_MAX_ATTEMPTS"),
    ("agent_timeout_seconds", "FEDERA_AGENT_TIMEOUT_SECONDS"),
    ("vault_key_file", "FEDERA_VAULT_KEY_FILE"),
    ("public_url", "FEDERA_PUBLIC_URL"),
    ("oidc_issuer", "FEDERA_OIDC_ISSUER"),
    ("oidc_audience", "FEDERA_OIDC_AUDIENCE"),
    ("oidc_console_client_id", "FEDERA_OIDC_CONSOLE_CLIENT_ID"),
    ("trusted_proxies", "FEDERA_TRUSTED_PROXIES"),
    (
        "agent_install_ttl_seconds",
        "FEDERA_AGENT_INSTALL_TTL_SECONDS",
    ),
    ("max_connections", "FEDERA_MAX_CONNECTIONS"),
    (
        "header_read_timeout_seconds",
        "FEDERA_HEADER_READ_TIMEOUT_SECONDS",
    ),
    ("shutdown_seconds", "FEDERA_SHUTDOWN_SECONDS"),
    ("max_properties_bytes", "FEDERA_MAX_PROPERTIES_BYTES"),
    ("max_token_days", "FEDERA_MAX_TOKEN_DAYS"),
    ("max_agent_token_days", "FEDERA_MAX_AGENT_TOKEN_DAYS"),
    ("quote_validity_hours", "FEDERA_QUOTE_VALIDITY_HOURS"),
];

/// The `--config` of a `serve` command line, if it has one.
pub fn config_argument(args: &[String]) -> Option<String> {
    let serve = args.iter().position(|arg| arg == "serve")?;
    let mut rest = args[serve + 1..].iter();
    while let Some(arg) = rest.next() {
        if arg == "--config" {
            return rest.next().cloned();
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(path.to_string());
        }
    }
    None
}

/// The variables `path` sets: each setting as its variable's text.
pub fn read(path: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut variables = Vec::new();
    let mut unknown = Vec::new();
    for (key, value) in &table {
        let Some((_, variable)) = SETTINGS.iter().find(|(name, _)| name == key) else {
            unknown.push(key.as_str());
            continue;
        };
        let text = match value {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string).ok_or(key.as_str()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|key| format!("{}: {key} must be a list of strings", path.display()))?
                .join(","),
            _ => {
                return Err(format!(
                    "{}: {key} must be a string or a number",
                    path.display()
                ))
            }
        };
        variables.push((*variable, text));
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = SETTINGS.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "{}: unknown settings {}; known: {}",
            path.display(),
            unknown.join(", "),
            known.join(", ")
        ));
    }
    Ok(variables)
}

/// Applies the file's settings that the environment does not hold yet.
/// Runs before any thread starts.
pub fn apply(args: &[String]) -> Result<(), String> {
    let Some(path) = config_argument(args) else {
        return Ok(());
    };
    for (variable, value) in read(Path::new(&path))? {
        if std::env::var_os(variable).is_none() {
            std::env::set_var(variable, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_argument_is_found_after_serve() {
        let args = |text: &str| text.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            config_argument(&args("federa serve --listen x --config /etc/f.toml")).as_deref(),
            Some("/etc/f.toml")
        );
        assert_eq!(
            config_argument(&args("federa serve --config=/etc/f.toml")).as_deref(),
            Some("/etc/f.toml")
        );
        assert_eq!(config_argument(&args("federa agent --config a.toml")), None);
    }

    #[test]
    fn unknown_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("federa.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 3\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let error = read(&path).unwrap_err();
        assert!(error.contains("unknown settings listen_port"), "{error}");
        std::fs::write(
            &path,
            "job_lease_seconds = 60\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        )
        .unwrap();
        assert_eq!(
            read(&path).unwrap(),
            [
                ("FEDERA_JOB_LEASE_SECONDS", "60".to_string()),
                ("FEDERA_TRUSTED_PROXIES", "10.0.0.0/8,::1".to_string())
            ]
        );
    }
}
