//! The kubernetes driver against a real API server (`.ci/kubernetes.sh`
//! starts kube-apiserver, controller-manager and scheduler on kine, with
//! kwok's fake nodes, and names its admin kubeconfig in
//! `FEDERA_TEST_KUBECONFIG`). The driver runs with the least-privilege
//! account of `catalogue/kubernetes/agent-rbac.yaml`; the checks look
//! through the admin's eyes. Each test has services of its own.
#![cfg(feature = "kubernetes")]

use std::path::Path;
use std::time::{Duration, Instant};

use federa_agent::kubernetes::manifests::FORMAT as MANIFESTS;
use federa_agent::kubernetes::{objects, KubernetesDriver};
use federa_agent::transfer::Transfers;
use federa_agent::{
    AppQuotaConfig, Driver, DriverError, JobContext, KubernetesConfig, ObservedState, Outcome,
    ServiceRecord, TransferConfig,
};
use federa_client::api::switch_jobs::{ExportParams, ExportedRes, ImportParams};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, Pod, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;
use serde_json::{json, Map, Value};

const RBAC: &str = include_str!("../../../catalogue/kubernetes/agent-rbac.yaml");

fn admin_kubeconfig() -> Kubeconfig {
    let path = std::env::var("FEDERA_TEST_KUBECONFIG").expect(
        "FEDERA_TEST_KUBECONFIG names an admin kubeconfig; start a cluster with `bash .ci/kubernetes.sh start`",
    );
    Kubeconfig::read_from(path).unwrap()
}

async fn config_of(kubeconfig: Kubeconfig) -> kube::Config {
    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap()
}

async fn admin() -> Client {
    Client::try_from(config_of(admin_kubeconfig()).await).unwrap()
}

/// Applies the shipped RBAC manifest and returns a kubeconfig of its
/// account: what a provider gives the agent.
async fn agent_kubeconfig(admin: &Client) -> String {
    let params = PatchParams::apply("federa-tests").force();
    for document in serde_saphyr::from_multiple::<Value>(RBAC).unwrap() {
        let (group, version) = match document["apiVersion"].as_str().unwrap().split_once('/') {
            Some((group, version)) => (group.to_string(), version.to_string()),
            None => (
                String::new(),
                document["apiVersion"].as_str().unwrap().to_string(),
            ),
        };
        let kind = document["kind"].as_str().unwrap();
        let plural = format!("{}s", kind.to_lowercase());
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(&group, &version, kind),
            &plural,
        );
        let name = document["metadata"]["name"].as_str().unwrap();
        let api: Api<DynamicObject> = match document["metadata"]["namespace"].as_str() {
            Some(namespace) => Api::namespaced_with(admin.clone(), namespace, &resource),
            None => Api::all_with(admin.clone(), &resource),
        };
        api.patch(name, &params, &Patch::Apply(&document))
            .await
            .unwrap_or_else(|e| panic!("cannot apply {kind} {name}: {e}"));
    }
    let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), "federa-system");
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(3600),
            ..TokenRequestSpec::default()
        }),
        ..TokenRequest::default()
    };
    let token = accounts
        .create_token_request("federa-agent", &PostParams::default(), &request)
        .await
        .unwrap()
        .status
        .unwrap()
        .token
        .unwrap();
    let admin_config = admin_kubeconfig();
    let cluster = admin_config.clusters[0].cluster.clone().unwrap();
    objects::kubeconfig(
        &cluster.server.unwrap(),
        cluster.certificate_authority_data.as_deref(),
        "default",
        &token,
    )
}

fn settings(prefix: &str) -> KubernetesConfig {
    KubernetesConfig {
        kubeconfig: None,
        context: None,
        namespace_prefix: prefix.into(),
        field_manager: "federa-agent".into(),
        public_server: None,
        tenant_role: "edit".into(),
        tenant_token_seconds: 3600,
        image_allow_list: Vec::new(),
        app_quota: None,
        rollout_timeout_seconds: 90,
    }
}

async fn driver(admin: &Client, settings: &KubernetesConfig) -> KubernetesDriver {
    let kubeconfig = Kubeconfig::from_yaml(&agent_kubeconfig(admin).await).unwrap();
    KubernetesDriver::new(config_of(kubeconfig).await, settings).unwrap()
}

fn service_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn job(service: &str, action: &str, properties: &Value) -> JobContext {
    JobContext {
        job_id: format!("job-{action}"),
        action: action.into(),
        service_id: service.into(),
        service_name: "shop".into(),
        properties: properties.as_object().cloned().unwrap_or_else(Map::new),
        agent_instance_id: None,
        agent_instance_data: None,
    }
}

async fn run(
    driver: &KubernetesDriver,
    service: &str,
    action: &str,
    properties: &Value,
) -> Outcome {
    driver
        .execute(&job(service, action, properties))
        .await
        .unwrap_or_else(|e| panic!("{action} failed: {e}"))
}

async fn deployment(admin: &Client, namespace: &str) -> Deployment {
    Api::<Deployment>::namespaced(admin.clone(), namespace)
        .get("app")
        .await
        .unwrap()
}

async fn pods(admin: &Client, namespace: &str) -> Vec<Pod> {
    Api::<Pod>::namespaced(admin.clone(), namespace)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .collect()
}

async fn namespace_exists(admin: &Client, namespace: &str) -> bool {
    Api::<Namespace>::all(admin.clone())
        .get_opt(namespace)
        .await
        .unwrap()
        .is_some()
}

async fn observed(driver: &KubernetesDriver, service: &str) -> Vec<ObservedState> {
    let record = ServiceRecord {
        service_id: service.into(),
        state: "Started".into(),
        agent_instance_id: None,
        agent_instance_data: None,
    };
    driver
        .observe(&[record])
        .await
        .into_iter()
        .map(|observation| observation.state)
        .collect()
}

/// The host the application's Ingress routes.
async fn ingress_host(admin: &Client, namespace: &str) -> Option<String> {
    let ingress = Api::<Ingress>::namespaced(admin.clone(), namespace)
        .get("app")
        .await
        .unwrap();
    ingress.spec?.rules?.first()?.host.clone()
}

/// The field managers that applied the object server-side.
fn appliers(deployment: &Deployment) -> Vec<String> {
    deployment
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|f| f.operation.as_deref() == Some("Apply"))
        .filter_map(|f| f.manager.clone())
        .collect()
}

fn image(deployment: &Deployment) -> String {
    deployment.spec.template.spec.as_ref().unwrap().containers[0]
        .image
        .clone()
        .unwrap()
}

#[tokio::test]
async fn a_container_application_goes_through_its_whole_lifecycle() {
    let admin = admin().await;
    let driver = driver(&admin, &settings("fa-")).await;
    let service = service_id();
    let namespace = format!("fa-{service}");
    let first = json!({"image": "registry.example.eu/shop:1", "replicas": 2, "containerPort": 8080,
                       "host": "shop.apps.example.eu", "env": {"MODE": "blue"}});

    let created = run(&driver, &service, "create", &first).await;
    assert_eq!(
        created.agent_instance_id.as_deref(),
        Some(namespace.as_str())
    );
    let data = created.agent_instance_data.clone().unwrap();
    assert_eq!(data["product"], "container-application");
    assert_eq!(data["readyReplicas"], 2);
    let made = deployment(&admin, &namespace).await;
    let status = made.status.clone().unwrap();
    assert_eq!(status.available_replicas, Some(2));
    let labels = made.metadata.labels.clone().unwrap();
    assert_eq!(labels[objects::SERVICE_ID], service);
    assert_eq!(labels[objects::OWNER], "fa");
    assert_eq!(
        appliers(&made),
        ["federa-agent"],
        "applied server-side by its manager"
    );
    let service_object = Api::<Service>::namespaced(admin.clone(), &namespace)
        .get("app")
        .await
        .unwrap();
    assert_eq!(service_object.spec.unwrap().ports.unwrap()[0].port, 8080);
    assert_eq!(
        ingress_host(&admin, &namespace).await.as_deref(),
        Some("shop.apps.example.eu")
    );
    assert_eq!(pods(&admin, &namespace).await.len(), 2);
    let again = run(&driver, &service, "create", &first).await;
    assert_eq!(again.agent_instance_id, created.agent_instance_id);
    assert_eq!(observed(&driver, &service).await, [ObservedState::Running]);

    for _ in 0..2 {
        let stopped = run(&driver, &service, "stop", &first).await;
        assert_eq!(stopped.agent_instance_data.unwrap()["replicas"], 0);
        assert_eq!(deployment(&admin, &namespace).await.spec.replicas, Some(0));
        assert!(pods(&admin, &namespace).await.is_empty());
    }
    assert_eq!(observed(&driver, &service).await, [ObservedState::Stopped]);
    // An update while stopped changes the spec but starts nothing.
    let stopped_update =
        json!({"image": "registry.example.eu/shop:1", "replicas": 1, "containerPort": 8080});
    run(&driver, &service, "update", &stopped_update).await;
    assert_eq!(deployment(&admin, &namespace).await.spec.replicas, Some(0));

    for _ in 0..2 {
        run(&driver, &service, "start", &first).await;
        let started = deployment(&admin, &namespace).await;
        assert_eq!(started.status.unwrap().available_replicas, Some(2));
    }

    let second = json!({"image": "registry.example.eu/shop:2", "replicas": 3, "containerPort": 8080,
                        "env": {"MODE": "green"}});
    let before = deployment(&admin, &namespace).await.metadata.generation;
    let updated = run(&driver, &service, "update", &second).await;
    assert_eq!(updated.agent_instance_data.unwrap()["readyReplicas"], 3);
    let rolled = deployment(&admin, &namespace).await;
    assert!(rolled.metadata.generation > before, "a new rollout");
    assert_eq!(image(&rolled), "registry.example.eu/shop:2");
    let status = rolled.status.unwrap();
    assert_eq!(status.updated_replicas, Some(3));
    assert_eq!(status.available_replicas, Some(3));
    let running = pods(&admin, &namespace).await;
    assert_eq!(running.len(), 3);
    assert!(running.iter().all(|pod| {
        pod.spec.as_ref().unwrap().containers[0].image.as_deref()
            == Some("registry.example.eu/shop:2")
    }));
    assert!(
        Api::<Ingress>::namespaced(admin.clone(), &namespace)
            .get_opt("app")
            .await
            .unwrap()
            .is_none(),
        "the host was dropped, and with it the ingress"
    );

    let samples = driver.metrics().await;
    let ours = |name: &str| {
        samples
            .iter()
            .find(|s| s.service_id == service && s.type_name == name)
            .map(|s| s.value)
    };
    assert_eq!(ours("kubernetes_replicas_desired"), Some(3.0));
    assert_eq!(ours("kubernetes_replicas_ready"), Some(3.0));
    assert_eq!(ours("kubernetes_restarts"), Some(0.0));

    for _ in 0..2 {
        run(&driver, &service, "delete", &second).await;
        assert!(!namespace_exists(&admin, &namespace).await);
    }
    assert_eq!(observed(&driver, &service).await, [ObservedState::Missing]);
}

#[tokio::test]
async fn pods_beyond_the_application_quota_fail_the_job_with_the_api_servers_message() {
    let admin = admin().await;
    let mut capped = settings("fq-");
    capped.app_quota = Some(AppQuotaConfig {
        cpu: Some("500m".into()),
        memory: None,
        pods: None,
    });
    let driver = driver(&admin, &capped).await;
    let service = service_id();
    let greedy =
        json!({"image": "registry.example.eu/shop:1", "replicas": 3, "cpuRequest": "250m"});
    let error = driver
        .execute(&job(&service, "create", &greedy))
        .await
        .unwrap_err();
    let DriverError::Failed(message) = &error else {
        panic!("not a refusal: {error:?}");
    };
    assert!(message.contains("exceeded quota"), "{message}");
    assert!(message.contains("requests.cpu"), "{message}");
    let quota = Api::<ResourceQuota>::namespaced(admin.clone(), &format!("fq-{service}"))
        .get("app")
        .await
        .unwrap();
    assert_eq!(quota.spec.unwrap().hard.unwrap()["requests.cpu"].0, "500m");
    // Smaller fits, and the job that failed can be fixed by an update.
    let modest =
        json!({"image": "registry.example.eu/shop:1", "replicas": 2, "cpuRequest": "250m"});
    run(&driver, &service, "update", &modest).await;
    run(&driver, &service, "delete", &modest).await;
}

#[tokio::test]
async fn images_outside_the_allow_list_are_refused_before_anything_is_made() {
    let admin = admin().await;
    let mut strict = settings("fl-");
    strict.image_allow_list = vec!["registry.example.eu/".into()];
    let driver = driver(&admin, &strict).await;
    let service = service_id();
    let error = driver
        .execute(&job(
            &service,
            "create",
            &json!({"image": "docker.io/library/nginx"}),
        ))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("allow-list"), "{error}");
    assert!(!namespace_exists(&admin, &format!("fl-{service}")).await);
}

#[tokio::test]
async fn an_invalid_spec_fails_with_the_api_servers_message() {
    let admin = admin().await;
    let driver = driver(&admin, &settings("fv-")).await;
    let service = service_id();
    let error = driver
        .execute(&job(
            &service,
            "create",
            &json!({"image": "registry.example.eu/shop:1", "cpuRequest": "2", "cpuLimit": "1"}),
        ))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Invalid value"), "{error}");
    run(&driver, &service, "delete", &json!({})).await;
}

#[tokio::test]
async fn a_tenant_namespace_hands_out_a_kubeconfig_confined_to_it() {
    let admin = admin().await;
    let driver = driver(&admin, &settings("ft-")).await;
    let service = service_id();
    let namespace = format!("ft-{service}");
    let small = json!({"cpu": "1", "memory": "1Gi", "pods": 2});
    let created = run(&driver, &service, "create", &small).await;
    assert_eq!(
        created.agent_instance_data.unwrap()["product"],
        "tenant-namespace"
    );
    let kubeconfig = created.properties.unwrap()["kubeconfig"]
        .as_str()
        .unwrap()
        .to_string();
    let tenant =
        Client::try_from(config_of(Kubeconfig::from_yaml(&kubeconfig).unwrap()).await).unwrap();

    // Its own namespace: it may run pods, which get the default requests.
    let pods_api: Api<Pod> = Api::namespaced(tenant.clone(), &namespace);
    let pod = |name: &str, cpu: Option<&str>| {
        let mut container = json!({"name": "c", "image": "registry.example.eu/tool:1"});
        if let Some(cpu) = cpu {
            container["resources"] = json!({"requests": {"cpu": cpu}, "limits": {"cpu": cpu}});
        }
        serde_json::from_value::<Pod>(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [container]},
        }))
        .unwrap()
    };
    let made = pods_api
        .create(&PostParams::default(), &pod("one", None))
        .await
        .unwrap();
    let requests = made.spec.unwrap().containers[0]
        .resources
        .clone()
        .unwrap()
        .requests
        .unwrap();
    assert_eq!(requests["cpu"].0, "100m", "the limit range's default");

    // The quota is enforced by the API server's admission.
    let refused = pods_api
        .create(&PostParams::default(), &pod("big", Some("2")))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("exceeded quota"), "{refused}");
    pods_api
        .create(&PostParams::default(), &pod("two", None))
        .await
        .unwrap();
    let third = pods_api
        .create(&PostParams::default(), &pod("three", None))
        .await
        .unwrap_err();
    assert!(third.to_string().contains("exceeded quota"), "{third}");

    // Nothing outside its namespace, nor its own quota.
    let elsewhere = Api::<Pod>::namespaced(tenant.clone(), "default")
        .list(&ListParams::default())
        .await
        .unwrap_err();
    assert!(elsewhere.to_string().contains("forbidden"), "{elsewhere}");
    let cluster_wide = Api::<Namespace>::all(tenant.clone())
        .list(&ListParams::default())
        .await
        .unwrap_err();
    assert!(
        cluster_wide.to_string().contains("forbidden"),
        "{cluster_wide}"
    );
    let raise = Api::<ResourceQuota>::namespaced(tenant.clone(), &namespace)
        .patch(
            "tenant",
            &PatchParams::apply("tenant").force(),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ResourceQuota",
                                 "metadata": {"name": "tenant"}, "spec": {"hard": {"pods": "100"}}})),
        )
        .await
        .unwrap_err();
    assert!(raise.to_string().contains("forbidden"), "{raise}");

    // An update changes the quota; the third pod now fits.
    let bigger = json!({"cpu": "2", "memory": "2Gi", "pods": 5});
    let updated = run(&driver, &service, "update", &bigger).await;
    assert!(updated.properties.is_none(), "no new kubeconfig on update");
    let quota = Api::<ResourceQuota>::namespaced(admin.clone(), &namespace)
        .get("tenant")
        .await
        .unwrap();
    assert_eq!(quota.spec.unwrap().hard.unwrap()["pods"].0, "5");
    let mut fits = Err(String::new());
    for _ in 0..20 {
        match pods_api
            .create(&PostParams::default(), &pod("three", None))
            .await
        {
            Ok(_) => {
                fits = Ok(());
                break;
            }
            Err(error) => fits = Err(error.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    fits.unwrap();

    let samples = driver.metrics().await;
    let ours = |name: &str| {
        samples
            .iter()
            .find(|s| s.service_id == service && s.type_name == name)
            .map(|s| s.value)
    };
    assert_eq!(ours("kubernetes_quota_pods_hard"), Some(5.0));
    assert_eq!(ours("kubernetes_quota_cpu_hard"), Some(2.0));
    assert!(ours("kubernetes_quota_pods_used").is_some());

    run(&driver, &service, "delete", &bigger).await;
    assert!(!namespace_exists(&admin, &namespace).await);
}

#[tokio::test]
async fn a_restarted_agent_adopts_what_the_last_one_made() {
    let admin = admin().await;
    let service = service_id();
    let namespace = format!("fr-{service}");
    let app = json!({"image": "registry.example.eu/shop:1", "replicas": 1});
    {
        let first = driver(&admin, &settings("fr-")).await;
        run(&first, &service, "create", &app).await;
    }
    let next = driver(&admin, &settings("fr-")).await;
    let samples = next.metrics().await;
    assert!(
        samples.iter().any(|s| s.service_id == service
            && s.type_name == "kubernetes_replicas_ready"
            && s.value == 1.0),
        "{samples:?}"
    );
    run(&next, &service, "stop", &app).await;
    assert_eq!(deployment(&admin, &namespace).await.spec.replicas, Some(0));
    run(&next, &service, "delete", &app).await;
    assert!(!namespace_exists(&admin, &namespace).await);
}

#[tokio::test]
async fn an_agent_of_another_provider_sees_and_touches_nothing_of_the_first() {
    let admin = admin().await;
    let first = driver(&admin, &settings("pa-")).await;
    let other = driver(&admin, &settings("pb-")).await;
    let service = service_id();
    let app = json!({"image": "registry.example.eu/shop:1", "replicas": 1});
    run(&first, &service, "create", &app).await;

    let seen = other.metrics().await;
    assert!(
        seen.iter()
            .all(|s| s.service_id != service && !s.resource_id.starts_with("pa-")),
        "{seen:?}"
    );
    // Acting on the same service id reaches only its own (absent) namespace.
    run(&other, &service, "delete", &app).await;
    assert!(namespace_exists(&admin, &format!("pa-{service}")).await);
    assert_eq!(
        deployment(&admin, &format!("pa-{service}"))
            .await
            .status
            .unwrap()
            .available_replicas,
        Some(1)
    );
    // A namespace of the other's name that it did not make is refused.
    let squatted = format!("pb-{service}");
    Api::<Namespace>::all(admin.clone())
        .patch(
            &squatted,
            &PatchParams::apply("someone-else"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Namespace",
                                 "metadata": {"name": squatted, "labels": {objects::OWNER: "pa", objects::SERVICE_ID: service}}})),
        )
        .await
        .unwrap();
    let refused = other
        .execute(&job(&service, "create", &app))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not made by this agent"),
        "{refused}"
    );
    let left_alone = other
        .execute(&job(&service, "delete", &app))
        .await
        .unwrap_err();
    assert!(
        left_alone.to_string().contains("left alone"),
        "{left_alone}"
    );
    Api::<Namespace>::all(admin.clone())
        .delete(&squatted, &Default::default())
        .await
        .unwrap();

    run(&first, &service, "delete", &app).await;
}

#[tokio::test]
async fn the_agent_reads_the_capacity_left_on_the_nodes() {
    let admin = admin().await;
    let driver = driver(&admin, &settings("fc-")).await;
    let allocatable: f64 = Api::<k8s_openapi::api::core::v1::Node>::all(admin.clone())
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|node| {
            let cpu = &node.status.as_ref().unwrap().allocatable.as_ref().unwrap()["cpu"].0;
            federa_agent::kubernetes::properties::quantity_value(cpu).unwrap()
        })
        .sum();
    let service = service_id();
    let app = json!({"image": "registry.example.eu/shop:1", "replicas": 2, "cpuRequest": "1", "memoryRequest": "1Gi"});
    run(&driver, &service, "create", &app).await;
    let free = driver.capacity().await.unwrap();
    assert!(
        free.cpu <= allocatable - 2.0 + 1e-9,
        "{free:?} of {allocatable}"
    );
    assert!(free.memory_bytes > 0.0 && free.pods > 0.0, "{free:?}");
    assert!(
        free.fits(1.0, 1024.0) <= (allocatable - 2.0) as u32,
        "{free:?}"
    );
    run(&driver, &service, "delete", &app).await;
}

/// An agent's transfers in `dir`, serving exports on loopback.
async fn transfers(dir: &Path) -> Transfers {
    Transfers::start(&TransferConfig {
        dir: dir.to_path_buf(),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        public_url: None,
        expiry_seconds: 600,
    })
    .await
    .unwrap()
}

async fn export(
    transfers: &Transfers,
    driver: &KubernetesDriver,
    service: &str,
    switch_id: uuid::Uuid,
) -> Result<ExportedRes, DriverError> {
    let params = ExportParams {
        switch_id,
        format: MANIFESTS.into(),
        transfer_token: format!("token-{switch_id}"),
    };
    transfers
        .export(driver, &job(service, "export", &json!({})), &params)
        .await
}

async fn import(
    transfers: &Transfers,
    driver: &KubernetesDriver,
    service: &str,
    exported: &ExportedRes,
    switch_id: uuid::Uuid,
) -> Result<(), DriverError> {
    let params = ImportParams {
        switch_id,
        source: exported.source.clone(),
        transfer_token: format!("token-{switch_id}"),
    };
    transfers
        .import(driver, &job(service, "import", &json!({})), &params)
        .await
        .map(drop)
}

fn container(deployment: &Deployment) -> k8s_openapi::api::core::v1::Container {
    deployment.spec.template.spec.as_ref().unwrap().containers[0].clone()
}

#[tokio::test]
async fn an_application_switches_to_another_providers_namespace_and_is_erased_at_the_source() {
    let admin = admin().await;
    let source = driver(&admin, &settings("xa-")).await;
    let target = driver(&admin, &settings("xb-")).await;
    let (from, to) = (service_id(), service_id());
    let (from_namespace, to_namespace) = (format!("xa-{from}"), format!("xb-{to}"));
    let app = json!({"image": "registry.example.eu/shop:3", "replicas": 2, "containerPort": 8080,
                     "host": "shop.apps.example.eu", "env": {"MODE": "blue", "WORKERS": 4}});
    run(&source, &from, "create", &app).await;
    // The target as a switch provisions it, running something else.
    let placeholder = json!({"image": "registry.example.eu/placeholder:1", "replicas": 1,
                             "containerPort": 9090});
    run(&target, &to, "create", &placeholder).await;

    let dir = tempfile::tempdir().unwrap();
    let source_transfers = transfers(&dir.path().join("source")).await;
    let target_transfers = transfers(&dir.path().join("target")).await;
    let switch_id = uuid::Uuid::new_v4();
    let started = Instant::now();
    let exported = export(&source_transfers, &source, &from, switch_id)
        .await
        .unwrap();
    let exported_in = started.elapsed();
    assert_eq!(exported.source.format, MANIFESTS);

    // The document applies anywhere: nothing the source cluster set.
    let file = dir
        .path()
        .join(format!("source/exports/{from}/{switch_id}.data"));
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        exported.source.size_bytes
    );
    assert_eq!(
        (&document["apiVersion"], &document["kind"]),
        (&json!("v1"), &json!("List"))
    );
    let kinds: Vec<&str> = document["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Deployment", "Service", "Ingress"]);
    for item in document["items"].as_array().unwrap() {
        let metadata = item["metadata"].as_object().unwrap();
        for set_by_the_cluster in [
            "uid",
            "resourceVersion",
            "managedFields",
            "creationTimestamp",
            "namespace",
            "generation",
        ] {
            assert!(
                !metadata.contains_key(set_by_the_cluster),
                "{set_by_the_cluster} in {item}"
            );
        }
        assert!(item.get("status").is_none(), "{item}");
    }
    assert!(document["items"][1]["spec"].get("clusterIP").is_none());

    let started = Instant::now();
    import(&target_transfers, &target, &to, &exported, switch_id)
        .await
        .unwrap();
    let imported_in = started.elapsed();
    eprintln!(
        "kubernetes switch: {} bytes exported in {exported_in:?}, imported and rolled out in {imported_in:?}",
        exported.source.size_bytes
    );

    // The target runs the source's application, under the target's labels.
    let moved = deployment(&admin, &to_namespace).await;
    let original = deployment(&admin, &from_namespace).await;
    assert_eq!(image(&moved), "registry.example.eu/shop:3");
    assert_eq!(moved.spec.replicas, original.spec.replicas);
    assert_eq!(container(&moved).env, container(&original).env);
    assert_eq!(container(&moved).ports, container(&original).ports);
    assert_eq!(container(&moved).resources, container(&original).resources);
    let status = moved.status.clone().unwrap();
    assert_eq!(status.available_replicas, Some(2));
    assert!(status
        .conditions
        .unwrap()
        .iter()
        .any(|c| c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("True")));
    let labels = moved.metadata.labels.clone().unwrap();
    assert_eq!(labels[objects::OWNER], "xb");
    assert_eq!(labels[objects::SERVICE_ID], to);
    assert_eq!(
        moved.spec.selector.match_labels.clone().unwrap()[objects::SERVICE_ID],
        to
    );
    assert_eq!(appliers(&moved), ["federa-agent"]);
    let running = pods(&admin, &to_namespace).await;
    assert_eq!(running.len(), 2);
    assert!(running.iter().all(|pod| {
        pod.spec.as_ref().unwrap().containers[0].image.as_deref()
            == Some("registry.example.eu/shop:3")
    }));
    let service_object = Api::<Service>::namespaced(admin.clone(), &to_namespace)
        .get("app")
        .await
        .unwrap()
        .spec
        .unwrap();
    assert_eq!(service_object.ports.unwrap()[0].port, 8080);
    assert_eq!(
        service_object.selector.unwrap()[objects::SERVICE_ID],
        to,
        "the target's service selects the target's pods"
    );
    assert_eq!(
        ingress_host(&admin, &to_namespace).await.as_deref(),
        Some("shop.apps.example.eu")
    );
    assert_eq!(
        observed(&target, &to).await,
        [ObservedState::Running],
        "the target's agent sees its application"
    );
    // The source kept running through the switch.
    assert_eq!(original.status.unwrap().available_replicas, Some(2));

    let started = Instant::now();
    source_transfers
        .erase(&source, &job(&from, "erase", &app))
        .await
        .unwrap();
    eprintln!("kubernetes erase: {:?}", started.elapsed());
    assert!(!namespace_exists(&admin, &from_namespace).await);
    let left = Api::<Namespace>::all(admin.clone())
        .list(&ListParams::default().labels(&format!("{}={from}", objects::SERVICE_ID)))
        .await
        .unwrap();
    assert!(left.items.is_empty(), "nothing of the source is left");
    assert_eq!(observed(&source, &from).await, [ObservedState::Missing]);
    // Erasing again finds nothing to do.
    source_transfers
        .erase(&source, &job(&from, "erase", &app))
        .await
        .unwrap();
    assert_eq!(
        image(&deployment(&admin, &to_namespace).await),
        "registry.example.eu/shop:3",
        "the target is untouched by the source's erasure"
    );
    run(&target, &to, "delete", &placeholder).await;
}

#[tokio::test]
async fn an_application_the_target_may_not_run_leaves_the_target_as_it_was() {
    let admin = admin().await;
    let source = driver(&admin, &settings("ya-")).await;
    let mut strict = settings("yb-");
    strict.image_allow_list = vec!["registry.example.eu/placeholder".into()];
    let target = driver(&admin, &strict).await;
    let (from, to) = (service_id(), service_id());
    run(
        &source,
        &from,
        "create",
        &json!({"image": "docker.io/library/nginx:1.27", "replicas": 1}),
    )
    .await;
    let placeholder = json!({"image": "registry.example.eu/placeholder:1", "replicas": 1});
    run(&target, &to, "create", &placeholder).await;
    let dir = tempfile::tempdir().unwrap();
    let source_transfers = transfers(&dir.path().join("source")).await;
    let target_transfers = transfers(&dir.path().join("target")).await;
    let switch_id = uuid::Uuid::new_v4();
    let exported = export(&source_transfers, &source, &from, switch_id)
        .await
        .unwrap();
    let refused = import(&target_transfers, &target, &to, &exported, switch_id)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("docker.io/library/nginx:1.27 is not in the provider's image allow-list"),
        "{refused}"
    );
    let kept = deployment(&admin, &format!("yb-{to}")).await;
    assert_eq!(image(&kept), "registry.example.eu/placeholder:1");

    // A tenant namespace holds the tenant's own objects: nothing to export.
    let tenant = service_id();
    run(
        &source,
        &tenant,
        "create",
        &json!({"cpu": "1", "memory": "1Gi"}),
    )
    .await;
    let error = export(&source_transfers, &source, &tenant, uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(matches!(error, DriverError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("tenant-namespace"), "{error}");
    // A service this agent never made exports nothing.
    let error = export(&source_transfers, &target, &from, uuid::Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");

    for (driver, service) in [(&source, &from), (&source, &tenant), (&target, &to)] {
        driver
            .erase(&job(service, "erase", &json!({})))
            .await
            .unwrap();
    }
    assert!(!namespace_exists(&admin, &format!("ya-{from}")).await);
    assert!(!namespace_exists(&admin, &format!("ya-{tenant}")).await);
}
