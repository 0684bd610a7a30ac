#!/usr/bin/env bash
# Start one Elasticsearch node on 127.0.0.1 as an unprivileged user, with a throwaway run folder,
# and wait until it answers healthy.
#   deploy/elasticsearch/start.sh RUN_DIR [HTTP_PORT] [TRANSPORT_PORT] [CLUSTER] [NODE] [SEED_HOSTS] [MASTERS]
# Prints nothing on success but "es: ready at http://127.0.0.1:PORT"; the pid is in RUN_DIR/es.pid.
# ES_ROLES=data,ingest makes a node that holds shards but is never master (a 2-node cluster keeps its
# quorum when that node stops); ES_HEAP (default 1g) caps the JVM heap.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOME_DIR="${ES_HOME:-$PWD/.es/elasticsearch-8.12.2}"
RUN="$(realpath -m "${1:?run folder}")"
HTTP="${2:-9200}"
TRANSPORT="${3:-9300}"
CLUSTER="${4:-cinesearch}"
NODE="${5:-node-1}"
SEEDS="${6:-127.0.0.1:$TRANSPORT}"
MASTERS="${7:-$NODE}"
USER_NAME="${ES_USER:-cinesearch-es}"
[ -x "$HOME_DIR/bin/elasticsearch" ] || { echo "es: not installed; run deploy/elasticsearch/install.sh" >&2; exit 2; }
if [ "$(id -u)" = "0" ] && ! id "$USER_NAME" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
mkdir -p "$RUN"/{data,logs,tmp,config}
cp -r "$HOME_DIR/config/." "$RUN/config/"
cat > "$RUN/config/elasticsearch.yml" <<YML
cluster.name: $CLUSTER
node.name: $NODE
path.data: $RUN/data
path.logs: $RUN/logs
network.host: 127.0.0.1
http.port: $HTTP
transport.port: $TRANSPORT
discovery.seed_hosts: [$(echo "$SEEDS" | sed 's/,/", "/g; s/^/"/; s/$/"/')]
cluster.initial_master_nodes: [$(echo "$MASTERS" | sed 's/,/", "/g; s/^/"/; s/$/"/')]
xpack.security.enabled: false
xpack.ml.enabled: false
ingest.geoip.downloader.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
YML
[ -z "${ES_ROLES:-}" ] || echo "node.roles: [${ES_ROLES}]" >> "$RUN/config/elasticsearch.yml"
echo "-Xms512m" > "$RUN/config/jvm.options.d/heap.options"
echo "-Xmx${ES_HEAP:-1g}" >> "$RUN/config/jvm.options.d/heap.options"
echo "-XX:-UsePerfData" >> "$RUN/config/jvm.options.d/heap.options"   # no /tmp/hsperfdata_* left behind
run_as=()
if [ "$(id -u)" = "0" ]; then
  # the tarball's jdk/bin is 0750: the user that runs the server must own the install
  [ "$(stat -c %U "$HOME_DIR/jdk/bin")" = "$USER_NAME" ] || chown -R "$USER_NAME" "$HOME_DIR"
  chown -R "$USER_NAME" "$RUN"
  run_as=(runuser -u "$USER_NAME" --)
fi
if ! "${run_as[@]}" env ES_PATH_CONF="$RUN/config" ES_TMPDIR="$RUN/tmp" \
    "$HOME_DIR/bin/elasticsearch" -d -p "$RUN/es.pid" > "$RUN/logs/launcher.out" 2>&1; then
  echo "es: the launcher failed (every folder above $RUN must be traversable by $USER_NAME):" >&2
  tail -5 "$RUN/logs/launcher.out" >&2
  exit 1
fi
for _ in $(seq 1 120); do
  # healthy: a master elected and every primary shard (of indices kept from an earlier run) assigned
  if curl -fsS "http://127.0.0.1:$HTTP/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
    echo "es: ready at http://127.0.0.1:$HTTP" >&2
    exit 0
  fi
  sleep 1
done
echo "es: no answer on port $HTTP after 120 s; see $RUN/logs" >&2
exit 1
