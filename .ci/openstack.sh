# shellcheck shell=bash
# OpenStack Zed from Debian bookworm's packages, on loopback, for the
# openstack driver's tests: Keystone, Placement, Nova (API, conductor,
# scheduler, and a compute service with Nova's fake hypervisor), Glance and
# Neutron's API server (Nova's server views ask it for security groups),
# with MariaDB for their databases (SQLite's single writer makes Nova's
# processes fail with "database is locked") and RabbitMQ for Nova's
# messaging.
#
# Source it, then:
#   openstack_install   apt packages (skipped when present)
#   openstack_start     restores the prepared databases from the cache (or
#                       prepares them: db syncs, Keystone bootstrap, a test
#                       project and user, flavors, an image) and starts the
#                       services; exports OS_CLIENT_CONFIG_FILE naming a
#                       clouds.yaml with the clouds `federa` (a project
#                       member) and `federa-admin`
#   openstack_stop      stops what openstack_start started
#
# Databases hold their own paths (Nova's cell mappings), so the services run
# in a fixed directory, OPENSTACK_DIR. The prepared state is kept in
# OPENSTACK_CACHE, keyed by the package versions and this script.

OPENSTACK_PACKAGES=(keystone placement-api nova-api nova-conductor nova-scheduler
    nova-compute glance-api neutron-server rabbitmq-server mariadb-server python3-pymysql python3-openstackclient
    uwsgi-plugin-python3 curl)
OPENSTACK_DIR=${OPENSTACK_DIR:-/var/tmp/federa-openstack-zed}
OPENSTACK_CACHE=${OPENSTACK_CACHE:-/var/cache/federa-ci/openstack-zed}
OPENSTACK_PORT_BASE=${OPENSTACK_PORT_BASE:-18500}
OPENSTACK_KEYSTONE_PORT=$((OPENSTACK_PORT_BASE))
OPENSTACK_PLACEMENT_PORT=$((OPENSTACK_PORT_BASE + 1))
OPENSTACK_NOVA_PORT=$((OPENSTACK_PORT_BASE + 2))
OPENSTACK_GLANCE_PORT=$((OPENSTACK_PORT_BASE + 3))
OPENSTACK_RABBIT_PORT=$((OPENSTACK_PORT_BASE + 4))
OPENSTACK_RABBIT_DIST_PORT=$((OPENSTACK_PORT_BASE + 5))
# A port mapper of its own, so stopping it touches no other Erlang node.
OPENSTACK_EPMD_PORT=$((OPENSTACK_PORT_BASE + 6))
OPENSTACK_MARIADB_PORT=$((OPENSTACK_PORT_BASE + 7))
OPENSTACK_NEUTRON_PORT=$((OPENSTACK_PORT_BASE + 8))
# Test-only credentials of a throwaway cloud on loopback.
OPENSTACK_ADMIN_PASSWORD=federa-ci-admin
OPENSTACK_USER_PASSWORD=federa-ci-member
OPENSTACK_DB_PASSWORD=federa-ci-db
OPENSTACK_RABBIT_NODE=federa-openstack@localhost

openstack_install() {
    local started missing=()
    started=$(date +%s)
    for package in "${OPENSTACK_PACKAGES[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    echo "openstack: packages ready in $(($(date +%s) - started)) s"
}

# What the prepared state depends on: the packages, and the version of
# openstack_prepare and the configuration (raise it when changing either).
OPENSTACK_STATE_VERSION=2
openstack_cache_key() {
    {
        dpkg-query -W -f '${Package} ${Version}\n' keystone python3-nova placement-api glance-api python3-neutron mariadb-server
        echo "$OPENSTACK_STATE_VERSION $OPENSTACK_DIR $OPENSTACK_PORT_BASE"
    } | sha256sum | cut -c1-16
}

openstack_db_url() {
    echo "mysql+pymysql://openstack:$OPENSTACK_DB_PASSWORD@127.0.0.1:$OPENSTACK_MARIADB_PORT"
}

openstack_write_configs() {
    local dir=$OPENSTACK_DIR etc=$OPENSTACK_DIR/etc keystone_url="http://127.0.0.1:$OPENSTACK_KEYSTONE_PORT"
    local db_url
    db_url=$(openstack_db_url)
    mkdir -p "$etc" "$dir/log" "$dir/state/lock" "$dir/state/images" "$dir/state/nova" "$dir/state/neutron" "$dir/run"
    # How each service checks tokens and, for Nova, reaches Placement.
    local service_auth="auth_url = $keystone_url/v3
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = admin
username = admin
password = $OPENSTACK_ADMIN_PASSWORD
region_name = RegionOne"
    cat >"$etc/keystone.conf" <<EOF
[DEFAULT]
log_file = $dir/log/keystone.log
[database]
connection = $db_url/keystone
[identity]
# Throwaway passwords: cheap hashing keeps token requests fast.
password_hash_rounds = 4
[token]
provider = fernet
[fernet_tokens]
key_repository = $dir/state/fernet-keys
[fernet_receipts]
key_repository = $dir/state/fernet-keys
[credential]
key_repository = $dir/state/credential-keys
EOF
    cat >"$etc/placement.conf" <<EOF
[DEFAULT]
log_file = $dir/log/placement.log
[placement_database]
connection = $db_url/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = $keystone_url
$service_auth
EOF
    cat >"$etc/nova.conf" <<EOF
[DEFAULT]
host = federa-ci
state_path = $dir/state/nova
compute_driver = fake.FakeDriver
transport_url = rabbit://guest:guest@127.0.0.1:$OPENSTACK_RABBIT_PORT/
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $OPENSTACK_NOVA_PORT
osapi_compute_workers = 1
allow_resize_to_same_host = True
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api_database]
connection = $db_url/nova_api
[database]
connection = $db_url/nova
[conductor]
workers = 1
[scheduler]
workers = 1
[oslo_concurrency]
lock_path = $dir/state/lock
[keystone_authtoken]
www_authenticate_uri = $keystone_url
$service_auth
[placement]
$service_auth
[glance]
api_servers = http://127.0.0.1:$OPENSTACK_GLANCE_PORT
[neutron]
$service_auth
EOF
    cat >"$etc/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $OPENSTACK_NEUTRON_PORT
api_workers = 1
rpc_workers = 0
core_plugin = ml2
# Listing ports reads their port forwardings, a model this plugin defines.
service_plugins = router,port_forwarding
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:$OPENSTACK_RABBIT_PORT/
api_paste_config = /etc/neutron/api-paste.ini
state_path = $dir/state/neutron
log_file = $dir/log/neutron-server.log
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
[database]
connection = $db_url/neutron
[oslo_concurrency]
lock_path = $dir/state/lock
[keystone_authtoken]
www_authenticate_uri = $keystone_url
$service_auth
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
EOF
    cat >"$etc/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $OPENSTACK_GLANCE_PORT
workers = 1
log_file = $dir/log/glance-api.log
[database]
connection = $db_url/glance
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $dir/state/images
[keystone_authtoken]
www_authenticate_uri = $keystone_url
$service_auth
EOF
    cat >"$dir/clouds.yaml" <<EOF
clouds:
  federa:
    auth:
      auth_url: $keystone_url/v3
      username: federa
      password: $OPENSTACK_USER_PASSWORD
      project_name: federa
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  federa-admin:
    auth:
      auth_url: $keystone_url/v3
      username: admin
      password: $OPENSTACK_ADMIN_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
}

# Runs a command in its own process group, its pid in run/<name>.pid.
openstack_spawn() {
    local name=$1
    shift
    setsid "$@" >>"$OPENSTACK_DIR/log/$name.out" 2>&1 </dev/null &
    echo $! >"$OPENSTACK_DIR/run/$name.pid"
}

# Waits until `curl URL` answers with an HTTP status (any).
openstack_wait_http() {
    local name=$1 url=$2
    for _ in $(seq 1 240); do
        if curl -s -o /dev/null "$url"; then return 0; fi
        sleep 0.5
    done
    echo "openstack: $name did not answer at $url; its log:" >&2
    tail -n 40 "$OPENSTACK_DIR/log/$name.out" "$OPENSTACK_DIR/log/$name.log" 2>/dev/null >&2
    return 1
}

# The broker's environment: everything under OPENSTACK_DIR, its own ports.
openstack_rabbit_env() {
    OPENSTACK_RABBIT_ENV=(HOME="$OPENSTACK_DIR/rabbitmq" ERL_EPMD_PORT=$OPENSTACK_EPMD_PORT
        RABBITMQ_NODENAME=$OPENSTACK_RABBIT_NODE RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        RABBITMQ_NODE_PORT=$OPENSTACK_RABBIT_PORT RABBITMQ_DIST_PORT=$OPENSTACK_RABBIT_DIST_PORT
        RABBITMQ_MNESIA_BASE="$OPENSTACK_DIR/rabbitmq/mnesia"
        RABBITMQ_LOG_BASE="$OPENSTACK_DIR/log/rabbitmq"
        RABBITMQ_PID_FILE="$OPENSTACK_DIR/rabbitmq/rabbitmq.pid"
        RABBITMQ_ENABLED_PLUGINS_FILE="$OPENSTACK_DIR/rabbitmq/enabled_plugins")
}

openstack_start_rabbitmq() {
    mkdir -p "$OPENSTACK_DIR/rabbitmq" "$OPENSTACK_DIR/log/rabbitmq"
    [ -f "$OPENSTACK_DIR/rabbitmq/enabled_plugins" ] || echo '[].' >"$OPENSTACK_DIR/rabbitmq/enabled_plugins"
    openstack_rabbit_env
    openstack_spawn rabbitmq env "${OPENSTACK_RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
    env "${OPENSTACK_RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n $OPENSTACK_RABBIT_NODE \
        wait --timeout 120 "$OPENSTACK_DIR/rabbitmq/rabbitmq.pid" >/dev/null
}

openstack_mariadb_client() {
    mariadb --no-defaults --socket="$OPENSTACK_DIR/run/mysqld.sock" -u root
}

# MariaDB on a data directory under OPENSTACK_DIR, created if missing.
openstack_start_mariadb() {
    local data=$OPENSTACK_DIR/state/mysql
    if [ ! -d "$data/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$data" --user=root --skip-test-db \
            --auth-root-authentication-method=socket >"$OPENSTACK_DIR/log/mariadb-install.out" 2>&1
    fi
    openstack_spawn mariadb mariadbd --no-defaults --datadir="$data" --user=root \
        --socket="$OPENSTACK_DIR/run/mysqld.sock" --port=$OPENSTACK_MARIADB_PORT --bind-address=127.0.0.1 \
        --pid-file="$OPENSTACK_DIR/run/mysqld.pid-file" --log-error="$OPENSTACK_DIR/log/mariadb.log" \
        --max-connections=500 --innodb-buffer-pool-size=128M --skip-log-bin
    for _ in $(seq 1 120); do
        if mariadb-admin --no-defaults --socket="$OPENSTACK_DIR/run/mysqld.sock" -u root ping >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    echo "openstack: MariaDB did not start; its log:" >&2
    tail -n 40 "$OPENSTACK_DIR/log/mariadb.log" >&2
    return 1
}

openstack_start_apis() {
    local etc=$OPENSTACK_DIR/etc
    openstack_spawn keystone uwsgi --plugins python3 --http-socket 127.0.0.1:$OPENSTACK_KEYSTONE_PORT \
        --wsgi-file /usr/bin/keystone-wsgi-public --master --die-on-term --processes 2 --threads 2 \
        --add-header "Connection: close" \
        --env OS_KEYSTONE_CONFIG_FILES="$etc/keystone.conf" --env OS_KEYSTONE_CONFIG_DIR="$etc"
    openstack_spawn placement uwsgi --plugins python3 --http-socket 127.0.0.1:$OPENSTACK_PLACEMENT_PORT \
        --wsgi-file /usr/bin/placement-api --master --die-on-term --processes 2 --threads 2 \
        --add-header "Connection: close" \
        --env OS_PLACEMENT_CONFIG_DIR="$etc"
    openstack_spawn glance-api glance-api --config-file "$etc/glance-api.conf"
    openstack_spawn neutron-server neutron-server --config-file "$etc/neutron.conf"
    openstack_spawn nova-api nova-api --config-file "$etc/nova.conf" --log-file "$OPENSTACK_DIR/log/nova-api.log"
    openstack_wait_http keystone "http://127.0.0.1:$OPENSTACK_KEYSTONE_PORT/v3"
    openstack_wait_http placement "http://127.0.0.1:$OPENSTACK_PLACEMENT_PORT/"
    openstack_wait_http glance-api "http://127.0.0.1:$OPENSTACK_GLANCE_PORT/"
    openstack_wait_http nova-api "http://127.0.0.1:$OPENSTACK_NOVA_PORT/"
    openstack_wait_http neutron-server "http://127.0.0.1:$OPENSTACK_NEUTRON_PORT/"
    # Neutron's models gain their relations on the first query of another
    # kind than ports; listing ports first (as Nova does) would fail.
    # (Before openstack_prepare registers Neutron, there is nothing to ask.)
    openstack_cli --os-cloud federa-admin network list >/dev/null 2>&1 || true
}

openstack_start_nova_services() {
    local etc=$OPENSTACK_DIR/etc service
    for service in nova-conductor nova-scheduler nova-compute; do
        openstack_spawn $service $service --config-file "$etc/nova.conf" --log-file "$OPENSTACK_DIR/log/$service.log"
    done
}

openstack_cli() {
    OS_CLIENT_CONFIG_FILE="$OPENSTACK_DIR/clouds.yaml" openstack "$@"
}

# Waits until the compute service is up and its host is in a cell (the
# hypervisor list and the scheduler only see mapped hosts).
openstack_wait_compute() {
    for _ in $(seq 1 120); do
        if openstack_cli --os-cloud federa-admin compute service list --service nova-compute -f value -c State 2>/dev/null | grep -qx up; then
            nova-manage --config-file "$OPENSTACK_DIR/etc/nova.conf" cell_v2 discover_hosts >/dev/null 2>&1
            if openstack_cli --os-cloud federa-admin hypervisor list -f value -c State 2>/dev/null | grep -qx up; then
                return 0
            fi
        fi
        sleep 1
    done
    echo "openstack: nova-compute never came up; its log:" >&2
    tail -n 40 "$OPENSTACK_DIR/log/nova-compute.log" >&2
    return 1
}

# Databases, keys, the test project, flavors and an image, from nothing.
openstack_prepare() {
    local dir=$OPENSTACK_DIR etc=$OPENSTACK_DIR/etc keystone_url="http://127.0.0.1:$OPENSTACK_KEYSTONE_PORT"
    local db_url database
    db_url=$(openstack_db_url)
    for database in keystone placement nova_api nova nova_cell0 glance neutron; do
        echo "CREATE DATABASE $database;"
    done | openstack_mariadb_client
    echo "CREATE USER 'openstack'@'127.0.0.1' IDENTIFIED BY '$OPENSTACK_DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'127.0.0.1';" | openstack_mariadb_client
    keystone-manage --config-file "$etc/keystone.conf" db_sync
    keystone-manage --config-file "$etc/keystone.conf" fernet_setup --keystone-user root --keystone-group root
    keystone-manage --config-file "$etc/keystone.conf" credential_setup --keystone-user root --keystone-group root
    keystone-manage --config-file "$etc/keystone.conf" bootstrap --bootstrap-password "$OPENSTACK_ADMIN_PASSWORD" \
        --bootstrap-admin-url "$keystone_url/v3" --bootstrap-internal-url "$keystone_url/v3" \
        --bootstrap-public-url "$keystone_url/v3" --bootstrap-region-id RegionOne
    placement-manage --config-file "$etc/placement.conf" db sync
    nova-manage --config-file "$etc/nova.conf" api_db sync
    nova-manage --config-file "$etc/nova.conf" cell_v2 map_cell0 --database_connection "$db_url/nova_cell0"
    nova-manage --config-file "$etc/nova.conf" cell_v2 create_cell --name cell1 >/dev/null
    nova-manage --config-file "$etc/nova.conf" db sync
    glance-manage --config-file "$etc/glance-api.conf" db_sync >/dev/null
    neutron-db-manage --config-file "$etc/neutron.conf" upgrade heads >/dev/null
    openstack_start_apis
    local admin=(openstack_cli --os-cloud federa-admin)
    "${admin[@]}" service create --name placement placement >/dev/null
    "${admin[@]}" service create --name nova compute >/dev/null
    "${admin[@]}" service create --name glance image >/dev/null
    "${admin[@]}" service create --name neutron network >/dev/null
    local interface
    for interface in public internal admin; do
        "${admin[@]}" endpoint create --region RegionOne placement $interface "http://127.0.0.1:$OPENSTACK_PLACEMENT_PORT" >/dev/null
        "${admin[@]}" endpoint create --region RegionOne compute $interface "http://127.0.0.1:$OPENSTACK_NOVA_PORT/v2.1" >/dev/null
        "${admin[@]}" endpoint create --region RegionOne image $interface "http://127.0.0.1:$OPENSTACK_GLANCE_PORT" >/dev/null
        "${admin[@]}" endpoint create --region RegionOne network $interface "http://127.0.0.1:$OPENSTACK_NEUTRON_PORT" >/dev/null
    done
    "${admin[@]}" project create --domain default federa >/dev/null
    "${admin[@]}" user create --domain default --project federa --password "$OPENSTACK_USER_PASSWORD" federa >/dev/null
    "${admin[@]}" role add --project federa --user federa member >/dev/null
    "${admin[@]}" flavor create --vcpus 1 --ram 512 --disk 1 m1.tiny >/dev/null
    "${admin[@]}" flavor create --vcpus 1 --ram 2048 --disk 20 m1.small >/dev/null
    "${admin[@]}" flavor create --vcpus 2 --ram 4096 --disk 40 m1.medium >/dev/null
    "${admin[@]}" flavor create --vcpus 4 --ram 8192 --disk 80 m1.large >/dev/null
    # Nova's fake hypervisor never reads the image; Glance only needs bytes.
    head -c 1048576 /dev/zero >"$dir/image.raw"
    "${admin[@]}" image create --public --disk-format raw --container-format bare \
        --file "$dir/image.raw" federa-test-image >/dev/null
    rm -f "$dir/image.raw"
}

openstack_start() {
    local started key
    started=$(date +%s)
    key=$(openstack_cache_key)
    openstack_stop 2>/dev/null || true
    rm -rf "$OPENSTACK_DIR"
    openstack_write_configs
    if [ -f "$OPENSTACK_CACHE/$key/state.tar" ]; then
        tar -xf "$OPENSTACK_CACHE/$key/state.tar" -C "$OPENSTACK_DIR"
        openstack_start_mariadb
        openstack_start_rabbitmq
        openstack_start_apis
        openstack_start_nova_services
    else
        openstack_start_mariadb
        openstack_start_rabbitmq
        openstack_prepare
        openstack_start_nova_services
        openstack_wait_compute
        # Snapshot the prepared state with the services quiet.
        openstack_stop
        mkdir -p "$OPENSTACK_CACHE/$key"
        tar -cf "$OPENSTACK_CACHE/$key/state.tar.partial" -C "$OPENSTACK_DIR" state
        mv "$OPENSTACK_CACHE/$key/state.tar.partial" "$OPENSTACK_CACHE/$key/state.tar"
        openstack_start_mariadb
        openstack_start_rabbitmq
        openstack_start_apis
        openstack_start_nova_services
    fi
    openstack_wait_compute
    export OS_CLIENT_CONFIG_FILE="$OPENSTACK_DIR/clouds.yaml"
    echo "openstack: services up in $(($(date +%s) - started)) s"
}

openstack_stop() {
    local name pidfile pid tries
    # Clients first, the databases last, so MariaDB's files are consistent.
    for name in nova-compute nova-scheduler nova-conductor nova-api neutron-server glance-api placement keystone rabbitmq mariadb; do
        pidfile=$OPENSTACK_DIR/run/$name.pid
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # Each service runs in its own process group (openstack_spawn).
        kill -TERM -- "-$pid" 2>/dev/null || true
        # MariaDB gets time to close its files; the others may be killed.
        tries=40
        [ "$name" = mariadb ] && tries=240
        for _ in $(seq 1 $tries); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        rm -f "$pidfile"
    done
    # Erlang's port mapper outlives the broker.
    epmd -port $OPENSTACK_EPMD_PORT -kill >/dev/null 2>&1 || true
}
