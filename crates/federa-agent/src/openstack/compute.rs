//! The parts of Nova's compute API (and Glance's image lookup) the driver
//! uses, typed. Every compute call carries the microversion the driver is
//! written against.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{message_of, OpenStackError};
use super::session::{Reply, Session};

/// 2.37 lets a server have no network (`"networks": "none"`); 2.47 embeds
/// the flavor's sizes in the server; Zed serves up to 2.93.
pub const MICROVERSION: &str = "2.79";

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub id: String,
    pub name: String,
    pub status: String,
    #[serde(rename = "OS-EXT-STS:task_state")]
    pub task_state: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub flavor: ServerFlavor,
    #[serde(default)]
    pub addresses: BTreeMap<String, Vec<Address>>,
    #[serde(rename = "accessIPv4", default)]
    pub access_ipv4: String,
    #[serde(rename = "accessIPv6", default)]
    pub access_ipv6: String,
    pub fault: Option<Fault>,
    /// When the server last booted, in UTC without a zone.
    #[serde(rename = "OS-SRV-USG:launched_at")]
    pub launched_at: Option<String>,
    pub key_name: Option<String>,
    /// `{"id": …}` for a server booted from an image, `""` for one
    /// booted from a volume.
    #[serde(default)]
    pub image: Value,
}

impl Server {
    /// The Glance image the server was built (or last rebuilt) from.
    pub fn image_id(&self) -> Option<&str> {
        self.image.get("id").and_then(Value::as_str)
    }
}

/// The flavor a server has, as Nova embeds it from 2.47.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerFlavor {
    pub original_name: String,
    pub vcpus: u64,
    pub ram: u64,
    pub disk: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Address {
    pub addr: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fault {
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Flavor {
    pub id: String,
    pub name: String,
    pub vcpus: u64,
    pub ram: u64,
    pub disk: u64,
}

/// The project's absolute limits and use (`GET /limits`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_total_cores: i64,
    #[serde(rename = "maxTotalRAMSize")]
    pub max_total_ram_size: i64,
    pub max_total_instances: i64,
    pub total_cores_used: i64,
    #[serde(rename = "totalRAMUsed")]
    pub total_ram_used: i64,
    pub total_instances_used: i64,
}

/// One server's line of `os-simple-tenant-usage`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerUsage {
    pub instance_id: String,
    pub hours: f64,
    pub vcpus: u64,
}

pub struct Compute {
    session: Arc<Session>,
}

impl Compute {
    pub fn new(session: Arc<Session>) -> Compute {
        Compute { session }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, OpenStackError> {
        self.session
            .call("compute", method, path, body, Some(MICROVERSION))
            .await
    }

    /// A call that must succeed; otherwise Nova's message, after `doing`.
    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        doing: &str,
    ) -> Result<Value, OpenStackError> {
        let reply = self.call(method, path, body).await?;
        if reply.status.is_success() {
            Ok(reply.body)
        } else {
            Err(refused(doing, &reply))
        }
    }

    /// The server, or `None` once it is gone.
    pub async fn server(&self, id: &str) -> Result<Option<Server>, OpenStackError> {
        let reply = self
            .call(Method::GET, &format!("/servers/{id}"), None)
            .await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => parse(&reply.body["server"], "a server").map(Some),
            _ => Err(refused(&format!("cannot read server {id}"), &reply)),
        }
    }

    /// The project's servers whose name matches `name_regex` (Nova's name
    /// filter is a regular expression).
    pub async fn servers_matching(&self, name_regex: &str) -> Result<Vec<Server>, OpenStackError> {
        let body = self
            .expect(
                Method::GET,
                &format!("/servers/detail?name={}", query_escape(name_regex)),
                None,
                "cannot list servers",
            )
            .await?;
        parse(&body["servers"], "the server list")
    }

    /// Asks Nova to boot a server; answers its id.
    pub async fn create_server(&self, server: &Value) -> Result<String, OpenStackError> {
        let body = self
            .expect(
                Method::POST,
                "/servers",
                Some(&json!({"server": server})),
                "Nova refused to create the server",
            )
            .await?;
        body["server"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                OpenStackError::Failed(format!("Nova answered without a server id: {body}"))
            })
    }

    /// Posts a server action (`os-start`, `resize`, …).
    pub async fn action(&self, id: &str, action: &Value) -> Result<(), OpenStackError> {
        let name = action
            .as_object()
            .and_then(|a| a.keys().next())
            .cloned()
            .unwrap_or_default();
        self.expect(
            Method::POST,
            &format!("/servers/{id}/action"),
            Some(action),
            &format!("Nova refused {name} on server {id}"),
        )
        .await
        .map(drop)
    }

    /// Asks Nova to snapshot the server into a new Glance image carrying
    /// `metadata` as properties; answers the image's id (from 2.45).
    pub async fn create_image(
        &self,
        id: &str,
        name: &str,
        metadata: &Value,
    ) -> Result<String, OpenStackError> {
        let body = self
            .expect(
                Method::POST,
                &format!("/servers/{id}/action"),
                Some(&json!({"createImage": {"name": name, "metadata": metadata}})),
                &format!("Nova refused createImage on server {id}"),
            )
            .await?;
        body["image_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                OpenStackError::Failed(format!(
                    "Nova answered createImage without an image id: {body}"
                ))
            })
    }

    /// Deletes a server; one already gone counts as deleted.
    pub async fn delete_server(&self, id: &str) -> Result<(), OpenStackError> {
        let reply = self
            .call(Method::DELETE, &format!("/servers/{id}"), None)
            .await?;
        if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(refused(
                &format!("Nova refused to delete server {id}"),
                &reply,
            ))
        }
    }

    pub async fn flavors(&self) -> Result<Vec<Flavor>, OpenStackError> {
        let body = self
            .expect(Method::GET, "/flavors/detail", None, "cannot list flavors")
            .await?;
        parse(&body["flavors"], "the flavor list")
    }

    pub async fn import_keypair(&self, name: &str, public_key: &str) -> Result<(), OpenStackError> {
        let reply = self
            .call(
                Method::POST,
                "/os-keypairs",
                Some(&json!({"keypair": {"name": name, "public_key": public_key}})),
            )
            .await?;
        // A conflict is the same key pair made by an earlier attempt.
        if reply.status.is_success() || reply.status == StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(refused(&format!("Nova refused key pair {name}"), &reply))
        }
    }

    pub async fn delete_keypair(&self, name: &str) -> Result<(), OpenStackError> {
        let reply = self
            .call(Method::DELETE, &format!("/os-keypairs/{name}"), None)
            .await?;
        if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(refused(
                &format!("Nova refused to delete key pair {name}"),
                &reply,
            ))
        }
    }

    pub async fn limits(&self) -> Result<Limits, OpenStackError> {
        let body = self
            .expect(
                Method::GET,
                "/limits",
                None,
                "cannot read the project's limits",
            )
            .await?;
        parse(&body["limits"]["absolute"], "the limits")
    }

    /// Per-server usage of the project between `start` and `end`.
    pub async fn usage(
        &self,
        project_id: &str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ServerUsage>, OpenStackError> {
        let format = "%Y-%m-%dT%H:%M:%S%.6f";
        let body = self
            .expect(
                Method::GET,
                &format!(
                    "/os-simple-tenant-usage/{project_id}?start={}&end={}",
                    start.format(format),
                    end.format(format)
                ),
                None,
                "cannot read the project's usage",
            )
            .await?;
        match body["tenant_usage"].get("server_usages") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(usages) => parse(usages, "the usage"),
        }
    }

    /// The id of the Glance image named `name`. An id is passed as it
    /// is: Nova checks it with Glance and answers in its own words.
    pub async fn image_id(&self, name: &str) -> Result<Option<String>, OpenStackError> {
        if looks_like_uuid(name) {
            return Ok(Some(name.to_string()));
        }
        let reply = self
            .session
            .call(
                "image",
                Method::GET,
                &format!("/v2/images?name={}&status=active", query_escape(name)),
                None,
                None,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refused("Glance refused to list images", &reply));
        }
        Ok(reply.body["images"]
            .as_array()
            .and_then(|images| images.first())
            .and_then(|image| image["id"].as_str())
            .map(str::to_string))
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> Result<T, OpenStackError> {
    serde_json::from_value(value.clone())
        .map_err(|e| OpenStackError::Failed(format!("unreadable {what} from OpenStack: {e}")))
}

/// A refused call: what was being done and OpenStack's own message.
pub(super) fn refused(doing: &str, reply: &Reply) -> OpenStackError {
    OpenStackError::Failed(format!(
        "{doing}: {} ({})",
        message_of(&reply.body),
        reply.status.as_u16()
    ))
}

fn looks_like_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Escapes a query value (names and regular expressions).
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_told_from_names() {
        assert!(looks_like_uuid("a4d1f2a8-0000-4000-8000-000000000000"));
        assert!(!looks_like_uuid("debian-12"));
        assert!(!looks_like_uuid("a4d1f2a8-0000-4000-8000-00000000000g"));
    }

    #[test]
    fn limits_are_read_with_novas_spelling() {
        let limits: Limits = serde_json::from_value(json!({
            "maxTotalCores": 2, "maxTotalRAMSize": 51200, "maxTotalInstances": 10,
            "totalCoresUsed": 0, "totalRAMUsed": 0, "totalInstancesUsed": 0,
            "maxServerMeta": 128
        }))
        .unwrap();
        assert_eq!(limits.max_total_ram_size, 51200);
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("^federa-a1$"), "%5Efedera-a1%24");
        assert_eq!(query_escape("debian 12"), "debian%2012");
    }

    #[test]
    fn a_server_at_the_drivers_microversion_is_read() {
        let server: Server = serde_json::from_value(json!({
            "id": "s1", "name": "federa-x", "status": "ACTIVE",
            "OS-EXT-STS:task_state": null,
            "metadata": {"federa_service_id": "x"},
            "flavor": {"original_name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20, "ephemeral": 0, "swap": 0, "extra_specs": {}},
            "addresses": {}, "accessIPv4": "", "accessIPv6": "",
            "OS-SRV-USG:launched_at": "2026-12-02T19:30:00.000000",
            "key_name": null
        }))
        .unwrap();
        assert_eq!(server.flavor.original_name, "m1.small");
        assert_eq!(server.metadata["federa_service_id"], "x");
        assert!(server.fault.is_none());
    }
}
