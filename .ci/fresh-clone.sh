# The README's first command, `cargo run --release -- demo`, on a fresh
# `git clone` of this repository until the demo is ready, then Ctrl-C; and
# `cargo run --release -- serve` the same way. The clone's release build is
# kept outside the repository, per toolchain, so a warm run only rebuilds
# what changed.

fresh_clone_test() {
    local rustc_version
    rustc_version=$(rustc --version | awk '{print $2}')
    local cache=/var/cache/federa-ci/fresh-clone-release-$rustc_version
    mkdir -p "$cache"
    local started=$SECONDS
    FEDERA_FRESH_CLONE_TARGET_DIR=$cache \
        cargo test -p federa-cli --test readme_commands --locked -- --ignored --nocapture
    echo "fresh clone: $((SECONDS - started)) s"
}
