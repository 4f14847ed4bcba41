# shellcheck shell=bash
# apt_private SUITE: a private apt configuration for one Debian suite under the cache (the
# host's apt state is never touched), updated; sets d (its directory) and A (apt's options).
# Sourced by fetch-kernel and build-kernel; they define die().
apt_private() {
    local suite=$1
    local mirror=${VMTEST_MIRROR:-http://deb.debian.org/debian}
    local keyring=${VMTEST_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
    d=$cache/apt/$suite
    mkdir -p "$d/etc/parts" "$d/state/lists/partial" "$d/cache/archives/partial" "$d/debs"
    [ -f "$d/state/status" ] || : > "$d/state/status"
    # A newer keyring (debian-archive-keyring from trixie) is used when present.
    [ -f "$cache/apt/keyring/debian-archive-keyring.gpg" ] && keyring=$cache/apt/keyring/debian-archive-keyring.gpg
    echo "deb [arch=amd64 signed-by=$keyring] $mirror $suite main" > "$d/etc/sources.list"
    A=(-q -o "Dir::Etc::SourceList=$d/etc/sources.list" -o "Dir::Etc::SourceParts=$d/etc/parts"
       -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$d/etc/parts"
       -o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status" -o "Dir::Cache=$d/cache"
       -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64" -o "Acquire::Languages=none"
       -o "APT::Sandbox::User=root")
    if ! apt-get "${A[@]}" update >"$d/update.log" 2>&1 || grep -qE '^(W|E): ' "$d/update.log"; then
        cat "$d/update.log" >&2
        if ! grep -q 'Failed to fetch' "$d/update.log" && grep -qE 'NO_PUBKEY|EXPKEYSIG|not signed' "$d/update.log"; then
            die "archive signature cannot be verified with $keyring; install a newer debian-archive-keyring (e.g. apt-get download debian-archive-keyring from trixie, dpkg-deb -x it, and copy usr/share/keyrings/debian-archive-keyring.gpg to $cache/apt/keyring/)"
        fi
        die "apt-get update failed (log: $d/update.log)"
    fi
}

# apt_depends PACKAGE: the names PACKAGE depends on, one per line (needs apt_private)
apt_depends() {
    apt-cache "${A[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Depends: //p' | head -n1 |
        tr ',' '\n' | sed 's/^ *//; s/ .*//'
}
