# A real Kubernetes control plane for the kubernetes driver's tests, built
# from Go modules through the module proxy and cached outside the repository:
# kube-apiserver, kube-controller-manager and kube-scheduler (k8s.io/kubernetes
# v1.37.2 with its staging modules at v0.37.2), kine (etcd's API over SQLite,
# as K3s stores its state) and kwok (fake nodes, so Pods run and Deployments
# become Available).
#
# Sourced by .ci/run (which defines apt_install), or run directly:
#   bash .ci/kubernetes.sh build    build the binaries once per machine
#   bash .ci/kubernetes.sh start    start a control plane, print its kubeconfig
#   bash .ci/kubernetes.sh stop     stop the control plane started by `start`
#
# After `kubernetes_start`, FEDERA_TEST_KUBECONFIG names an admin kubeconfig
# of a cluster listening on loopback only.

KUBERNETES_VERSION=1.37.2
KUBERNETES_STAGING_VERSION=0.37.2
KINE_VERSION=0.17.5
KWOK_VERSION=0.8.0
KUBERNETES_GO=go1.26.8
KUBERNETES_CACHE=${KUBERNETES_CACHE:-/var/cache/federa-ci/kubernetes-v$KUBERNETES_VERSION}
KUBERNETES_BIN=$KUBERNETES_CACHE/bin
KUBERNETES_RUN=${KUBERNETES_RUN:-/tmp/federa-kubernetes}
KUBERNETES_API_PORT=${KUBERNETES_API_PORT:-56443}
KUBERNETES_KINE_PORT=${KUBERNETES_KINE_PORT:-52379}

# Staging modules that k8s.io/kubernetes requires at v0.0.0 and replaces with
# its own ./staging folders; a wrapper module needs these replaces itself.
KUBERNETES_STAGING_MODULES="api apiextensions-apiserver apimachinery apiserver
cli-runtime client-go cloud-provider cluster-bootstrap code-generator
component-base component-helpers controller-manager cri-api cri-client
cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice
externaljwt kms kube-aggregator kube-controller-manager kube-proxy
kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
sample-apiserver streaming"

kubernetes_go_env() {
    export GOMODCACHE=$KUBERNETES_CACHE/gomod
    export GOCACHE=$KUBERNETES_CACHE/gocache
    export GOPROXY=https://proxy.golang.org
    export GOFLAGS=-mod=mod
    export GOTOOLCHAIN=$KUBERNETES_GO
    # A machine without Go (or with one too old to fetch a toolchain) gets the
    # toolchain itself from the module proxy, where it is published as a module.
    if ! command -v go >/dev/null || ! go version >/dev/null 2>&1; then
        local toolchain=$KUBERNETES_CACHE/toolchain
        if [ ! -x "$toolchain/bin/go" ]; then
            command -v unzip >/dev/null || apt_install unzip
            command -v curl >/dev/null || apt_install curl
            local zip=$KUBERNETES_CACHE/toolchain.zip
            curl -fsSL -o "$zip" \
                "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$KUBERNETES_GO.linux-amd64.zip"
            rm -rf "$KUBERNETES_CACHE/toolchain-unpack"
            unzip -q "$zip" -d "$KUBERNETES_CACHE/toolchain-unpack"
            mv "$KUBERNETES_CACHE/toolchain-unpack/golang.org/toolchain@v0.0.1-$KUBERNETES_GO.linux-amd64" "$toolchain"
            rm -rf "$zip" "$KUBERNETES_CACHE/toolchain-unpack"
        fi
        export PATH=$toolchain/bin:$PATH
        export GOTOOLCHAIN=local
    fi
}

kubernetes_build() {
    local stamp=$KUBERNETES_BIN/.built-v$KUBERNETES_VERSION-kine$KINE_VERSION-kwok$KWOK_VERSION
    [ -f "$stamp" ] && return 0
    command -v gcc >/dev/null || apt_install gcc libc6-dev
    mkdir -p "$KUBERNETES_CACHE" "$KUBERNETES_BIN"
    (
        set -euo pipefail
        kubernetes_go_env
        local started=$SECONDS
        local wrapper=$KUBERNETES_CACHE/wrapper
        rm -rf "$wrapper"
        mkdir -p "$wrapper"
        cd "$wrapper"
        go mod init federa.ci/kubernetes >/dev/null 2>&1
        local edits=(-require="k8s.io/kubernetes@v$KUBERNETES_VERSION")
        local module
        for module in $KUBERNETES_STAGING_MODULES; do
            edits+=(-replace="k8s.io/$module=k8s.io/$module@v$KUBERNETES_STAGING_VERSION")
        done
        go mod edit "${edits[@]}"
        local commands="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
        # shellcheck disable=SC2086
        go get $commands
        local version=k8s.io/component-base/version
        local minor=${KUBERNETES_VERSION#*.}
        minor=${minor%%.*}
        local ldflags="-s -w -X $version.gitVersion=v$KUBERNETES_VERSION -X $version.gitMajor=1"
        ldflags="$ldflags -X $version.gitMinor=$minor -X $version.gitTreeState=clean"
        ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=v$KUBERNETES_VERSION"
        # shellcheck disable=SC2086
        nice go build -trimpath -ldflags "$ldflags" -o "$KUBERNETES_BIN/" $commands
        echo "kubernetes: control plane built in $((SECONDS - started)) s"
        GOBIN=$KUBERNETES_BIN CGO_ENABLED=1 nice go install -trimpath -ldflags "-s -w" \
            "github.com/k3s-io/kine@v$KINE_VERSION"
        echo "kubernetes: kine built at $((SECONDS - started)) s"
        GOBIN=$KUBERNETES_BIN nice go install -trimpath -ldflags "-s -w" \
            "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
        echo "kubernetes: kwok built at $((SECONDS - started)) s"
    ) || return 1
    touch "$stamp"
}

# Certificates, keys and credentials of a fresh control plane in $1.
kubernetes_credentials() {
    local dir=$1
    command -v openssl >/dev/null || apt_install openssl
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=federa-ci-ca \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
        -keyout "$dir/apiserver.key" -out "$dir/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n' >"$dir/san.ext"
    openssl x509 -req -in "$dir/apiserver.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
    openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
    local admin controllers scheduler nodes
    admin=$(openssl rand -hex 24)
    controllers=$(openssl rand -hex 24)
    scheduler=$(openssl rand -hex 24)
    nodes=$(openssl rand -hex 24)
    {
        echo "$admin,federa-ci-admin,federa-ci-admin,system:masters"
        echo "$controllers,system:kube-controller-manager,system:kube-controller-manager,system:masters"
        echo "$scheduler,system:kube-scheduler,system:kube-scheduler"
        echo "$nodes,federa-ci-kwok,federa-ci-kwok,system:masters"
    } >"$dir/tokens.csv"
    chmod 600 "$dir"/*.key "$dir/tokens.csv"
    kubernetes_kubeconfig "$dir" "$admin" >"$dir/admin.kubeconfig"
    kubernetes_kubeconfig "$dir" "$controllers" >"$dir/controller-manager.kubeconfig"
    kubernetes_kubeconfig "$dir" "$scheduler" >"$dir/scheduler.kubeconfig"
    kubernetes_kubeconfig "$dir" "$nodes" >"$dir/kwok.kubeconfig"
    chmod 600 "$dir"/*.kubeconfig
}

# A kubeconfig for the API server with bearer token $2.
kubernetes_kubeconfig() {
    cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: federa-ci
  cluster:
    server: https://127.0.0.1:$KUBERNETES_API_PORT
    certificate-authority-data: $(base64 -w0 "$1/ca.crt")
users:
- name: federa-ci
  user:
    token: $2
contexts:
- name: federa-ci
  context:
    cluster: federa-ci
    user: federa-ci
current-context: federa-ci
KUBECONFIG
}

# Waits up to $2 seconds until `curl` of path $1 on the API server answers
# with success, as the admin.
kubernetes_wait() {
    local token deadline=$((SECONDS + $2))
    token=$(sed -n 's/^    token: //p' "$KUBERNETES_RUN/admin.kubeconfig")
    until curl -fsS --cacert "$KUBERNETES_RUN/ca.crt" -H "Authorization: Bearer $token" \
        "https://127.0.0.1:$KUBERNETES_API_PORT$1" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "kubernetes: $1 did not answer within $2 s; logs in $KUBERNETES_RUN" >&2
            tail -n 20 "$KUBERNETES_RUN"/*.log >&2
            return 1
        fi
        sleep 1
    done
}

# Sends JSON $2 to path $1 of the API server, as the admin.
kubernetes_post() {
    local token
    token=$(sed -n 's/^    token: //p' "$KUBERNETES_RUN/admin.kubeconfig")
    curl -fsS --cacert "$KUBERNETES_RUN/ca.crt" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -X POST --data "$2" \
        "https://127.0.0.1:$KUBERNETES_API_PORT$1" >/dev/null
}

kubernetes_start() {
    kubernetes_stop
    local started=$SECONDS
    rm -rf "$KUBERNETES_RUN"
    mkdir -p "$KUBERNETES_RUN"
    chmod 700 "$KUBERNETES_RUN"
    kubernetes_credentials "$KUBERNETES_RUN"
    local run=$KUBERNETES_RUN bin=$KUBERNETES_BIN
    (cd "$run" && exec "$bin/kine" --endpoint "sqlite://$run/state.db?_journal=WAL&cache=shared" \
        --listen-address "127.0.0.1:$KUBERNETES_KINE_PORT" >"$run/kine.log" 2>&1) &
    echo $! >"$run/kine.pid"
    "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$KUBERNETES_KINE_PORT" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$KUBERNETES_API_PORT" \
        --tls-cert-file="$run/apiserver.crt" --tls-private-key-file="$run/apiserver.key" \
        --token-auth-file="$run/tokens.csv" --authorization-mode=RBAC \
        --service-account-issuer=https://kubernetes.default.svc \
        --service-account-key-file="$run/sa.pub" \
        --service-account-signing-key-file="$run/sa.key" \
        --service-cluster-ip-range=10.96.0.0/12 \
        --enable-priority-and-fairness=false --endpoint-reconciler-type=none \
        >"$run/kube-apiserver.log" 2>&1 &
    echo $! >"$run/kube-apiserver.pid"
    kubernetes_wait /readyz 120 || return 1
    # The ReplicaSet controller's stale-cache check fails a sync while its
    # cache trails its own last write; kine feeds the cache by polling, so
    # such misses are common here, and each one doubles the ReplicaSet's retry
    # delay on top of the doublings from pods a quota refused: an update that
    # fixes the quota could then wait minutes for its next sync.
    "$bin/kube-controller-manager" --kubeconfig="$run/controller-manager.kubeconfig" \
        --feature-gates=StaleControllerConsistencyReplicaSet=false \
        --authentication-kubeconfig="$run/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$run/controller-manager.kubeconfig" \
        --service-account-private-key-file="$run/sa.key" --root-ca-file="$run/ca.crt" \
        --use-service-account-credentials=false --leader-elect=false \
        --bind-address=127.0.0.1 --secure-port=0 \
        >"$run/kube-controller-manager.log" 2>&1 &
    echo $! >"$run/kube-controller-manager.pid"
    "$bin/kube-scheduler" --kubeconfig="$run/scheduler.kubeconfig" \
        --authentication-kubeconfig="$run/scheduler.kubeconfig" \
        --authorization-kubeconfig="$run/scheduler.kubeconfig" \
        --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
        >"$run/kube-scheduler.log" 2>&1 &
    echo $! >"$run/kube-scheduler.pid"
    # kwok's own stages: nodes become Ready and keep a lease, pods run, are
    # ready at once and go when deleted.
    local stages=$KUBERNETES_CACHE/gomod/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage stage
    for stage in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        printf -- '---\n'
        cat "$stages/$stage"
    done >"$run/kwok-stages.yaml"
    # kwok renews the node's Lease only when told its duration: without one the
    # node controller saw no heartbeat for 50 s, marked the node NotReady and
    # with it every running pod, which pod-ready never makes ready again, so
    # a rollout that met such a flap never finished.
    "$bin/kwok" --kubeconfig="$run/kwok.kubeconfig" --config="$run/kwok-stages.yaml" --manage-all-nodes=true \
        --node-lease-duration-seconds=40 \
        --cidr=10.244.0.0/16 --node-ip=127.0.0.1 \
        >"$run/kwok.log" 2>&1 &
    echo $! >"$run/kwok.pid"
    # One fake node with room for the tests' workloads.
    kubernetes_post /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"federa-ci-node","labels":{"kubernetes.io/hostname":"federa-ci-node","type":"kwok"},"annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"}},"status":{"allocatable":{"cpu":"16","memory":"64Gi","pods":"200"},"capacity":{"cpu":"16","memory":"64Gi","pods":"200"}}}' || return 1
    # Ready once the ServiceAccount controller has made default's account.
    kubernetes_wait /api/v1/namespaces/default/serviceaccounts/default 120 || return 1
    export FEDERA_TEST_KUBECONFIG=$run/admin.kubeconfig
    echo "kubernetes: control plane up in $((SECONDS - started)) s"
}

kubernetes_stop() {
    local process pid
    for process in kwok kube-scheduler kube-controller-manager kube-apiserver kine; do
        if [ -f "$KUBERNETES_RUN/$process.pid" ]; then
            pid=$(cat "$KUBERNETES_RUN/$process.pid")
            # A process that already ended makes kill fail, which must not end
            # a run under `set -e`.
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$KUBERNETES_RUN/$process.pid"
        fi
    done
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    apt_install() { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; }
    case "${1:-}" in
    build) kubernetes_build ;;
    start) kubernetes_build && kubernetes_start && echo "$FEDERA_TEST_KUBECONFIG" ;;
    stop) kubernetes_stop ;;
    *) echo "usage: $0 build|start|stop" >&2; exit 2 ;;
    esac
fi
