# shellcheck shell=bash
# Removes the workspace's own build products that earlier runs left behind in
# the shared target directory. Cargo names each product by a hash of how it
# was built, and a clone at another path or another feature set gives new
# hashes, so without this every run adds several GB that no later run reads
# (the directory had reached 40 GB after a day of runs). Third-party crates
# keep their hashes from run to run and are left alone.

# Keeps, for each product name, the files written within three hours of the
# newest one: one run (all its feature sets) writes them all within that
# span, and one run takes at most 90 minutes.
prune_target() {
    local deps="$CARGO_TARGET_DIR/debug/deps"
    [ -d "$deps" ] || return 0
    local names before
    names=$(cargo metadata --no-deps --format-version 1 --offline 2>/dev/null | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        name = target["name"].replace("-", "_")
        # Libraries, and the checks of any target, are written as lib<name>.
        print(name)
        print("lib" + name)
') || return 0
    before=$(du -sm "$deps" | cut -f1)
    find "$deps" -maxdepth 1 -type f -printf '%T@ %f\n' | python3 -c '
import re, sys
names = set(sys.argv[1].split())
newest, files = {}, []
for line in sys.stdin:
    stamp, name = line.rstrip("\n").split(" ", 1)
    match = re.match(r"(.+)-[0-9a-f]{16}(\..*)?$", name)
    if not match or match.group(1) not in names:
        continue
    files.append((float(stamp), match.group(1), name))
    newest[match.group(1)] = max(newest.get(match.group(1), 0), float(stamp))
for stamp, product, name in files:
    if stamp < newest[product] - 3 * 3600:
        print(name)
' "$names" | while read -r stale; do rm -f "$deps/$stale"; done
    echo "build products of earlier runs removed: $(( before - $(du -sm "$deps" | cut -f1) )) MB"
}
