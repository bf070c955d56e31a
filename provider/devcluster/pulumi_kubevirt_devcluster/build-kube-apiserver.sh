#!/usr/bin/env bash
# Build kube-apiserver v1.20.2 offline from Debian's `kubernetes` source package and cache it by version.
# Why: no registry this project reaches ships a kube-apiserver binary; see ../shared/docs/TEST-CLUSTER.md.
# Usage: build-kube-apiserver.sh CACHE_DIR   (prints the binary's path on success)
set -euo pipefail

cache_dir=${1:?usage: build-kube-apiserver.sh CACHE_DIR}
version=v1.20.2
target="$cache_dir/kube-apiserver-$version/kube-apiserver"
if [ -x "$target" ]; then
  echo "$target"
  exit 0
fi

log() { printf 'build-kube-apiserver: %s\n' "$*" >&2; }

need_packages=(golang-1.19-go golang-1.19-src rsync etcd-server golang-github-modern-go-reflect2-dev openssl dpkg-dev)
missing=()
for p in "${need_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A private deb-src list, so the system's sources stay untouched.
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial"
cat >"$work/sources.list" <<SRC
deb-src http://deb.debian.org/debian bookworm main
SRC
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-"
          -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache::Archives=$work/apt/archives")
log "downloading Debian's kubernetes source package"
apt-get "${apt_opts[@]}" update -qq >&2
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only kubernetes >&2)
tar -C "$work" -xzf "$work"/kubernetes_*.orig.tar.gz
src=$(find "$work" -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)

# Fix 1: vendored reflect2 1.0.1 crashes on Go >= 1.18 on the first custom-resource create.
rm -rf "$src/vendor/github.com/modern-go/reflect2"
mkdir -p "$src/vendor/github.com/modern-go/reflect2"
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s \
   "$src/vendor/github.com/modern-go/reflect2/"
# Fix 2: kubernetes#99804 (empty strings in custom resources rejected as "null"); upstream kube-openapi#230.
sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' \
  "$src/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go"
grep -q 'if data == nil {' "$src/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go"

log "building kube-apiserver $version (about 4 minutes on 2 cores)"
(
  cd "$src"
  export PATH=/usr/lib/go-1.19/bin:$PATH GOPROXY=off CGO_ENABLED=0 KUBE_BUILD_PLATFORMS="linux/$(dpkg --print-architecture)" \
         KUBE_GIT_VERSION=$version KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 KUBE_GIT_TREE_STATE=clean GOLDFLAGS="-s -w" \
         GOCACHE="$work/gocache" GOFLAGS=
  make WHAT=cmd/kube-apiserver >&2
)
mkdir -p "$(dirname "$target")"
cp "$src/_output/bin/kube-apiserver" "$target.tmp"
mv "$target.tmp" "$target"
echo "$target"
