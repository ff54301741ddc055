//! The openstack driver against a real OpenStack (Keystone, Nova with its
//! fake hypervisor, Placement, Glance) started by `.ci/openstack.sh`, which
//! exports `OS_CLIENT_CONFIG_FILE` with the clouds `federa` (a project
//! member) and `federa-admin`. What the driver did is checked with the
//! `openstack` command-line client, as an operator would.
#![cfg(feature = "openstack")]

use std::process::Command;

use federa_agent::openstack::OpenStackDriver;
use federa_agent::transfer::Transfers;
use federa_agent::{
    Driver, JobContext, ObservedState, OpenStackConfig, Outcome, ServiceRecord, Snapshot,
    TransferConfig,
};
use federa_client::api::switch_jobs::ExportParams;
use serde_json::{json, Map, Value};

const IMAGE: &str = "federa-test-image";

fn config(cloud: &str, clouds_file: Option<std::path::PathBuf>) -> OpenStackConfig {
    OpenStackConfig {
        cloud: cloud.into(),
        clouds_file,
        image: Some(IMAGE.into()),
        name_prefix: "federa-".into(),
        wait_timeout_seconds: 180,
        poll_interval_milliseconds: 250,
    }
}

async fn driver() -> OpenStackDriver {
    OpenStackDriver::open(&config("federa", None))
        .await
        .expect("the test cloud accepts the driver; is .ci/openstack.sh started?")
}

/// A service id of its own for each test run, so leftovers of an earlier
/// run never meet this one.
fn service_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "0190ffff-{:04x}-7000-8000-{:012x}",
        std::process::id() % 0xffff,
        nanos % 0xffff_ffff_ffff
    )
}

fn job(service: &str, action: &str, properties: Value, instance: Option<&str>) -> JobContext {
    JobContext {
        job_id: format!("job-{action}"),
        action: action.into(),
        service_id: service.into(),
        service_name: "shop database".into(),
        properties: properties.as_object().cloned().unwrap_or_else(Map::new),
        agent_instance_id: instance.map(str::to_string),
        agent_instance_data: None,
    }
}

async fn run(driver: &OpenStackDriver, service: &str, action: &str, properties: Value) -> Outcome {
    driver
        .execute(&job(service, action, properties, None))
        .await
        .unwrap_or_else(|e| panic!("{action} failed: {e}"))
}

/// `openstack --os-cloud <cloud> <args> -f json`, parsed.
fn openstack(cloud: &str, args: &[&str]) -> Result<Value, String> {
    let output = Command::new("openstack")
        .args(["--os-cloud", cloud])
        .args(args)
        .args(["-f", "json"])
        .output()
        .expect("the openstack client runs");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())
}

/// `openstack` for commands that print nothing.
fn openstack_quiet(cloud: &str, args: &[&str]) {
    let output = Command::new("openstack")
        .args(["--os-cloud", cloud])
        .args(args)
        .output()
        .expect("the openstack client runs");
    assert!(
        output.status.success(),
        "openstack {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn server_show(id: &str) -> Result<Value, String> {
    openstack("federa", &["server", "show", id])
}

/// What the driver observes of `service`.
async fn observed(driver: &OpenStackDriver, service: &str) -> Option<ObservedState> {
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
        .find(|o| o.service_id == service)
        .map(|o| o.state)
}

/// The flavor name `openstack server show` prints as `name (id)`.
fn flavor_of(shown: &Value) -> String {
    let flavor = shown["flavor"].as_str().unwrap_or_default();
    flavor.split(" (").next().unwrap_or_default().to_string()
}

fn data(outcome: &Outcome, key: &str) -> Value {
    outcome.agent_instance_data.as_ref().unwrap()[key].clone()
}

#[tokio::test]
async fn a_server_goes_through_its_whole_lifecycle_and_every_step_can_repeat() {
    let service = service_id();
    let driver = driver().await;
    let size = json!({"vcpus": 1, "ramMiB": 512, "sshPublicKey": PUBLIC_KEY});

    let created = run(&driver, &service, "create", size.clone()).await;
    let id = created.agent_instance_id.clone().expect("a server id");
    let shown = server_show(&id).unwrap();
    assert_eq!(shown["status"], "ACTIVE");
    assert_eq!(shown["name"], json!(format!("federa-{service}")));
    assert_eq!(
        flavor_of(&shown),
        "m1.tiny",
        "the smallest that fits: {shown}"
    );
    assert_eq!(shown["key_name"], json!(format!("federa-{service}")));
    assert_eq!(shown["properties"]["federa_service_id"], json!(service));
    assert_eq!(data(&created, "status"), "ACTIVE");
    assert_eq!(data(&created, "serverId"), json!(id));
    assert_eq!(data(&created, "vcpus"), 1);
    assert_eq!(data(&created, "ramMiB"), 512);
    let again = run(&driver, &service, "create", size.clone()).await;
    assert_eq!(
        again.agent_instance_id, created.agent_instance_id,
        "no second server"
    );
    assert_eq!(
        observed(&driver, &service).await,
        Some(ObservedState::Running)
    );

    for _ in 0..2 {
        let stopped = run(&driver, &service, "stop", json!({})).await;
        assert_eq!(data(&stopped, "status"), "SHUTOFF");
        assert_eq!(server_show(&id).unwrap()["status"], "SHUTOFF");
    }
    assert_eq!(
        observed(&driver, &service).await,
        Some(ObservedState::Stopped)
    );
    for _ in 0..2 {
        let started = run(&driver, &service, "start", json!({})).await;
        assert_eq!(data(&started, "status"), "ACTIVE");
        assert_eq!(server_show(&id).unwrap()["status"], "ACTIVE");
    }

    for _ in 0..2 {
        let resized = run(&driver, &service, "update", json!({"flavor": "m1.small"})).await;
        assert_eq!(data(&resized, "flavor"), "m1.small");
        assert_eq!(data(&resized, "status"), "ACTIVE");
        let shown = server_show(&id).unwrap();
        assert_eq!(flavor_of(&shown), "m1.small");
        assert_eq!(
            shown["status"], "ACTIVE",
            "the resize was confirmed: {shown}"
        );
    }
    // A stopped server is resized and stays stopped.
    run(&driver, &service, "stop", json!({})).await;
    let resized = run(&driver, &service, "update", json!({"vcpus": 2})).await;
    assert_eq!(data(&resized, "flavor"), "m1.medium");
    assert_eq!(data(&resized, "status"), "SHUTOFF");

    for _ in 0..2 {
        assert_eq!(
            run(&driver, &service, "delete", json!({})).await,
            Outcome::default()
        );
        let error = server_show(&id).unwrap_err();
        assert!(error.contains("No server with a name or ID"), "{error}");
    }
    assert_eq!(
        observed(&driver, &service).await,
        Some(ObservedState::Missing)
    );
    let keypairs = openstack("federa", &["keypair", "list"]).unwrap();
    assert!(
        !keypairs.to_string().contains(&service),
        "the key pair went with the server: {keypairs}"
    );
    assert_eq!(
        run(&driver, &service, "stop", json!({})).await,
        Outcome::default(),
        "stopping what is gone succeeds"
    );
}

#[tokio::test]
async fn a_restarted_agent_adopts_its_servers_by_their_metadata() {
    let service = service_id();
    let first = driver().await;
    let created = run(&first, &service, "create", json!({"flavor": "m1.tiny"})).await;
    drop(first);

    // A new driver with a new Keystone session, and jobs that do not say
    // which server is the service's.
    let second = driver().await;
    let again = run(&second, &service, "create", json!({"flavor": "m1.tiny"})).await;
    assert_eq!(again.agent_instance_id, created.agent_instance_id);
    let samples = second.metrics().await;
    let mine: Vec<_> = samples.iter().filter(|s| s.service_id == service).collect();
    let value = |name: &str| {
        mine.iter()
            .find(|s| s.type_name == name)
            .unwrap_or_else(|| panic!("no {name} in {mine:?}"))
            .value
    };
    assert_eq!(value("vcpus"), 1.0);
    assert_eq!(value("memory_bytes"), 512.0 * 1024.0 * 1024.0);
    assert!(value("uptime_seconds") >= 0.0);
    assert!(value("vcpu_hours") >= 0.0);
    assert!(mine.iter().all(|s| s.resource_id == "server"));

    let stopped = run(&second, &service, "stop", json!({})).await;
    assert_eq!(stopped.agent_instance_id, created.agent_instance_id);
    assert_eq!(data(&stopped, "status"), "SHUTOFF");
    assert!(
        second
            .metrics()
            .await
            .iter()
            .all(|s| s.service_id != service),
        "a stopped server is not measured"
    );
    run(&second, &service, "delete", json!({})).await;
    assert!(server_show(created.agent_instance_id.as_deref().unwrap()).is_err());
}

#[tokio::test]
async fn nova_refusals_fail_the_job_with_openstacks_message() {
    let service = service_id();
    let driver = driver().await;
    let missing_image = driver
        .execute(&job(
            &service,
            "create",
            json!({"flavor": "m1.tiny", "image": "a4d1f2a8-0000-4000-8000-000000000000"}),
            None,
        ))
        .await
        .unwrap_err();
    assert!(
        missing_image
            .to_string()
            .contains("Can not find requested image"),
        "{missing_image}"
    );
    let missing_flavor = driver
        .execute(&job(&service, "create", json!({"flavor": "m9.huge"}), None))
        .await
        .unwrap_err();
    assert!(
        missing_flavor
            .to_string()
            .contains("Flavor m9.huge could not be found"),
        "{missing_flavor}"
    );
    let listed = openstack("federa", &["server", "list", "--name", &service]).unwrap();
    assert_eq!(listed, json!([]), "nothing was left behind");
}

#[tokio::test]
async fn an_exceeded_cores_quota_fails_create_with_novas_message() {
    // A project of its own, so the low quota slows no other test.
    let project = format!("federa-quota-{}", &service_id()[24..]);
    openstack_quiet(
        "federa-admin",
        &["project", "create", "--domain", "default", &project],
    );
    openstack_quiet(
        "federa-admin",
        &[
            "role",
            "add",
            "--project",
            &project,
            "--user",
            "federa",
            "member",
        ],
    );
    openstack_quiet("federa-admin", &["quota", "set", "--cores", "2", &project]);
    let clouds = tempfile::NamedTempFile::new().unwrap();
    let original =
        std::fs::read_to_string(std::env::var("OS_CLIENT_CONFIG_FILE").unwrap()).unwrap();
    let own: Value = member_cloud(&original, &project);
    std::fs::write(clouds.path(), own.to_string()).unwrap();

    let driver = OpenStackDriver::open(&config("quota", Some(clouds.path().to_path_buf())))
        .await
        .unwrap();
    let limits = driver.limits().await.unwrap();
    assert_eq!(limits.max_total_cores, 2);
    assert_eq!(limits.total_cores_used, 0);
    let service = service_id();
    let error = driver
        .execute(&job(
            &service,
            "create",
            json!({"flavor": "m1.large"}),
            None,
        ))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"),
        "{message}"
    );
    openstack_quiet("federa-admin", &["project", "delete", &project]);
}

/// The clouds.yaml entry `quota`: the member user in `project`.
fn member_cloud(original: &str, project: &str) -> Value {
    let auth_url = original
        .lines()
        .find_map(|l| l.trim().strip_prefix("auth_url: "))
        .unwrap()
        .to_string();
    let password = original
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap()
        .to_string();
    json!({"clouds": {"quota": {
        "auth": {"auth_url": auth_url, "username": "federa", "password": password,
                 "project_name": project, "user_domain_name": "Default", "project_domain_name": "Default"},
        "region_name": "RegionOne",
    }}})
}

#[tokio::test]
async fn bad_credentials_are_refused_when_the_driver_opens() {
    let clouds = tempfile::NamedTempFile::new().unwrap();
    let original =
        std::fs::read_to_string(std::env::var("OS_CLIENT_CONFIG_FILE").unwrap()).unwrap();
    let mut own = member_cloud(&original, "federa");
    own["clouds"]["quota"]["auth"]["password"] = json!("not-the-password");
    std::fs::write(clouds.path(), own.to_string()).unwrap();
    let error = OpenStackDriver::open(&config("quota", Some(clouds.path().to_path_buf())))
        .await
        .err()
        .expect("refused");
    let message = format!("{error:#}");
    assert!(
        message.contains("refused the credentials of cloud \"quota\""),
        "{message}"
    );
    assert!(message.contains("401"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");
}

/// An ed25519 public key (only ever public).
/// The media type of a raw disk, as the driver exports and imports it.
const RAW_DISK: &str = "application/x-raw-disk-image";

/// Writes a disk of `size` bytes that do not repeat (a disk's are not all
/// zeros) to `path`, a chunk at a time; answers its SHA-256.
fn write_disk(path: &std::path::Path, size: usize, seed: u64) -> String {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut state = seed | 1;
    let mut chunk = Vec::with_capacity(64 * 1024);
    let mut left = size;
    while left > 0 {
        chunk.clear();
        for _ in 0..left.min(64 * 1024) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.push(state as u8);
        }
        digest.update(&chunk);
        file.write_all(&chunk).unwrap();
        left -= chunk.len();
    }
    file.flush().unwrap();
    hex_of(digest.finish().as_ref())
}

/// The SHA-256 of a file, read a chunk at a time.
fn sha256_of_file(path: &std::path::Path) -> String {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut chunk).unwrap();
        if read == 0 {
            return hex_of(digest.finish().as_ref());
        }
        digest.update(&chunk[..read]);
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, or `VmHWM`, the peak
/// since the last [`reset_peak_memory`]).
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(&format!("{field}:")))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Makes the process's peak resident memory its current one.
fn reset_peak_memory() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// The service's images in Glance, by the property the driver gives them.
fn images_of(service: &str) -> Vec<Value> {
    let listed = openstack(
        "federa",
        &[
            "image",
            "list",
            "--property",
            &format!("federa_service_id={service}"),
        ],
    )
    .unwrap();
    listed.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_imported_disk_is_uploaded_to_glance_and_the_server_rebuilt_from_it() {
    let service = service_id();
    let driver = driver().await;
    let created = run(&driver, &service, "create", json!({"flavor": "m1.tiny"})).await;
    let id = created.agent_instance_id.clone().unwrap();
    let base_image = server_show(&id).unwrap()["image"].clone();
    let dir = tempfile::tempdir().unwrap();

    let mut imported = Vec::new();
    for (round, size) in [(1u64, 256 * 1024 * 1024 + 5), (2, 3 * 1024 * 1024)] {
        let path = dir.path().join(format!("disk-{round}.raw"));
        let snapshot = Snapshot {
            sha256: write_disk(&path, size, round),
            path,
            format: RAW_DISK.into(),
            size_bytes: size as u64,
        };
        reset_peak_memory();
        let before = memory("VmRSS");
        let started = std::time::Instant::now();
        driver
            .import(&job(&service, "import", json!({}), Some(&id)), &snapshot)
            .await
            .unwrap_or_else(|e| panic!("import {round} failed: {e}"));
        let grown = memory("VmHWM").saturating_sub(before);
        eprintln!(
            "openstack import: {size} bytes uploaded to Glance and the server rebuilt in {:?}, peak resident memory {} KiB above where it began",
            started.elapsed(),
            grown / 1024
        );
        assert!(
            grown < 32 * 1024 * 1024,
            "the disk passes a chunk at a time, not whole: {grown} bytes more at the peak"
        );
        let images = images_of(&service);
        assert_eq!(images.len(), 1, "one image backs the server: {images:?}");
        let image_id = images[0]["ID"].as_str().unwrap().to_string();
        let shown = server_show(&id).unwrap();
        assert_eq!(shown["status"], "ACTIVE", "{shown}");
        assert!(
            shown["image"].to_string().contains(&image_id),
            "rebuilt from the imported image: {shown}"
        );
        assert_ne!(shown["image"], base_image);
        let image = openstack("federa", &["image", "show", &image_id]).unwrap();
        assert_eq!(image["status"], "active");
        assert_eq!(image["disk_format"], "raw");
        assert_eq!(image["size"], json!(size));
        // What Glance serves is what was imported, byte for byte.
        let saved = dir.path().join(format!("saved-{round}.raw"));
        openstack_quiet(
            "federa",
            &[
                "image",
                "save",
                "--file",
                saved.to_str().unwrap(),
                &image_id,
            ],
        );
        assert_eq!(sha256_of_file(&saved), snapshot.sha256);
        std::fs::remove_file(&saved).unwrap();
        imported.push(image_id);
    }
    assert_ne!(imported[0], imported[1]);
    assert!(
        openstack("federa", &["image", "show", &imported[0]]).is_err(),
        "the first import's image went when the second replaced it"
    );

    // An export of the wrong kind of data is refused before Glance is asked.
    let wrong = Snapshot {
        path: dir.path().join("disk-2.raw"),
        format: "application/json".into(),
        size_bytes: 0,
        sha256: String::new(),
    };
    let error = driver
        .import(&job(&service, "import", json!({}), Some(&id)), &wrong)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not application/json"),
        "{error}"
    );

    for _ in 0..2 {
        driver
            .erase(&job(&service, "erase", json!({}), Some(&id)))
            .await
            .unwrap();
        let error = server_show(&id).unwrap_err();
        assert!(error.contains("No server with a name or ID"), "{error}");
        assert!(
            images_of(&service).is_empty(),
            "no image of the service is left"
        );
    }
    assert_eq!(
        observed(&driver, &service).await,
        Some(ObservedState::Missing)
    );
}

#[tokio::test]
async fn an_export_on_a_hypervisor_that_uploads_no_snapshot_data_fails_saying_so() {
    let service = service_id();
    let driver = driver().await;
    let created = run(&driver, &service, "create", json!({"flavor": "m1.tiny"})).await;
    let id = created.agent_instance_id.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let transfers = Transfers::start(&TransferConfig {
        dir: dir.path().to_path_buf(),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        public_url: None,
        expiry_seconds: 600,
    })
    .await
    .unwrap();
    let export = |format: &str| ExportParams {
        switch_id: uuid::Uuid::new_v4(),
        format: format.into(),
        transfer_token: "token".into(),
    };
    let error = transfers
        .export(
            &driver,
            &job(&service, "export", json!({}), Some(&id)),
            &export("application/json"),
        )
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not application/json"),
        "{error}"
    );

    let started = std::time::Instant::now();
    let error = transfers
        .export(
            &driver,
            &job(&service, "export", json!({}), Some(&id)),
            &export(RAW_DISK),
        )
        .await
        .unwrap_err()
        .to_string();
    eprintln!(
        "openstack export on the fake hypervisor failed after {:?}: {error}",
        started.elapsed()
    );
    assert!(
        error.contains(&format!("Nova finished the snapshot of server {id}")),
        "{error}"
    );
    assert!(error.contains("is queued with 0 bytes"), "{error}");
    assert!(error.contains("uploaded no disk data"), "{error}");
    // Nova was asked for the snapshot, and its empty image is gone again.
    let actions = openstack("federa", &["server", "event", "list", &id]).unwrap();
    assert!(
        actions.to_string().contains("createImage"),
        "Nova recorded the snapshot: {actions}"
    );
    assert!(
        images_of(&service).is_empty(),
        "the snapshot image was deleted"
    );
    // The source is untouched and keeps running.
    assert_eq!(server_show(&id).unwrap()["status"], "ACTIVE");
    assert!(
        std::fs::read_dir(dir.path().join("exports").join(&service))
            .map(|files| files.count() == 0)
            .unwrap_or(true),
        "no partial export is left"
    );

    driver
        .erase(&job(&service, "erase", json!({}), Some(&id)))
        .await
        .unwrap();
    assert!(server_show(&id).is_err());
}

const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHmJ9OLuDaYQ3vTgIHMdmXDwx6Aq6lzzZN2s1Jb0ZK1n federa-test";
