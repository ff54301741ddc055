//! Reading a cloud's entry of `clouds.yaml`, the file every OpenStack tool
//! reads: where Keystone is and which credentials to give it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How the agent proves who it is to Keystone.
#[derive(Clone, PartialEq)]
pub enum Credentials {
    Password {
        user: Named,
        password: String,
        project: Named,
    },
    /// An application credential carries its own project.
    ApplicationCredential {
        id: Option<String>,
        name: Option<String>,
        user: Option<Named>,
        secret: String,
    },
}

// Secrets stay out of logs and error messages.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { user, project, .. } => f
                .debug_struct("Password")
                .field("user", user)
                .field("project", project)
                .finish_non_exhaustive(),
            Credentials::ApplicationCredential { id, name, .. } => f
                .debug_struct("ApplicationCredential")
                .field("id", id)
                .field("name", name)
                .finish_non_exhaustive(),
        }
    }
}

/// A user or project by id, or by name within a domain (by id or name).
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub id: Option<String>,
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub domain_name: Option<String>,
}

/// One cloud of `clouds.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cloud {
    pub name: String,
    /// Keystone's v3 root, e.g. `https://keystone.example:5000/v3`.
    pub auth_url: String,
    pub credentials: Credentials,
    pub region: Option<String>,
    /// `public` unless the entry says `internal` or `admin`.
    pub interface: String,
}

#[derive(Deserialize)]
struct CloudsFile {
    #[serde(default)]
    clouds: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    auth: Auth,
    auth_type: Option<String>,
    region_name: Option<String>,
    interface: Option<String>,
    endpoint_type: Option<String>,
}

#[derive(Deserialize, Default)]
struct Auth {
    auth_url: Option<String>,
    username: Option<String>,
    user_id: Option<String>,
    password: Option<String>,
    project_name: Option<String>,
    project_id: Option<String>,
    // `tenant_*` are the older spellings.
    tenant_name: Option<String>,
    tenant_id: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    domain_name: Option<String>,
    domain_id: Option<String>,
    application_credential_id: Option<String>,
    application_credential_name: Option<String>,
    application_credential_secret: Option<String>,
}

/// Where OpenStack's tools look for `clouds.yaml`, in order.
pub fn search_path() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(file) = std::env::var_os("OS_CLIENT_CONFIG_FILE") {
        paths.push(PathBuf::from(file));
    }
    paths.push(PathBuf::from("clouds.yaml"));
    if let Some(home) = std::env::var_os("HOME") {
        paths.push(Path::new(&home).join(".config/openstack/clouds.yaml"));
    }
    paths.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    paths
}

/// The cloud `name` of `file`, or of the first file of the search path.
pub fn load(file: Option<&Path>, name: &str) -> Result<Cloud, String> {
    let path = match file {
        Some(file) => file.to_path_buf(),
        None => search_path()
            .into_iter()
            .find(|path| path.is_file())
            .ok_or_else(|| {
                format!(
                    "no clouds.yaml found (looked at {})",
                    search_path()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text, name).map_err(|e| format!("{}: {e}", path.display()))
}

/// The cloud `name` of a `clouds.yaml` document.
pub fn parse(text: &str, name: &str) -> Result<Cloud, String> {
    let file: CloudsFile = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    let Some(entry) = file.clouds.get(name) else {
        let known: Vec<&str> = file.clouds.keys().map(String::as_str).collect();
        return Err(format!(
            "no cloud named {name:?} (clouds: {})",
            known.join(", ")
        ));
    };
    let auth = &entry.auth;
    let auth_url = auth
        .auth_url
        .as_deref()
        .ok_or_else(|| format!("cloud {name:?} has no auth.auth_url"))?;
    let credentials = credentials(entry, auth).map_err(|e| format!("cloud {name:?}: {e}"))?;
    let interface = entry
        .interface
        .clone()
        .or_else(|| entry.endpoint_type.clone())
        .unwrap_or_else(|| "public".into())
        .trim_end_matches("URL")
        .to_string();
    if !matches!(interface.as_str(), "public" | "internal" | "admin") {
        return Err(format!(
            "cloud {name:?}: interface {interface:?} is not public, internal or admin"
        ));
    }
    Ok(Cloud {
        name: name.to_string(),
        auth_url: v3_root(auth_url),
        credentials,
        region: entry.region_name.clone(),
        interface,
    })
}

fn credentials(entry: &Entry, auth: &Auth) -> Result<Credentials, String> {
    let kind = entry.auth_type.as_deref().unwrap_or_else(|| {
        if auth.application_credential_secret.is_some() {
            "v3applicationcredential"
        } else {
            "password"
        }
    });
    let user = Named {
        id: auth.user_id.clone(),
        name: auth.username.clone(),
        domain_id: auth.user_domain_id.clone().or(auth.domain_id.clone()),
        domain_name: auth.user_domain_name.clone().or(auth.domain_name.clone()),
    };
    match kind {
        "password" | "v3password" => {
            let password = auth.password.clone().ok_or("auth.password is missing")?;
            if user.id.is_none() && user.name.is_none() {
                return Err("auth.username (or auth.user_id) is missing".into());
            }
            let project = Named {
                id: auth.project_id.clone().or(auth.tenant_id.clone()),
                name: auth.project_name.clone().or(auth.tenant_name.clone()),
                domain_id: auth.project_domain_id.clone().or(auth.domain_id.clone()),
                domain_name: auth
                    .project_domain_name
                    .clone()
                    .or(auth.domain_name.clone()),
            };
            if project.id.is_none() && project.name.is_none() {
                return Err(
                    "auth.project_name (or auth.project_id): the driver works in a project".into(),
                );
            }
            Ok(Credentials::Password {
                user,
                password,
                project,
            })
        }
        "v3applicationcredential" => {
            let secret = auth
                .application_credential_secret
                .clone()
                .ok_or("auth.application_credential_secret is missing")?;
            let id = auth.application_credential_id.clone();
            let name = auth.application_credential_name.clone();
            if id.is_none() && name.is_none() {
                return Err("auth.application_credential_id (or _name) is missing".into());
            }
            if id.is_none() && user.id.is_none() && user.name.is_none() {
                return Err("an application credential by name needs auth.username".into());
            }
            Ok(Credentials::ApplicationCredential {
                id,
                name,
                user: (user.id.is_some() || user.name.is_some()).then_some(user),
                secret,
            })
        }
        other => Err(format!(
            "auth_type {other:?} is not supported (password or v3applicationcredential)"
        )),
    }
}

/// Keystone's v3 root from an `auth_url` with or without the version.
fn v3_root(auth_url: &str) -> String {
    let trimmed = auth_url.trim_end_matches('/');
    if trimmed.ends_with("/v3") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/v3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUDS: &str = r#"
clouds:
  ovh:
    auth:
      auth_url: https://auth.cloud.ovh.net/
      username: user-a
      password: s3cret
      project_name: shop
      user_domain_name: Default
      project_domain_name: Default
    region_name: GRA7
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example/v3
      application_credential_id: abc
      application_credential_secret: s3cret
    interface: internal
"#;

    #[test]
    fn a_password_cloud_is_read_with_its_v3_root() {
        let cloud = parse(CLOUDS, "ovh").unwrap();
        assert_eq!(cloud.auth_url, "https://auth.cloud.ovh.net/v3");
        assert_eq!(cloud.region.as_deref(), Some("GRA7"));
        assert_eq!(cloud.interface, "public");
        let Credentials::Password {
            user,
            password,
            project,
        } = cloud.credentials
        else {
            panic!("not a password: {:?}", cloud.credentials);
        };
        assert_eq!(user.name.as_deref(), Some("user-a"));
        assert_eq!(password, "s3cret");
        assert_eq!(project.name.as_deref(), Some("shop"));
        assert_eq!(project.domain_name.as_deref(), Some("Default"));
    }

    #[test]
    fn an_application_credential_cloud_is_read() {
        let cloud = parse(CLOUDS, "appcred").unwrap();
        assert_eq!(cloud.interface, "internal");
        assert!(matches!(
            cloud.credentials,
            Credentials::ApplicationCredential { ref id, .. } if id.as_deref() == Some("abc")
        ));
        assert!(!format!("{cloud:?}").contains("s3cret"), "{cloud:?}");
    }

    #[test]
    fn unknown_clouds_and_missing_fields_are_named() {
        assert_eq!(
            parse(CLOUDS, "aws").unwrap_err(),
            "no cloud named \"aws\" (clouds: appcred, ovh)"
        );
        let error = parse(
            "clouds:\n  x:\n    auth:\n      auth_url: http://k\n      username: u\n      password: p\n",
            "x",
        )
        .unwrap_err();
        assert!(error.contains("auth.project_name"), "{error}");
    }
}
