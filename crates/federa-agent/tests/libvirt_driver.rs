//! The libvirt driver against libvirt's built-in `test:///default`
//! hypervisor: an in-memory host with a `default` network and a
//! `default-pool` storage pool. The checks look through the connection the
//! driver works on; the host is shared by every connection of the process,
//! so each test has a service of its own.
#![cfg(feature = "libvirt")]

use federa_agent::libvirt::{LibvirtDriver, DISK_FORMAT};
use federa_agent::transfer::{sha256_hex, Transfers};
use federa_agent::Snapshot;
use federa_agent::{Driver, DriverError, JobContext, LibvirtConfig, Outcome, TransferConfig};
use federa_client::api::switch_jobs::ExportParams;
use serde_json::{json, Map, Value};
use virt::connect::Connect;
use virt::domain::{Domain, DomainState};
use virt::storage_vol::StorageVol;

fn config(storage_pool: Option<&str>) -> LibvirtConfig {
    LibvirtConfig {
        uri: "test:///default".into(),
        network: Some("default".into()),
        storage_pool: storage_pool.map(str::to_string),
        name_prefix: "federa-".into(),
        domain_type: None,
        shutdown_timeout_seconds: 5,
    }
}

fn host(storage_pool: Option<&str>) -> (Connect, LibvirtDriver) {
    let connection = Connect::open(Some("test:///default")).unwrap();
    let driver = LibvirtDriver::with_connection(connection.clone(), &config(storage_pool)).unwrap();
    (connection, driver)
}

fn job(service: &str, action: &str, properties: Value) -> JobContext {
    JobContext {
        job_id: format!("job-{action}"),
        action: action.into(),
        service_id: service.into(),
        service_name: "shop database".into(),
        properties: properties.as_object().cloned().unwrap_or_else(Map::new),
        agent_instance_id: None,
        agent_instance_data: None,
    }
}

async fn run(driver: &LibvirtDriver, service: &str, action: &str, properties: Value) -> Outcome {
    driver
        .execute(&job(service, action, properties))
        .await
        .unwrap_or_else(|e| panic!("{action} failed: {e}"))
}

fn find(connection: &Connect, service: &str) -> Option<Domain> {
    connection
        .lookup_domain_by_name(&format!("federa-{service}"))
        .ok()
}

fn domain(connection: &Connect, service: &str) -> Domain {
    find(connection, service).unwrap_or_else(|| panic!("no VM for {service}"))
}

fn state_of(connection: &Connect, service: &str) -> DomainState {
    domain(connection, service).state().unwrap().0.unwrap()
}

fn size_of(connection: &Connect, service: &str) -> (u32, u64) {
    let domain = domain(connection, service);
    let vcpus = domain
        .vcpus_flags(virt::sys::VIR_DOMAIN_AFFECT_CONFIG)
        .unwrap();
    // The configuration's memory, which the API only reports for the
    // running guest.
    let xml = domain.xml_desc(virt::sys::VIR_DOMAIN_XML_INACTIVE).unwrap();
    let start = xml.find("<memory unit='KiB'>").unwrap() + "<memory unit='KiB'>".len();
    let end = start + xml[start..].find('<').unwrap();
    (vcpus, xml[start..end].parse::<u64>().unwrap() / 1024)
}

fn data(outcome: &Outcome, key: &str) -> Value {
    outcome.agent_instance_data.as_ref().unwrap()[key].clone()
}

#[tokio::test]
async fn a_vm_goes_through_its_whole_lifecycle_and_every_step_can_repeat() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000001";
    let (connection, driver) = host(None);
    let size = json!({"vcpus": 2, "memoryMiB": 512});

    let created = run(&driver, SERVICE, "create", size.clone()).await;
    assert_eq!(state_of(&connection, SERVICE), DomainState::Shutoff);
    let uuid = domain(&connection, SERVICE).uuid_string().unwrap();
    assert_eq!(created.agent_instance_id.as_deref(), Some(uuid.as_str()));
    assert_eq!(data(&created, "name"), json!(format!("federa-{SERVICE}")));
    assert_eq!(data(&created, "state"), json!("shutoff"));
    assert_eq!(size_of(&connection, SERVICE), (2, 512));
    let again = run(&driver, SERVICE, "create", size.clone()).await;
    assert_eq!(again.agent_instance_id, created.agent_instance_id);

    for _ in 0..2 {
        let started = run(&driver, SERVICE, "start", size.clone()).await;
        assert_eq!(state_of(&connection, SERVICE), DomainState::Running);
        assert_eq!(data(&started, "state"), json!("running"));
    }

    for _ in 0..2 {
        let stopped = run(&driver, SERVICE, "stop", size.clone()).await;
        assert_eq!(state_of(&connection, SERVICE), DomainState::Shutoff);
        assert_eq!(data(&stopped, "state"), json!("shutoff"));
    }

    for _ in 0..2 {
        run(&driver, SERVICE, "restart", size.clone()).await;
        assert_eq!(state_of(&connection, SERVICE), DomainState::Running);
    }

    let bigger = json!({"vcpus": 4, "memoryMiB": 1024});
    for _ in 0..2 {
        let updated = run(&driver, SERVICE, "update", bigger.clone()).await;
        assert_eq!(size_of(&connection, SERVICE), (4, 1024));
        assert_eq!(data(&updated, "appliesOnNextBoot"), json!(true));
        assert_eq!(data(&updated, "vcpus"), json!(4));
    }
    run(&driver, SERVICE, "stop", bigger.clone()).await;
    let smaller = json!({"vcpus": 1, "memoryMiB": 256});
    let updated = run(&driver, SERVICE, "update", smaller.clone()).await;
    assert_eq!(size_of(&connection, SERVICE), (1, 256));
    assert_eq!(data(&updated, "appliesOnNextBoot"), json!(false));

    run(&driver, SERVICE, "start", smaller.clone()).await;
    for _ in 0..2 {
        run(&driver, SERVICE, "delete", smaller.clone()).await;
        assert!(find(&connection, SERVICE).is_none());
    }
    assert_eq!(
        run(&driver, SERVICE, "stop", smaller).await,
        Outcome::default(),
        "stopping what is gone succeeds"
    );
}

#[tokio::test]
async fn a_running_vm_reports_cpu_time_and_memory() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000002";
    let connection = Connect::open(Some("test:///default")).unwrap();
    // A prefix of its own, so the other tests' VMs are not this driver's.
    let config = LibvirtConfig {
        name_prefix: "metered-".into(),
        ..config(None)
    };
    let driver = LibvirtDriver::with_connection(connection, &config).unwrap();
    let size = json!({"vcpus": 1, "memoryMiB": 256});
    run(&driver, SERVICE, "create", size.clone()).await;
    assert!(
        driver.metrics().await.is_empty(),
        "a stopped VM uses nothing"
    );
    run(&driver, SERVICE, "start", size).await;

    let samples = driver.metrics().await;
    let value = |type_name: &str| {
        samples
            .iter()
            .find(|s| s.type_name == type_name)
            .unwrap_or_else(|| panic!("no {type_name} in {samples:?}"))
            .clone()
    };
    let memory = value("memory_bytes");
    assert_eq!(memory.service_id, SERVICE);
    assert_eq!(memory.resource_id, "vm");
    assert_eq!(memory.value, 256.0 * 1024.0 * 1024.0);
    assert!(value("cpu_seconds").value >= 0.0);
    // The hypervisor's own `test` domain is not a service.
    assert!(
        samples.iter().all(|s| s.service_id == SERVICE),
        "{samples:?}"
    );
    assert_eq!(samples.len(), 2);
}

#[tokio::test]
async fn zero_vcpus_are_refused_before_libvirt_is_asked() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000003";
    let (connection, driver) = host(None);
    let error = driver
        .execute(&job(
            SERVICE,
            "create",
            json!({"vcpus": 0, "memoryMiB": 512}),
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, DriverError::Properties(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "invalid service properties: vcpus must be a whole number from 1 to 4096, not 0"
    );
    assert!(find(&connection, SERVICE).is_none());
}

#[tokio::test]
async fn starting_what_was_never_created_says_so() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000004";
    let (_connection, driver) = host(None);
    let error = driver
        .execute(&job(SERVICE, "start", json!({})))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("never created on this host"),
        "{error}"
    );
}

#[tokio::test]
async fn a_vm_gets_its_own_copy_of_an_image_and_delete_removes_it() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000005";
    let (connection, driver) = host(Some("default-pool"));
    let pool = connection
        .lookup_storage_pool_by_name("default-pool")
        .unwrap();
    StorageVol::create_xml(
        &pool,
        "<volume><name>debian-12</name><capacity unit='MiB'>64</capacity></volume>",
        0,
    )
    .unwrap();
    let properties = json!({"vcpus": 1, "memoryMiB": 256, "diskImage": "debian-12"});

    run(&driver, SERVICE, "create", properties.clone()).await;
    run(&driver, SERVICE, "create", properties.clone()).await;
    let disk_name = format!("federa-{SERVICE}-disk");
    let disk = pool.lookup_storage_vol_by_name(&disk_name).unwrap();
    let xml = domain(&connection, SERVICE).xml_desc(0).unwrap();
    assert!(xml.contains(&disk_name), "{xml}");
    assert!(disk.info().unwrap().capacity >= 64 * 1024 * 1024);
    assert!(pool.lookup_storage_vol_by_name("debian-12").is_ok());

    run(&driver, SERVICE, "delete", properties.clone()).await;
    run(&driver, SERVICE, "delete", properties).await;
    assert!(pool.lookup_storage_vol_by_name(&disk_name).is_err());
    assert!(
        pool.lookup_storage_vol_by_name("debian-12").is_ok(),
        "the image stays"
    );
}

#[tokio::test]
async fn images_outside_the_storage_pool_are_refused() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000006";
    let (connection, driver) = host(Some("default-pool"));
    for image in ["/etc/shadow", "no-such-image"] {
        let error = driver
            .execute(&job(
                SERVICE,
                "create",
                json!({"vcpus": 1, "memoryMiB": 256, "diskImage": image}),
            ))
            .await
            .unwrap_err();
        assert!(matches!(error, DriverError::Properties(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .contains("is not a volume of the storage pool default-pool"),
            "{error}"
        );
    }
    assert!(find(&connection, SERVICE).is_none());
}

#[tokio::test]
async fn a_disk_without_a_storage_pool_is_refused() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000007";
    let (_connection, driver) = host(None);
    let error = driver
        .execute(&job(
            SERVICE,
            "create",
            json!({"vcpus": 1, "memoryMiB": 256, "diskGiB": 10}),
        ))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no storage_pool"), "{error}");
}

#[tokio::test]
async fn observing_tells_a_running_vm_from_a_destroyed_one_and_a_missing_one() {
    use federa_agent::{Observation, ObservedState, ServiceRecord};

    const SERVICE: &str = "0190aaaa-0000-7000-8000-00000000000b";
    const NEVER: &str = "0190aaaa-0000-7000-8000-00000000000c";
    let (connection, driver) = host(None);
    let record = |service: &str| ServiceRecord {
        service_id: service.into(),
        state: "Started".into(),
        agent_instance_id: None,
        agent_instance_data: None,
    };
    let size = json!({"vcpus": 1, "memoryMiB": 256});
    run(&driver, SERVICE, "create", size.clone()).await;
    run(&driver, SERVICE, "start", size).await;
    assert_eq!(
        driver.observe(&[record(SERVICE), record(NEVER)]).await,
        [
            Observation::new(SERVICE, ObservedState::Running),
            Observation::new(NEVER, ObservedState::Missing),
        ]
    );
    // Behind the driver's back, as `virsh destroy` would.
    domain(&connection, SERVICE).destroy().unwrap();
    assert_eq!(
        driver.observe(&[record(SERVICE)]).await,
        [Observation::new(SERVICE, ObservedState::Stopped)]
    );
    run(&driver, SERVICE, "delete", json!({})).await;
}

/// The test hypervisor has no `virStorageVolDownload`: the export of a
/// VM's disk fails naming that call, and leaves no export file behind.
#[tokio::test]
async fn exporting_a_disk_names_the_download_the_test_hypervisor_refuses() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000020";
    let (_connection, driver) = host(Some("default-pool"));
    run(
        &driver,
        SERVICE,
        "create",
        json!({"vcpus": 1, "memoryMiB": 256, "diskGiB": 1}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let transfers = Transfers::start(&TransferConfig {
        dir: dir.path().join("transfers"),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        public_url: None,
        expiry_seconds: 60,
    })
    .await
    .unwrap();
    let export = |format: &str| ExportParams {
        switch_id: uuid::Uuid::new_v4(),
        format: format.into(),
        transfer_token: "token".into(),
    };
    let job = job(SERVICE, "export", json!({}));

    let error = transfers
        .export(&driver, &job, &export(DISK_FORMAT))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the hypervisor refused to download volume")
            && error.contains("virStorageVolDownload")
            && error.contains("not supported"),
        "{error}"
    );
    let exports = dir.path().join("transfers/exports").join(SERVICE);
    assert_eq!(std::fs::read_dir(&exports).unwrap().count(), 0);

    let error = transfers
        .export(&driver, &job, &export("application/json"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("exports as application/x-qemu-disk"),
        "{error}"
    );
    run(&driver, SERVICE, "delete", json!({})).await;
}

/// The test hypervisor has no `virStorageVolUpload`: the import fails
/// naming that call, and the VM, stopped for the load, runs again.
#[tokio::test]
async fn importing_a_disk_names_the_upload_refused_and_the_vm_runs_again() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000021";
    let (connection, driver) = host(Some("default-pool"));
    let properties = json!({"vcpus": 1, "memoryMiB": 256, "diskGiB": 1});
    run(&driver, SERVICE, "create", properties.clone()).await;
    run(&driver, SERVICE, "start", properties).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("disk.qcow2");
    std::fs::write(&path, vec![7u8; 4096]).unwrap();
    let snapshot = |format: &str| Snapshot {
        path: path.clone(),
        format: format.into(),
        size_bytes: 4096,
        sha256: sha256_hex(&[7u8; 4096]),
    };
    let job = job(SERVICE, "import", json!({}));

    let error = driver
        .import(&job, &snapshot(DISK_FORMAT))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the hypervisor refused to upload volume")
            && error.contains("virStorageVolUpload")
            && error.contains("not supported"),
        "{error}"
    );
    assert_eq!(state_of(&connection, SERVICE), DomainState::Running);

    let error = driver
        .import(&job, &snapshot("application/json"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("imports application/x-qemu-disk"), "{error}");
    run(&driver, SERVICE, "delete", json!({})).await;
}

/// Erasing a running VM removes its domain and its disk, confirmed by
/// looking for both; erasing again finds nothing left and succeeds.
#[tokio::test]
async fn erasing_a_vm_removes_its_domain_and_its_disk() {
    const SERVICE: &str = "0190aaaa-0000-7000-8000-000000000022";
    let (connection, driver) = host(Some("default-pool"));
    let properties = json!({"vcpus": 1, "memoryMiB": 256, "diskGiB": 1});
    run(&driver, SERVICE, "create", properties.clone()).await;
    run(&driver, SERVICE, "start", properties).await;
    let pool = connection
        .lookup_storage_pool_by_name("default-pool")
        .unwrap();
    let disk_name = format!("federa-{SERVICE}-disk");
    assert!(pool.lookup_storage_vol_by_name(&disk_name).is_ok());

    let job = job(SERVICE, "erase", json!({}));
    driver.erase(&job).await.unwrap();
    assert!(find(&connection, SERVICE).is_none());
    assert!(pool.lookup_storage_vol_by_name(&disk_name).is_err());
    driver.erase(&job).await.unwrap();
}
