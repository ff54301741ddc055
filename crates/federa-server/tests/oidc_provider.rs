//! Bearer JWTs from a real OpenID provider, node-oidc-provider, run by
//! `tests/oidc_provider/provider.mjs`: access tokens by client credentials,
//! signed with keys the provider makes. A key rotated in is accepted from
//! its first token, a withdrawn key is refused within the key set's
//! `max-age`, `Ed25519` is accepted as `EdDSA` is, and `exp` holds with
//! the configured leeway.
//!
//! Runs where `FEDERA_TEST_OIDC_PROVIDER_MODULES` names a `node_modules`
//! holding `oidc-provider` (`.ci/oidc-provider.sh` installs one).

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use federa_server::oidc::{Oidc, OidcConfig};
use federa_testkit::TestServer;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const MODULES_ENV: &str = "FEDERA_TEST_OIDC_PROVIDER_MODULES";
/// The key set's `Cache-Control: max-age`, in seconds.
const MAX_AGE: u64 = 2;
const MIN_REFETCH: Duration = Duration::from_millis(500);
const LEEWAY: Duration = Duration::from_secs(2);

struct Provider {
    issuer: String,
    http: reqwest::Client,
    _child: Child,
}

impl Provider {
    async fn start(modules: &str) -> Provider {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oidc_provider/provider.mjs"
        );
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_PROVIDER_MODULES", modules)
            .env("MAX_AGE", MAX_AGE.to_string())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("the provider starts");
                if let Some(url) = line.strip_prefix("issuer ") {
                    return url.to_string();
                }
            }
        })
        .await
        .expect("the provider listens");
        Provider {
            issuer,
            http: reqwest::Client::new(),
            _child: child,
        }
    }

    /// An access token for `resource` (`urn:federa:<alg>` or `urn:federa:short`).
    async fn token(&self, resource: &str) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth("federa-admin", Some("federa-admin-secret"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "api"),
                ("resource", resource),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("a token for {resource}: {answer}"))
            .to_string()
    }

    async fn control(&self, action: &str) {
        let answer = self
            .http
            .post(format!("{}/control/{action}", self.issuer))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
    }
}

/// A part of a JWT, decoded.
fn part(token: &str, index: usize) -> Value {
    let encoded = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap()
}

async fn federa(provider: &Provider) -> TestServer {
    let mut config = OidcConfig::new(provider.issuer.clone(), Some("federa".into()));
    config.min_refetch = MIN_REFETCH;
    config.leeway = LEEWAY;
    let oidc = Arc::new(Oidc::new(config).unwrap());
    TestServer::start_configured(move |settings| settings.oidc = Some(oidc)).await
}

async fn status(server: &TestServer, token: &str) -> u16 {
    server.get("/api/v1/participants", token).await.status
}

/// The failed authentications the server has counted, from `/metrics`.
async fn auth_failures(server: &TestServer) -> f64 {
    let text = server
        .http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|line| line.contains("auth_failures_total") && !line.starts_with('#'))
        .and_then(|line| line.split_whitespace().last()?.parse().ok())
        .expect("the failure counter is exported")
}

fn modules() -> Option<String> {
    let modules = std::env::var(MODULES_ENV).ok().filter(|m| !m.is_empty());
    if modules.is_none() {
        eprintln!("set {MODULES_ENV} to run the tests against node-oidc-provider");
    }
    modules
}

#[tokio::test]
async fn tokens_of_every_algorithm_the_provider_signs_with_are_accepted() {
    let Some(modules) = modules() else { return };
    let provider = Provider::start(&modules).await;
    let server = federa(&provider).await;
    for alg in ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"] {
        let token = provider.token(&format!("urn:federa:{alg}")).await;
        assert_eq!(part(&token, 0)["alg"], alg, "the provider signs with {alg}");
        assert_eq!(status(&server, &token).await, 200, "{alg}");
    }
    // `Ed25519` names the algorithm, not the key: a signature that does
    // not verify is refused under that name too.
    let token = provider.token("urn:federa:Ed25519").await;
    let (message, _) = token.rsplit_once('.').unwrap();
    let other = provider.token("urn:federa:Ed25519").await;
    let forged = format!("{message}.{}", other.rsplit('.').next().unwrap());
    assert_eq!(status(&server, &forged).await, 403);
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_accepted_at_once_and_a_withdrawn_one_refused_within_max_age() {
    let Some(modules) = modules() else { return };
    let provider = Provider::start(&modules).await;
    let server = federa(&provider).await;
    let old = provider.token("urn:federa:RS256").await;
    assert_eq!(status(&server, &old).await, 200);

    // The provider signs with a new key at once; its first token is judged
    // against a fresh key set, never refused for our cache's sake, and
    // such a request costs the client nothing with the failure limiter.
    provider.control("rotate").await;
    let new = provider.token("urn:federa:RS256").await;
    assert_ne!(part(&new, 0)["kid"], part(&old, 0)["kid"]);
    let asked = Instant::now();
    assert_eq!(status(&server, &new).await, 200, "the rotated-in key");
    let rotation_wait = asked.elapsed();
    assert!(rotation_wait <= MIN_REFETCH + Duration::from_millis(500));
    assert_eq!(
        status(&server, &old).await,
        200,
        "the old key is still published"
    );
    assert_eq!(auth_failures(&server).await, 0.0, "no failure was counted");

    // Withdrawn: refused once the cached set's max-age has run out.
    provider.control("withdraw").await;
    let withdrawn = Instant::now();
    let bound = Duration::from_secs(MAX_AGE) + Duration::from_secs(1);
    let refused_after = loop {
        if status(&server, &old).await == 403 {
            break withdrawn.elapsed();
        }
        assert!(
            withdrawn.elapsed() < bound,
            "the withdrawn key was still trusted {bound:?} later"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status(&server, &new).await, 200);
    federa_testkit::reliability_summary(
        env!("CARGO_TARGET_TMPDIR"),
        "oidc keys",
        &format!(
            "node-oidc-provider: a rotated-in key accepted on its first token in {rotation_wait:.1?} with no 403; a withdrawn key refused {refused_after:.1?} after withdrawal (key set max-age {MAX_AGE} s); RS256, PS256, ES256, EdDSA and Ed25519 accepted"
        ),
    );
    server.stop().await;
}

#[tokio::test]
async fn expiry_holds_with_the_configured_leeway() {
    let Some(modules) = modules() else { return };
    let provider = Provider::start(&modules).await;
    let server = federa(&provider).await;
    let token = provider.token("urn:federa:short").await;
    let exp = part(&token, 1)["exp"].as_i64().unwrap();
    let until = |at: i64| async move {
        let wait = (at * 1000 - chrono::Utc::now().timestamp_millis()).max(0);
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    };
    // Past `exp` but within the leeway: still accepted.
    until(exp + 1).await;
    assert_eq!(status(&server, &token).await, 200, "within the leeway");
    // Past the leeway: refused.
    until(exp + LEEWAY.as_secs() as i64 + 1).await;
    assert_eq!(status(&server, &token).await, 403, "past the leeway");
    server.stop().await;
}
