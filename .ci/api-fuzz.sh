# Fuzzes a running `federa serve` from its own OpenAPI document with
# schemathesis: any 5xx answer or any answer its schema does not describe
# fails the run. Expects the debug `federa` binary to be built.

api_fuzz() {
    local venv=/tmp/federa-schemathesis
    [ -x "$venv/bin/schemathesis" ] || {
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
    }
    local data port=3977 token
    data=$(mktemp -d /tmp/federa-fuzz.XXXXXX)
    token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    FEDERA_ADMIN_TOKEN=$token "${CARGO_TARGET_DIR:-target}/debug/federa" serve --listen 127.0.0.1:$port \
        --database-url "sqlite://$data/federa.db" >"$data/serve.log" 2>&1 &
    local server=$!
    for _ in $(seq 50); do
        curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break
        sleep 0.2
    done
    local status=0
    "$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
        --url "http://127.0.0.1:$port/api/v1" -H "Authorization: Bearer $token" \
        --checks not_a_server_error,response_schema_conformance \
        --phases examples,fuzzing --max-examples 20 --workers 2 --seed 1 \
        --no-color 2>&1 | tail -n 30 || status=$?
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
    return "$status"
}
