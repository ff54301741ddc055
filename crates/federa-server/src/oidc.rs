//! Bearer JWTs from an external OpenID Connect issuer.
//!
//! A JWT is accepted only when its signature verifies against a key the
//! issuer publishes (found through `{issuer}/.well-known/openid-configuration`
//! and its `jwks_uri`), and its `iss`, `exp`, `nbf` and, when configured,
//! `aud` hold. The key set is cached; a token naming an unknown `kid` causes
//! a refetch, at most once per [`OidcConfig::min_refetch`], so a stream of
//! forged key ids cannot turn this server into a load generator against the
//! issuer. Claims map to a role and scope the way Fulcrum reads Keycloak
//! tokens: `role`, else `realm_access.roles`, else
//! `resource_access[<audience>].roles`; `participant_id` and `agent_id`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use federa_domain::access::Role;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;
use uuid::Uuid;

/// Where tokens come from and whom they must be for.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL exactly as tokens carry it in `iss`.
    pub issuer: String,
    /// Required in `aud` when set; also the client whose roles are read from
    /// `resource_access`.
    pub audience: Option<String>,
    /// The least time between two key-set fetches.
    pub min_refetch: Duration,
    /// How long a fetched key set is trusted before it is fetched again.
    pub max_age: Duration,
    /// The public client the web console signs people in as (authorization
    /// code with PKCE); without it the console offers token sign-in only.
    pub console_client_id: Option<String>,
}

impl OidcConfig {
    pub fn new(issuer: impl Into<String>, audience: Option<String>) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience,
            min_refetch: Duration::from_secs(10),
            max_age: Duration::from_secs(3600),
            console_client_id: None,
        }
    }
}

/// Who a verified token says the caller is. The caller's scope is checked
/// against the store by the authentication layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    pub role: Role,
    pub participant_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
}

/// Why a token was refused. Shown to callers only as "invalid token".
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    #[error("no key of the issuer has this kid")]
    UnknownKey,
    #[error("the issuer's keys could not be fetched: {0}")]
    Unreachable(String),
    #[error("verification failed: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("claims: {0}")]
    Claims(&'static str),
}

/// Only signatures made with a private key; HMAC would let anyone holding
/// the (public) key set forge tokens.
const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// How long fetching the discovery document or the key set may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, Jwk>,
    fetched_at: Option<Instant>,
}

/// The verifier: configuration, an HTTP client and the cached key set.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    /// Held across a fetch, so concurrent misses share one fetch.
    keys: Mutex<Keys>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize, Default)]
struct Roles {
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    realm_access: Option<Roles>,
    #[serde(default)]
    resource_access: HashMap<String, Roles>,
    #[serde(default)]
    participant_id: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
}

impl Oidc {
    pub fn new(config: OidcConfig) -> anyhow::Result<Oidc> {
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Oidc {
            config,
            http,
            keys: Mutex::new(Keys::default()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    pub fn console_client_id(&self) -> Option<&str> {
        self.config.console_client_id.as_deref()
    }

    /// Does this bearer look like a JWT (three dot-separated parts)? Federa's
    /// own tokens never contain a dot.
    pub fn looks_like_jwt(bearer: &str) -> bool {
        bearer.split('.').count() == 3
    }

    /// Fetches the key set now; `serve` calls it at start so a wrong issuer
    /// shows up in the log at once.
    pub async fn prefetch(&self) -> Result<usize, Refused> {
        let mut keys = self.keys.lock().await;
        self.fetch_into(&mut keys).await?;
        Ok(keys.by_kid.len())
    }

    /// Verifies `token` and reads the caller from its claims.
    pub async fn verify(&self, token: &str) -> Result<Claimed, Refused> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| Refused::Malformed(e.to_string()))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Refused::Algorithm(header.alg));
        }
        let kid = header
            .kid
            .ok_or(Refused::Malformed("the header has no kid".into()))?;
        let jwk = self.key(&kid).await?;
        if let Some(declared) = jwk.common.key_algorithm {
            if declared.to_string().parse::<Algorithm>().ok() != Some(header.alg) {
                return Err(Refused::Algorithm(header.alg));
            }
        }
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
            return Err(Refused::Algorithm(header.alg));
        }
        let key = DecodingKey::from_jwk(&jwk)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.validate_nbf = true;
        let mut required = vec!["exp", "iss"];
        match &self.config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)?;
        self.claimed(data.claims)
    }

    /// The key named `kid`, refetching the set when it is unknown or old
    /// and the last fetch is long enough ago.
    async fn key(&self, kid: &str) -> Result<Jwk, Refused> {
        let mut keys = self.keys.lock().await;
        let age = keys.fetched_at.map(|at| at.elapsed());
        let stale = age.is_none_or(|age| age >= self.config.max_age);
        let known = keys.by_kid.get(kid).cloned();
        if let (Some(jwk), false) = (&known, stale) {
            return Ok(jwk.clone());
        }
        let may_fetch = age.is_none_or(|age| age >= self.config.min_refetch);
        if may_fetch {
            match self.fetch_into(&mut keys).await {
                Ok(()) => {}
                // A stale set still verifies while the issuer is away.
                Err(error) if known.is_none() => return Err(error),
                Err(error) => tracing::warn!(%error, "refreshing the OIDC key set failed"),
            }
        }
        keys.by_kid.get(kid).cloned().ok_or(Refused::UnknownKey)
    }

    async fn fetch_into(&self, keys: &mut Keys) -> Result<(), Refused> {
        // Counted as a fetch even when it fails, so an unreachable issuer is
        // not hammered either.
        keys.fetched_at = Some(Instant::now());
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&discovery_url).await?;
        if discovery.issuer != self.config.issuer {
            return Err(Refused::Unreachable(format!(
                "the discovery document names issuer {}, not {}",
                discovery.issuer, self.config.issuer
            )));
        }
        let set: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        keys.by_kid = set
            .keys
            .into_iter()
            .filter_map(|jwk| jwk.common.key_id.clone().map(|kid| (kid, jwk)))
            .collect();
        tracing::info!(keys = keys.by_kid.len(), "fetched the OIDC key set");
        Ok(())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Refused> {
        let unreachable = |e: reqwest::Error| Refused::Unreachable(e.to_string());
        self.http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)
    }

    fn claimed(&self, claims: Claims) -> Result<Claimed, Refused> {
        let role = self
            .role(&claims)
            .ok_or(Refused::Claims("no admin, participant or agent role"))?;
        let uuid = |text: &Option<String>, what: &'static str| {
            text.as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| Uuid::parse_str(t).map_err(|_| Refused::Claims(what)))
                .transpose()
        };
        let participant_id = uuid(&claims.participant_id, "participant_id is not a UUID")?;
        let agent_id = uuid(&claims.agent_id, "agent_id is not a UUID")?;
        match role {
            Role::Admin => Ok(Claimed {
                role,
                participant_id: None,
                agent_id: None,
            }),
            Role::Participant if participant_id.is_none() => {
                Err(Refused::Claims("a participant token needs participant_id"))
            }
            Role::Participant => Ok(Claimed {
                role,
                participant_id,
                agent_id: None,
            }),
            Role::Agent if participant_id.is_none() || agent_id.is_none() => Err(Refused::Claims(
                "an agent token needs participant_id and agent_id",
            )),
            Role::Agent => Ok(Claimed {
                role,
                participant_id,
                agent_id,
            }),
        }
    }

    fn role(&self, claims: &Claims) -> Option<Role> {
        if let Some(role) = claims.role.as_deref().and_then(Role::parse) {
            return Some(role);
        }
        let realm = claims.realm_access.as_ref().map(|r| r.roles.as_slice());
        let client = self
            .config
            .audience
            .as_ref()
            .and_then(|client| claims.resource_access.get(client))
            .map(|r| r.roles.as_slice());
        [realm, client]
            .into_iter()
            .flatten()
            .find_map(|roles| roles.iter().find_map(|r| Role::parse(r)))
    }
}
