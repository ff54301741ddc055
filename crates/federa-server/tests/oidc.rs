//! Bearer JWTs from an OpenID Connect issuer. The issuer is a real HTTP
//! server in the test, publishing a discovery document and a key set for
//! keys the test generates; tokens are signed with those keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use federa_server::oidc::{Oidc, OidcConfig};
use federa_testkit::{Api, Federation, TestServer, ADMIN_TOKEN};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::KeyPair;
use serde_json::{json, Value};

const AUDIENCE: &str = "federa";

/// A signing key with its public half as a JWK.
struct SigningKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

fn rsa_key(kid: &str) -> SigningKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let der = private.to_pkcs1_der().expect("PKCS#1 DER");
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
        }),
    }
}

fn ec_key(kid: &str) -> SigningKey {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // Uncompressed point: 0x04, then x and y.
    let point = pair.public_key().as_ref();
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({
            "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    }
}

/// Keys made once per test binary: RSA generation is slow.
struct Keys {
    rsa: SigningKey,
    rotated: SigningKey,
    stranger: SigningKey,
    ec: SigningKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa: rsa_key("rsa-1"),
        rotated: rsa_key("rsa-2"),
        // Same kid as the published key, different key: a forgery.
        stranger: rsa_key("rsa-1"),
        ec: ec_key("ec-1"),
    })
}

/// The issuer: what it publishes and how often its key set was read.
#[derive(Clone)]
struct Issuer {
    url: String,
    published: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicUsize>,
}

impl Issuer {
    async fn start(published: Vec<Value>) -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/realms/test", listener.local_addr().unwrap());
        let issuer = Issuer {
            url,
            published: Arc::new(Mutex::new(published)),
            jwks_fetches: Arc::new(AtomicUsize::new(0)),
        };
        let app = Router::new()
            .route(
                "/realms/test/.well-known/openid-configuration",
                get(|State(issuer): State<Issuer>| async move {
                    Json(json!({
                        "issuer": issuer.url,
                        "jwks_uri": format!("{}/protocol/openid-connect/certs", issuer.url),
                    }))
                }),
            )
            .route(
                "/realms/test/protocol/openid-connect/certs",
                get(|State(issuer): State<Issuer>| async move {
                    issuer.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = issuer.published.lock().unwrap().clone();
                    Json(json!({ "keys": keys }))
                }),
            )
            .with_state(issuer.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        issuer
    }

    fn publish(&self, keys: Vec<Value>) {
        *self.published.lock().unwrap() = keys;
    }

    fn fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }
}

async fn federa(issuer: &Issuer, min_refetch: Duration) -> TestServer {
    let mut config = OidcConfig::new(issuer.url.clone(), Some(AUDIENCE.into()));
    config.min_refetch = min_refetch;
    let oidc = Arc::new(Oidc::new(config).unwrap());
    TestServer::start_configured(move |settings| settings.oidc = Some(oidc)).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Standard claims for this issuer and audience, valid for ten minutes.
fn claims(issuer: &Issuer, extra: Value) -> Value {
    let mut claims = json!({
        "iss": issuer.url,
        "aud": AUDIENCE,
        "sub": uuid::Uuid::new_v4(),
        "iat": now(),
        "nbf": now() - 5,
        "exp": now() + 600,
    });
    for (key, value) in extra.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

async fn status(server: &TestServer, path: &str, bearer: &str) -> u16 {
    server.get(path, bearer).await.status
}

#[tokio::test]
async fn admin_participant_and_agent_jwts_act_within_their_scope() {
    let keys = keys();
    let issuer = Issuer::start(vec![keys.rsa.jwk.clone(), keys.ec.jwk.clone()]).await;
    let server = federa(&issuer, Duration::from_millis(500)).await;
    let federation = Federation::create(&server).await;

    let admin = sign(&keys.rsa, &claims(&issuer, json!({"role": "admin"})));
    assert_eq!(status(&server, "/api/v1/participants", &admin).await, 200);
    let created = server
        .post(
            "/api/v1/participants",
            &admin,
            &json!({"name": "By JWT", "status": "Enabled"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    // A realm role, as Keycloak puts it.
    let provider = sign(
        &keys.rsa,
        &claims(
            &issuer,
            json!({"realm_access": {"roles": ["offline_access", "participant"]}, "participant_id": federation.provider_id}),
        ),
    );
    let agent_path = format!("/api/v1/agents/{}", federation.agent_id);
    assert_eq!(status(&server, &agent_path, &provider).await, 200);
    let consumer_path = format!("/api/v1/participants/{}", federation.consumer_id);
    assert_eq!(status(&server, &consumer_path, &provider).await, 403);
    assert_eq!(
        status(&server, "/api/v1/jobs/pending", &provider).await,
        403
    );

    // A client role, signed with ES256.
    let agent = sign(
        &keys.ec,
        &claims(
            &issuer,
            json!({"resource_access": {AUDIENCE: {"roles": ["agent"]}},
                   "participant_id": federation.provider_id, "agent_id": federation.agent_id}),
        ),
    );
    let me = server.get("/api/v1/agents/me", &agent).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["id"], federation.agent_id.as_str());
    assert_eq!(status(&server, "/api/v1/participants", &agent).await, 200);
    assert_eq!(status(&server, &consumer_path, &agent).await, 403);

    // An agent claimed for a participant that does not operate it.
    let misplaced = sign(
        &keys.rsa,
        &claims(
            &issuer,
            json!({"role": "agent", "participant_id": federation.consumer_id, "agent_id": federation.agent_id}),
        ),
    );
    assert_eq!(status(&server, "/api/v1/agents/me", &misplaced).await, 403);

    // Federa's own tokens work alongside.
    assert_eq!(
        status(&server, "/api/v1/participants", ADMIN_TOKEN).await,
        200
    );
    assert_eq!(
        status(&server, "/api/v1/agents/me", &federation.agent_token).await,
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn jwts_that_do_not_verify_are_refused_with_403() {
    let keys = keys();
    let issuer = Issuer::start(vec![keys.rsa.jwk.clone()]).await;
    let server = federa(&issuer, Duration::from_millis(500)).await;
    let federation = Federation::create(&server).await;
    let admin = json!({"role": "admin"});
    let good = sign(&keys.rsa, &claims(&issuer, admin.clone()));
    assert_eq!(status(&server, "/api/v1/participants", &good).await, 200);

    let mut expired = claims(&issuer, admin.clone());
    expired["exp"] = json!(now() - 600);
    let mut early = claims(&issuer, admin.clone());
    early["nbf"] = json!(now() + 600);
    let mut foreign_issuer = claims(&issuer, admin.clone());
    foreign_issuer["iss"] = json!("https://elsewhere.example/realms/test");
    let mut other_audience = claims(&issuer, admin.clone());
    other_audience["aud"] = json!("another-client");
    let mut no_audience = claims(&issuer, admin.clone());
    no_audience.as_object_mut().unwrap().remove("aud");
    let no_role = claims(
        &issuer,
        json!({"realm_access": {"roles": ["offline_access"]}}),
    );
    let participant_without_scope = claims(&issuer, json!({"role": "participant"}));
    let agent_without_agent = claims(
        &issuer,
        json!({"role": "agent", "participant_id": federation.provider_id}),
    );

    let mut unknown_kid = Header::new(Algorithm::RS256);
    unknown_kid.kid = Some("never-published".into());
    let mut hmac = Header::new(Algorithm::HS256);
    hmac.kid = Some(keys.rsa.kid.clone());
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD
            .encode(claims(&issuer, json!({"role": "admin", "extra": true})).to_string());
        parts.join(".")
    };

    let refused = [
        (
            "forged signature",
            sign(&keys.stranger, &claims(&issuer, admin.clone())),
        ),
        ("tampered payload", tampered),
        ("expired", sign(&keys.rsa, &expired)),
        ("not yet valid", sign(&keys.rsa, &early)),
        ("wrong issuer", sign(&keys.rsa, &foreign_issuer)),
        ("wrong audience", sign(&keys.rsa, &other_audience)),
        ("no audience", sign(&keys.rsa, &no_audience)),
        ("no role", sign(&keys.rsa, &no_role)),
        (
            "participant without participant_id",
            sign(&keys.rsa, &participant_without_scope),
        ),
        (
            "agent without agent_id",
            sign(&keys.rsa, &agent_without_agent),
        ),
        (
            "unknown kid",
            jsonwebtoken::encode(
                &unknown_kid,
                &claims(&issuer, admin.clone()),
                &keys.rsa.encoding,
            )
            .unwrap(),
        ),
        (
            "HMAC keyed with public material",
            jsonwebtoken::encode(
                &hmac,
                &claims(&issuer, admin.clone()),
                &EncodingKey::from_secret(keys.rsa.jwk["n"].as_str().unwrap().as_bytes()),
            )
            .unwrap(),
        ),
        ("not a JWT at all", "a.b.c".to_string()),
    ];
    for (what, token) in &refused {
        let answer = server.get("/api/v1/participants", token).await;
        assert_eq!(answer.status, 403, "{what}: {:?}", answer.body);
        assert_eq!(answer.body["status"], "Forbidden", "{what}");
    }
    let anonymous = server.call("GET", "/api/v1/participants", None, None).await;
    assert_eq!(anonymous.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_and_unknown_kids_are_fetched_for_sparingly() {
    let keys = keys();
    let issuer = Issuer::start(vec![keys.rsa.jwk.clone()]).await;
    let window = Duration::from_millis(800);
    let server = federa(&issuer, window).await;
    let admin = json!({"role": "admin"});
    let old = sign(&keys.rsa, &claims(&issuer, admin.clone()));
    assert_eq!(status(&server, "/api/v1/participants", &old).await, 200);
    assert_eq!(issuer.fetches(), 1);
    // The cached set serves later tokens without fetching.
    assert_eq!(status(&server, "/api/v1/participants", &old).await, 200);
    assert_eq!(issuer.fetches(), 1);

    issuer.publish(vec![keys.rotated.jwk.clone()]);
    let new = sign(&keys.rotated, &claims(&issuer, admin.clone()));
    // Within the refetch window a new kid waits for the window to end and
    // is judged by the set fetched then: never refused for our cache's sake.
    let asked = std::time::Instant::now();
    assert_eq!(status(&server, "/api/v1/participants", &new).await, 200);
    assert!(asked.elapsed() <= window + Duration::from_millis(500));
    assert_eq!(issuer.fetches(), 2);
    // The retired key is gone with the set it was dropped from.
    assert_eq!(status(&server, "/api/v1/participants", &old).await, 403);

    // Made-up key ids, one after another and all at once, cost the issuer
    // at most one fetch per window.
    let before = issuer.fetches();
    let started = std::time::Instant::now();
    let forged = |n: usize| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(format!("made-up-{n}"));
        jsonwebtoken::encode(&header, &claims(&issuer, admin.clone()), &keys.rsa.encoding).unwrap()
    };
    for n in 0..4 {
        assert_eq!(
            status(&server, "/api/v1/participants", &forged(n)).await,
            403
        );
    }
    let burst: Vec<_> = (4..24)
        .map(|n| {
            let (server, token) = (Api::clone(&server), forged(n));
            tokio::spawn(async move { server.get("/api/v1/participants", &token).await.status })
        })
        .collect();
    for answer in burst {
        assert_eq!(answer.await.unwrap(), 403);
    }
    let windows = started.elapsed().as_secs_f64() / window.as_secs_f64();
    let fetched = issuer.fetches() - before;
    assert!(
        fetched as f64 <= windows.ceil() + 1.0,
        "{fetched} fetches in {windows:.1} windows"
    );
    assert_eq!(status(&server, "/api/v1/participants", &new).await, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_login_whose_subject_is_a_users_acts_with_that_users_role() {
    let keys = keys();
    let issuer = Issuer::start(vec![keys.rsa.jwk.clone()]).await;
    let server = federa(&issuer, Duration::from_millis(500)).await;
    let federation = Federation::create(&server).await;
    let user = server
        .post(
            "/api/v1/users",
            ADMIN_TOKEN,
            &json!({"name": "Ada", "oidcSubject": "ada@issuer"}),
        )
        .await;
    assert_eq!(user.status, 201, "{:?}", user.body);
    let user_id = user.body["id"].as_str().unwrap().to_string();
    let membership = server
        .post(
            "/api/v1/memberships",
            ADMIN_TOKEN,
            &json!({"userId": user_id, "participantId": federation.consumer_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(membership.status, 201, "{:?}", membership.body);
    let login = |participant: &str| {
        sign(
            &keys.rsa,
            &claims(
                &issuer,
                json!({"role": "participant", "participant_id": participant, "sub": "ada@issuer"}),
            ),
        )
    };

    // The viewer reads its participant but orders nothing, though the
    // claims alone would give the participant's whole rights.
    let viewer = login(&federation.consumer_id);
    assert_eq!(status(&server, "/api/v1/services", &viewer).await, 200);
    let me = server
        .get(&format!("/api/v1/users/{user_id}"), &viewer)
        .await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    let ordered = server
        .post("/api/v1/services", &viewer, &federation.order("by-login"))
        .await;
    assert_eq!(ordered.status, 403, "{:?}", ordered.body);

    // A participant the user does not belong to is refused.
    let elsewhere = login(&federation.provider_id);
    assert_eq!(status(&server, "/api/v1/services", &elsewhere).await, 403);

    // An unknown subject keeps acting on its claims alone, as before.
    let stranger = sign(
        &keys.rsa,
        &claims(
            &issuer,
            json!({"role": "participant", "participant_id": federation.consumer_id}),
        ),
    );
    let ordered = server
        .post(
            "/api/v1/services",
            &stranger,
            &federation.order("by-claims"),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    server.stop().await;
}
