//! Where the exchange is and which token to use: flags, then environment,
//! then a profile of `~/.config/federa/config.toml`:
//!
//! ```toml
//! default_profile = "local"
//! [profiles.local]
//! url = "http://127.0.0.1:3000"
//! token = "…"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: Option<String>,
    pub token: Option<String>,
}

fn config_path() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("FEDERA_CONFIG") {
        return Some(PathBuf::from(path));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("federa").join("config.toml"))
}

/// The named profile, or the default one; none when there is no file.
pub fn load(name: Option<&str>) -> Result<Profile, String> {
    let Some(path) = config_path() else {
        return Ok(Profile::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) if name.is_none() => return Ok(Profile::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let chosen = name.map(str::to_string).or(file.default_profile);
    match chosen {
        None => Ok(Profile::default()),
        Some(chosen) => file
            .profiles
            .get(&chosen)
            .cloned()
            .ok_or_else(|| format!("{}: no profile named {chosen}", path.display())),
    }
}
