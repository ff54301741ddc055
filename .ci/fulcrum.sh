# Fulcrum beside Federa: builds Fulcrum Core and Fulcrum's agent-test
# simulator from the Go module proxy (cached per module version under
# /var/cache/federa-ci/), starts Fulcrum Core on the test PostgreSQL and
# stops it. A module the proxy refuses is reported with the command and the
# proxy's answer; the steps that need it are then skipped and say so.
#
#   fulcrum_build        builds what it can; sets FULCRUM_CORE_BIN, FULCRUM_TESTAGENT_BIN
#   fulcrum_core_start   needs POSTGRES_URL; exports FULCRUM_URL, FULCRUM_ADMIN_TOKEN
#   fulcrum_core_stop

FULCRUM_CORE_VERSION=v0.0.0-20260527080422-499230a99799
# agent-test has no tags and its go.mod names another path; the commit is
# resolved by the proxy into a pseudo-version through the replace below.
FULCRUM_TESTAGENT_COMMIT=480609869bf7
FULCRUM_AGENT_LIB_VERSION=v0.0.0-20251030144110-e3f1ddef4eb3
FULCRUM_CACHE=/var/cache/federa-ci

# Runs a Go build step with the module and build caches of its cache folder,
# timing it; on failure prints the command and go's own message.
fulcrum_go() {
    local cache=$1 log=$2
    shift 2
    mkdir -p "$cache"
    local started=$SECONDS status=0
    GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
        nice "$@" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        echo "fulcrum: FAILED ($((SECONDS - started)) s): $*"
        sed 's/^/fulcrum:   /' "$log" | head -n 8
    else
        echo "fulcrum: built in $((SECONDS - started)) s: $*"
    fi
    return "$status"
}

fulcrum_build() {
    FULCRUM_CORE_BIN=""
    FULCRUM_TESTAGENT_BIN=""
    if ! command -v go >/dev/null; then
        echo "fulcrum: no Go toolchain on this machine; Fulcrum steps skipped"
        return 0
    fi
    local started=$SECONDS
    local core="$FULCRUM_CACHE/fulcrum-core-$FULCRUM_CORE_VERSION"
    if [ -x "$core/bin/fulcrum" ]; then
        echo "fulcrum: Fulcrum Core $FULCRUM_CORE_VERSION from cache"
        FULCRUM_CORE_BIN="$core/bin/fulcrum"
    elif (cd /tmp && GOBIN="$core/bin" fulcrum_go "$core" "$core.log" \
        go install "github.com/fulcrumproject/core/cmd/fulcrum@$FULCRUM_CORE_VERSION"); then
        FULCRUM_CORE_BIN="$core/bin/fulcrum"
    fi

    local agent="$FULCRUM_CACHE/fulcrum-testagent-$FULCRUM_TESTAGENT_COMMIT"
    if [ -x "$agent/bin/testagent" ]; then
        echo "fulcrum: agent-test $FULCRUM_TESTAGENT_COMMIT from cache"
        FULCRUM_TESTAGENT_BIN="$agent/bin/testagent"
    else
        # A module of its own that requires the declared path and replaces
        # it with the repository at the commit.
        mkdir -p "$agent/module"
        cat >"$agent/module/go.mod" <<EOF
module federa.ci/testagent

go 1.24

require github.com/fulcrumproject/test-agent v0.0.0

replace github.com/fulcrumproject/test-agent => github.com/fulcrumproject/agent-test $FULCRUM_TESTAGENT_COMMIT
EOF
        if (cd "$agent/module" && fulcrum_go "$agent" "$agent.log" go mod tidy) &&
            (cd "$agent/module" && fulcrum_go "$agent" "$agent.log" \
                go build -o "$agent/bin/testagent" github.com/fulcrumproject/test-agent/cmd/testagent); then
            FULCRUM_TESTAGENT_BIN="$agent/bin/testagent"
        fi
    fi
    # The library a Go agent of Fulcrum's is built on.
    local lib="$FULCRUM_CACHE/fulcrum-agent-lib-go-$FULCRUM_AGENT_LIB_VERSION"
    if [ -d "$lib/gomod/github.com/fulcrumproject" ]; then
        echo "fulcrum: agent-lib-go $FULCRUM_AGENT_LIB_VERSION from cache"
    else
        (cd /tmp && fulcrum_go "$lib" "$lib.log" \
            go mod download "github.com/fulcrumproject/agent-lib-go@$FULCRUM_AGENT_LIB_VERSION") || true
    fi
    echo "fulcrum: build step took $((SECONDS - started)) s"
    export FULCRUM_CORE_BIN FULCRUM_TESTAGENT_BIN
}

# Fulcrum Core on its own databases of the test cluster, with token
# authentication and the admin token its seed writes (`change-me`).
fulcrum_core_start() {
    [ -n "${FULCRUM_CORE_BIN:-}" ] || return 0
    local base=${POSTGRES_URL%/*} port=3987 health=3988
    for db in fulcrum fulcrum_metrics fulcrum_locks; do
        psql -q "$POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    done
    FULCRUM_LOG=$(mktemp /tmp/fulcrum-core.XXXXXX.log)
    (cd /tmp && env FULCRUM_DB_DSN="$base/fulcrum?sslmode=disable" \
        FULCRUM_METRIC_DB_DSN="$base/fulcrum_metrics?sslmode=disable" \
        FULCRUM_SCHEDULER_LOCKER_DB_DSN="$base/fulcrum_locks?sslmode=disable" \
        FULCRUM_AUTHENTICATORS=token FULCRUM_API_SERVER=true \
        FULCRUM_VAULT_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        FULCRUM_PORT=$port FULCRUM_HEALTH_PORT=$health \
        FULCRUM_PUBLIC_BASE_URL="http://127.0.0.1:$port" \
        "$FULCRUM_CORE_BIN" >"$FULCRUM_LOG" 2>&1) &
    FULCRUM_PID=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$health/healthz" >/dev/null && break
        sleep 0.2
    done
    export FULCRUM_URL="http://127.0.0.1:$port" FULCRUM_ADMIN_TOKEN=change-me
    echo "fulcrum: Fulcrum Core on $FULCRUM_URL (pid $FULCRUM_PID)"
}

fulcrum_core_stop() {
    if [ -n "${FULCRUM_PID:-}" ]; then
        kill "$FULCRUM_PID" 2>/dev/null || true
        wait "$FULCRUM_PID" 2>/dev/null || true
        unset FULCRUM_PID FULCRUM_URL
    fi
}
