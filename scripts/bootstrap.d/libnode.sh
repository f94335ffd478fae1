#!/usr/bin/env bash
# V8 for the WebAssembly plugin host (issue 7): Debian's libnode-dev (Node 18, V8 10.2).
#
# Plain Debian 12: `apt-get install libnode-dev` (headers in /usr/include/node).
# Where NodeSource's nodejs is installed apt refuses libnode108 (it Conflicts nodejs-legacy,
# which NodeSource's package Provides); then install libnode's runtime dependencies normally,
# `apt-get download libnode108 libnode-dev` and unpack both with `dpkg-deb -x` into
# <repo>/third_party/libnode (git-ignored). src/plugin/CMakeLists.txt looks in both places
# (cache variable TRIMTAB_LIBNODE_PREFIX).
#
# Idempotent; prints nothing when already done. Called by scripts/bootstrap with $SUDO set.
set -euo pipefail

SUDO="${SUDO:-}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
prefix="$repo/third_party/libnode"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"

has_libnode() {  # $1 = prefix ("" for the system)
  [[ -f "$1/usr/include/node/v8.h" && -e "$1/usr/lib/$multiarch/libnode.so" ]]
}

if has_libnode "" || has_libnode "$prefix"; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq

# A dry run tells whether apt would accept the package without touching the system.
if $SUDO apt-get install -s -qq libnode-dev >/dev/null 2>&1; then
  echo "libnode: installing libnode-dev through apt"
  $SUDO apt-get install -y -qq --no-install-recommends libnode-dev >/dev/null
  exit 0
fi

echo "libnode: apt refuses libnode-dev here (NodeSource nodejs?); unpacking into $prefix"
$SUDO apt-get install -y -qq --no-install-recommends \
  libuv1-dev libssl-dev libicu72 libc-ares2 libnghttp2-14 libbrotli1 zlib1g >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt-get download drops privileges to _apt when run as root; let it write here.
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
(cd "$tmp" && apt-get download -qq libnode108 libnode-dev)
mkdir -p "$prefix"
for deb in "$tmp"/libnode108_*.deb "$tmp"/libnode-dev_*.deb; do
  dpkg-deb -x "$deb" "$prefix"
done

if ! has_libnode "$prefix"; then
  echo "libnode: unpacked, but $prefix/usr/include/node/v8.h or libnode.so is missing" >&2
  exit 1
fi
echo "libnode: ready in $prefix"
