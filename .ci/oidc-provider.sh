# node-oidc-provider, the OpenID provider Federa's OIDC tests run against
# (crates/federa-server/tests/oidc_provider.rs). Installed once per version
# outside the repository; exports FEDERA_TEST_OIDC_PROVIDER_MODULES, the
# node_modules the tests load it from. Expects `apt_install` from .ci/run.

OIDC_PROVIDER_VERSION=9.13.3

oidc_provider_install() {
    command -v npm >/dev/null || apt_install nodejs npm
    local dir=/var/cache/federa-ci/oidc-provider-$OIDC_PROVIDER_VERSION
    if [ ! -f "$dir/node_modules/oidc-provider/package.json" ]; then
        mkdir -p "$dir"
        (cd "$dir" && npm install --no-audit --no-fund --no-save "oidc-provider@$OIDC_PROVIDER_VERSION" >/dev/null)
    fi
    export FEDERA_TEST_OIDC_PROVIDER_MODULES="$dir/node_modules"
    echo "node-oidc-provider $OIDC_PROVIDER_VERSION in $FEDERA_TEST_OIDC_PROVIDER_MODULES (node $(node --version))"
}
