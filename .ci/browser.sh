# Browser tests of the web console: headless Debian Chromium driven by
# playwright-core (console-tests/) against a fresh `federa demo`. Expects the
# debug `federa` binary to be built and `apt_install` from .ci/run.

browser_tests() {
    apt_install chromium
    command -v npm >/dev/null || apt_install nodejs npm
    # npm ci again only when the lock file changed since the last install.
    local stamp=console-tests/node_modules/.installed-lock
    local want
    want=$(sha256sum console-tests/package.json console-tests/package-lock.json)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        (cd console-tests && npm ci --no-audit --no-fund)
        printf '%s\n' "$want" >"$stamp"
    fi
    CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium} \
        node console-tests/run.mjs "${CARGO_TARGET_DIR:-target}/debug/federa"
}
