//! Bearer JWTs from an external OpenID Connect issuer.
//!
//! A JWT is accepted only when its signature verifies against a key the
//! issuer publishes (found through `{issuer}/.well-known/openid-configuration`
//! and its `jwks_uri`), and its `iss`, `exp`, `nbf` and, when configured,
//! `aud` hold, `exp` and `nbf` with [`OidcConfig::leeway`] for clock skew.
//!
//! The key set is cached for as long as the issuer's `Cache-Control:
//! max-age` says, bounded by [`OidcConfig::max_age`], so a key the issuer
//! withdraws stops being trusted within that bound. A token naming a `kid`
//! the cache lacks makes the set be fetched again before the token is
//! judged: at once when the last fetch is [`OidcConfig::min_refetch`] ago,
//! else as soon as it is. Fetches stay at most one per window for the
//! issuer whatever the tokens name, so forged key ids cannot turn this
//! server into a load generator against the issuer, and a key the issuer
//! just rotated in is never refused for our cache's sake. Tokens waiting
//! together share one fetch.
//!
//! The algorithm may be named `Ed25519` (RFC 9864) as well as `EdDSA`.
//! Claims map to a role and scope the way Fulcrum reads Keycloak tokens:
//! `role`, else `realm_access.roles`, else
//! `resource_access[<audience>].roles`; `participant_id` and `agent_id`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use federa_domain::access::Role;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
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
    /// The longest a fetched key set is trusted before it is fetched again;
    /// a shorter `Cache-Control: max-age` on the key set wins.
    pub max_age: Duration,
    /// How far past `exp` or before `nbf` a token is still accepted, for
    /// clocks that disagree.
    pub leeway: Duration,
    /// The public client the web console signs people in as (authorization
    /// code with PKCE); without it the console offers token sign-in only.
    pub console_client_id: Option<String>,
}

impl OidcConfig {
    pub fn new(issuer: impl Into<String>, audience: Option<String>) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience,
            min_refetch: Duration::from_secs(1),
            max_age: Duration::from_secs(300),
            leeway: Duration::from_secs(5),
            console_client_id: None,
        }
    }
}

/// Who a verified token says the caller is. The caller's scope is checked
/// against the store by the authentication layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub role: Role,
    pub participant_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    /// The `sub` claim: a user with this subject is the one signing in.
    pub subject: Option<String>,
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
    /// When the last fetch started, whether or not it succeeded.
    fetched_at: Option<Instant>,
    /// How long the last fetched set may be used.
    max_age: Duration,
    /// Why the last fetch failed, if it did.
    failure: Option<String>,
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

/// A key set read key by key, so one key of a kind this server does not
/// know leaves the others usable.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// A published key as a [`Jwk`], its `alg` `Ed25519` read as `EdDSA`
/// (the curve is checked against the token's algorithm name).
fn usable_key(mut key: serde_json::Value) -> Option<Jwk> {
    if key["alg"] == "Ed25519" {
        key["alg"] = "EdDSA".into();
    }
    serde_json::from_value(key).ok()
}

/// How long `Cache-Control` lets the response be used: `max-age`, or zero
/// for `no-cache` and `no-store`.
fn cache_max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|directive| {
        let directive = directive.to_ascii_lowercase();
        if directive == "no-cache" || directive == "no-store" {
            return Some(Duration::ZERO);
        }
        let seconds = directive.strip_prefix("max-age=")?;
        seconds
            .trim_matches('"')
            .parse()
            .ok()
            .map(Duration::from_secs)
    })
}

/// The base64url JSON header `{"alg":"EdDSA"}`, put in place of a header
/// naming `Ed25519` once the signature has been checked.
const EDDSA_HEADER: &str = "eyJhbGciOiJFZERTQSJ9";

/// What verification needs from a token's header, read without the JWT
/// library so that algorithm names it does not know can be mapped.
struct TokenHeader {
    alg: Algorithm,
    kid: String,
    /// The algorithm was named `Ed25519` rather than `EdDSA`.
    fully_specified: bool,
}

impl TokenHeader {
    fn read(token: &str) -> Result<TokenHeader, Refused> {
        use base64::Engine;
        let malformed = |what: &str| Refused::Malformed(what.to_string());
        let encoded = token.split('.').next().unwrap_or_default();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| malformed("the header is not base64url"))?;
        let header: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| malformed("the header is not JSON"))?;
        let name = header["alg"]
            .as_str()
            .ok_or_else(|| malformed("the header has no alg"))?;
        let (alg, fully_specified) = match name {
            "Ed25519" => (Algorithm::EdDSA, true),
            other => (
                other
                    .parse::<Algorithm>()
                    .map_err(|_| malformed("the header names an unknown alg"))?,
                false,
            ),
        };
        let kid = header["kid"]
            .as_str()
            .ok_or_else(|| malformed("the header has no kid"))?
            .to_string();
        Ok(TokenHeader {
            alg,
            kid,
            fully_specified,
        })
    }
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
    #[serde(default)]
    sub: Option<String>,
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
        let fetched = self.fetch_into(&mut keys).await;
        keys.failure = fetched.as_ref().err().map(ToString::to_string);
        fetched?;
        Ok(keys.by_kid.len())
    }

    /// Verifies `token` and reads the caller from its claims.
    pub async fn verify(&self, token: &str) -> Result<Claimed, Refused> {
        let header = TokenHeader::read(token)?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Refused::Algorithm(header.alg));
        }
        let jwk = self.key(&header.kid, Instant::now()).await?;
        if let Some(declared) = jwk.common.key_algorithm {
            if declared.to_string().parse::<Algorithm>().ok() != Some(header.alg) {
                return Err(Refused::Algorithm(header.alg));
            }
        }
        match &jwk.algorithm {
            AlgorithmParameters::OctetKey(_) => return Err(Refused::Algorithm(header.alg)),
            // `Ed25519` names one curve; `EdDSA` also stands for Ed448.
            AlgorithmParameters::OctetKeyPair(pair)
                if header.fully_specified
                    && pair.curve != jsonwebtoken::jwk::EllipticCurve::Ed25519 =>
            {
                return Err(Refused::Algorithm(header.alg))
            }
            _ => {}
        }
        let key = DecodingKey::from_jwk(&jwk)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway.as_secs();
        let mut required = vec!["exp", "iss"];
        match &self.config.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        let data = if header.fully_specified {
            // The JWT library knows only `EdDSA`: the signature is checked
            // here over the token as sent, then the claims by the library
            // on the same payload under the name it knows.
            let (message, signature) = token
                .rsplit_once('.')
                .ok_or(Refused::Malformed("not three parts".into()))?;
            if !jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, header.alg)? {
                return Err(Refused::Invalid(
                    jsonwebtoken::errors::ErrorKind::InvalidSignature.into(),
                ));
            }
            let payload = message.rsplit('.').next().unwrap_or_default();
            let renamed = format!("{}.{payload}.{signature}", EDDSA_HEADER);
            validation.insecure_disable_signature_validation();
            jsonwebtoken::decode::<Claims>(&renamed, &key, &validation)?
        } else {
            jsonwebtoken::decode::<Claims>(token, &key, &validation)?
        };
        self.claimed(data.claims)
    }

    /// The key named `kid`. When the cached set lacks it, or is past its
    /// age, the set is fetched again first, unless a fetch that started
    /// after `asked` already answered; a fetch too soon after the last one
    /// waits for the end of the window instead of refusing the token.
    async fn key(&self, kid: &str, asked: Instant) -> Result<Jwk, Refused> {
        loop {
            let mut keys = self.keys.lock().await;
            let known = keys.by_kid.get(kid).cloned();
            let fresh_for_us = keys.fetched_at.is_some_and(|at| at >= asked);
            let stale = keys
                .fetched_at
                .is_none_or(|at| at.elapsed() >= keys.max_age);
            match (&known, stale) {
                (Some(jwk), false) => return Ok(jwk.clone()),
                (None, _) if fresh_for_us => {
                    return Err(match &keys.failure {
                        Some(failure) => Refused::Unreachable(failure.clone()),
                        None => Refused::UnknownKey,
                    })
                }
                _ => {}
            }
            let since = keys.fetched_at.map(|at| at.elapsed());
            let wait = since.map_or(Duration::ZERO, |since| {
                self.config.min_refetch.saturating_sub(since)
            });
            if !wait.is_zero() {
                if let Some(jwk) = known {
                    // Past its age but inside the window: still usable.
                    return Ok(jwk);
                }
                drop(keys);
                tokio::time::sleep(wait).await;
                continue;
            }
            let fetched = self.fetch_into(&mut keys).await;
            keys.failure = fetched.as_ref().err().map(ToString::to_string);
            return match fetched {
                Ok(()) => keys.by_kid.get(kid).cloned().ok_or(Refused::UnknownKey),
                // A stale set still verifies while the issuer is away.
                Err(error) => match known {
                    Some(jwk) => {
                        tracing::warn!(%error, "refreshing the OIDC key set failed");
                        Ok(jwk)
                    }
                    None => Err(error),
                },
            };
        }
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
        let response = self.get(&discovery.jwks_uri).await?;
        let max_age = cache_max_age(response.headers())
            .map_or(self.config.max_age, |age| age.min(self.config.max_age));
        let set: RawKeySet = response
            .json()
            .await
            .map_err(|e| Refused::Unreachable(e.to_string()))?;
        keys.by_kid = set
            .keys
            .into_iter()
            .filter_map(usable_key)
            .filter_map(|jwk| jwk.common.key_id.clone().map(|kid| (kid, jwk)))
            .collect();
        keys.max_age = max_age;
        tracing::info!(
            keys = keys.by_kid.len(),
            ?max_age,
            "fetched the OIDC key set"
        );
        Ok(())
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response, Refused> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| Refused::Unreachable(e.to_string()))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Refused> {
        self.get(url)
            .await?
            .json()
            .await
            .map_err(|e| Refused::Unreachable(e.to_string()))
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
        let subject = claims.sub.filter(|sub| !sub.is_empty());
        match role {
            Role::Admin => Ok(Claimed {
                role,
                participant_id: None,
                agent_id: None,
                subject,
            }),
            Role::Participant if participant_id.is_none() => {
                Err(Refused::Claims("a participant token needs participant_id"))
            }
            Role::Participant => Ok(Claimed {
                role,
                participant_id,
                agent_id: None,
                subject,
            }),
            Role::Agent if participant_id.is_none() || agent_id.is_none() => Err(Refused::Claims(
                "an agent token needs participant_id and agent_id",
            )),
            Role::Agent => Ok(Claimed {
                role,
                participant_id,
                agent_id,
                subject,
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
