# A throwaway PostgreSQL cluster on loopback for tests and benchmarks.
# `postgres_start` exports POSTGRES_URL; `postgres_stop` removes everything.

postgres_start() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    POSTGRES_DIR=$(mktemp -d /tmp/federa-pg.XXXXXX)
    POSTGRES_PORT=${POSTGRES_PORT:-55432}
    chown postgres "$POSTGRES_DIR"
    runuser -u postgres -- "$bin/initdb" -D "$POSTGRES_DIR/data" -U federa -A trust --locale=C.UTF-8 -E UTF8 >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/log" -w start \
        -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $POSTGRES_DIR -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    POSTGRES_BIN=$bin
    export POSTGRES_URL="postgres://federa@127.0.0.1:$POSTGRES_PORT/postgres"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $POSTGRES_URL"
}

postgres_stop() {
    if [ -n "${POSTGRES_DIR:-}" ] && [ -d "$POSTGRES_DIR/data" ]; then
        runuser -u postgres -- "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$POSTGRES_DIR"
    fi
}
