#!/usr/bin/env bash
# The distributed setup of infra/compose.yaml without containers: on this machine's Postgres and
# Redis plus an s3rver on loopback (standing in for MinIO), one api, one serve and two workers as
# separate processes started with `npm run start:*`. Then the README walkthrough through them, with
# one scale-down in the middle: the worker that is training gets SIGTERM, checkpoints, hands its
# job back, and the other worker finishes it. Everything it made is removed at the end.
#
#   infra/local-distributed.sh            # MNIST subset (6,000 train / 1,000 test), 2 epochs
#   TRAIN=60000 TEST=10000 EPOCHS=1 infra/local-distributed.sh
#   SKIP_BUILD=1 infra/local-distributed.sh   # reuse dist/
#
# Ports: BASE_PORT (3160) api, +1 serve, +2 and +3 the workers' probe ports.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_PORT=${BASE_PORT:-3160}
TRAIN=${TRAIN:-6000}
TEST=${TEST:-1000}
EPOCHS=${EPOCHS:-2}
PG_ADMIN=${PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}
REDIS=${REDIS:-redis://127.0.0.1:6379}
RUN_ID=local_$(date +%s)
DB=trainyard_${RUN_ID}
WORK=$(mktemp -d)
API=http://127.0.0.1:${BASE_PORT}
SERVE=http://127.0.0.1:$((BASE_PORT + 1))
PIDS=()

say() { printf '\n== %s\n' "$*"; }
# `npm run` does not pass SIGTERM on: it exits 143 at once and leaves node running (orphaned). So the
# signal goes to the node process itself (as in the images, where node is PID 1); npm then exits
# with node's exit code.
node_of() { local sh; sh=$(pgrep -P "$1" | head -n1); [ -n "$sh" ] && pgrep -P "$sh" | head -n1; true; }
stop() { local node; node=$(node_of "$1"); [ -n "$node" ] && kill -TERM "$node"; set +e; wait "$1"; local code=$?; set -e; return $code; }
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do node=$(node_of "$pid"); [ -n "$node" ] && kill -TERM "$node" 2>/dev/null; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
  redis-cli -u "$REDIS" --scan --pattern "ty_${RUN_ID}:*" | xargs -r redis-cli -u "$REDIS" del >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

pg_isready -h 127.0.0.1 -p 5432 -q || { echo "Postgres is not up on 127.0.0.1:5432" >&2; exit 1; }
redis-cli -u "$REDIS" ping >/dev/null || { echo "Redis is not up at $REDIS" >&2; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || { say "npm run build"; npm run --silent build; }

say "a fresh database ($DB), a queue prefix (ty_$RUN_ID) and an s3rver on loopback"
psql -q "$PG_ADMIN" -c "CREATE DATABASE \"$DB\"" >/dev/null
node -e "require('./dist/test/support/s3rver').startS3rver({ bucket: 'trainyard' }).then((s) => console.log(s.endpoint))" >"$WORK/s3rver.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q '^http' "$WORK/s3rver.out" && break; sleep 0.2; done
S3_ENDPOINT=$(grep '^http' "$WORK/s3rver.out")
echo "s3rver at $S3_ENDPOINT"

export NODE_ENV=production LOG_FORMAT=json HOST=127.0.0.1
export DATABASE_URL=${PG_ADMIN%/*}/$DB REDIS_URL=$REDIS QUEUE_PREFIX=ty_$RUN_ID
export S3_BUCKET=trainyard S3_ENDPOINT AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export WORKER_SHUTDOWN_GRACE_MS=25000

start() { # name, then env assignments, then the npm script
  local name=$1; shift
  env "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}
say "npm run start:api, start:serve, start:worker x2"
T_START=$(date +%s%3N)
start api PORT=$BASE_PORT npm run --silent start:api
start serve PORT=$((BASE_PORT + 1)) npm run --silent start:serve
start worker-1 WORKER_HEALTH_PORT=$((BASE_PORT + 2)) npm run --silent start:worker
start worker-2 WORKER_HEALTH_PORT=$((BASE_PORT + 3)) npm run --silent start:worker

ready() { curl -sf "$1/readyz" >/dev/null; }
for url in "$API" "$SERVE" "http://127.0.0.1:$((BASE_PORT + 2))" "http://127.0.0.1:$((BASE_PORT + 3))"; do
  for _ in $(seq 1 120); do ready "$url" && break; sleep 0.5; done
  ready "$url" || { echo "$url never became ready"; tail -5 "$WORK"/*.log; exit 1; }
  echo "$url/readyz after $(( $(date +%s%3N) - T_START )) ms: $(curl -s "$url/readyz" | jq -c '{status, checks: (.checks | map_values(.ok))}')"
done

say "a team (dist/apps/api/src/cli/create-team.js, what npm run team:create runs after its build)"
# (its last stdout line: with DATABASE_URL set, the platform's boot line goes to stdout too)
KEY=$(node dist/apps/api/src/cli/create-team.js "local distributed" 2>/dev/null | tail -n1)
echo "key ${KEY:0:15}..."
gql() { curl -s "$API/graphql" -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$1"; }

say "dataset: MNIST, $TRAIN train / $TEST test samples, uploaded through the api"
DATASET=$(gql '{"query":"mutation { createDataset(name: \"mnist\") { id } }"}' | jq -r .data.createDataset.id)
node -e "
const { mnistSubset } = require('./dist/test/support/mnist');
const fs = require('fs');
const n = { 'train-images': $TRAIN, 'train-labels': $TRAIN, 'test-images': $TEST, 'test-labels': $TEST };
for (const slug of Object.keys(n)) fs.writeFileSync('$WORK/' + slug, mnistSubset(slug, n[slug]));"
for f in train-images train-labels test-images test-labels; do
  curl -s -T "$WORK/$f" -H "authorization: Bearer $KEY" "$API/v1/datasets/$DATASET/files/$f" | jq -c '{status}'
done
# The fourth file starts the ingest job, which a worker runs (the `jobs` lane).
for _ in $(seq 1 240); do
  STATUS=$(gql '{"query":"{ dataset(id: \"'"$DATASET"'\") { versions { status } } }"}' | jq -r '.data.dataset.versions[0].status')
  case $STATUS in READY|FAILED) break ;; esac; sleep 0.5
done
gql '{"query":"{ dataset(id: \"'"$DATASET"'\") { versions { version status failureReason trainCount testCount sampleShape numClasses } } }"}' | jq -c '.data.dataset.versions[0]'

say "experiment: LeNet-5, Momentum(0.01, 0.9), batch 32, $EPOCHS epochs"
EXP=$(gql '{"query":"mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id progress { totalSteps } } }",
  "variables":{"i":{"name":"lenet5","datasetId":"'"$DATASET"'","model":{"name":"lenet5"},
  "optimizer":{"name":"Momentum","learningRate":0.01,"momentum":0.9},"epochs":'"$EPOCHS"',
  "pipeline":{"batchSize":32},"perPrintTimes":20,"checkpoint":{"saveCheckpointSteps":100,"keepCheckpointMax":3}}}}')
TOTAL=$(echo "$EXP" | jq -r .data.submitExperiment.progress.totalSteps)
EXP=$(echo "$EXP" | jq -r .data.submitExperiment.id)
echo "experiment $EXP, $TOTAL steps"
experiment() { gql '{"query":"{ experiment(id: \"'"$EXP"'\") { status attempt backend progress { step totalSteps samplesPerSecond } checkpoints { id step } metrics { accuracy } } }"}' | jq -c .data.experiment; }

# Wait until a third of the run is done, then scale down the worker that trains it.
for _ in $(seq 1 600); do
  STEP=$(gql '{"query":"{ experiment(id: \"'"$EXP"'\") { progress { step } } }"}' | jq -r .data.experiment.progress.step)
  [ "$STEP" -ge $((TOTAL / 3)) ] && break; sleep 0.5
done
echo "api /metrics: $(curl -s "$API/metrics" | grep -E '^trainyard_queue_jobs\{queue="training",state="(wait|active)"\}' | tr '\n' ' ')"
for w in 1 2; do
  running=$(curl -s "http://127.0.0.1:$((BASE_PORT + 1 + w))/metrics" | awk '/^trainyard_running_experiments /{print $2}')
  [ "$running" = 1 ] && BUSY=$w
done
OTHER=$((3 - BUSY))
eval "BUSY_PID=\$PID_worker_$BUSY"
say "scale-down: SIGTERM to worker-$BUSY (training, at step $STEP/$TOTAL)"
T0=$(date +%s%3N)
set +e; stop "$BUSY_PID"; CODE=$?; set -e
echo "worker-$BUSY exited with code $CODE after $(( $(date +%s%3N) - T0 )) ms"
grep '^{' "$WORK/worker-$BUSY.log" | jq -r 'select(.context == "Training" or .context == "Shutdown" or .context == "BullMqConsumer") | .message' | tail -5
for _ in $(seq 1 120); do grep -q 'resuming from the checkpoint' "$WORK/worker-$OTHER.log" && break; sleep 0.25; done
echo "worker-$OTHER: $(grep '^{' "$WORK/worker-$OTHER.log" | jq -r 'select(.message | test("resuming")) | .message')"

for _ in $(seq 1 1200); do
  STATUS=$(gql '{"query":"{ experiment(id: \"'"$EXP"'\") { status } }"}' | jq -r .data.experiment.status)
  case $STATUS in SUCCEEDED|FAILED|CANCELLED) break ;; esac; sleep 0.5
done
say "experiment finished"
experiment
gql '{"query":"{ experiment(id: \"'"$EXP"'\") { losses(afterStep: 0) { step } } }"}' |
  jq -r --argjson total "$TOTAL" '[.data.experiment.losses[].step] as $s | "loss points: \($s | length), steps \($s[0])..\($s[-1]), duplicates: \(($s | length) - ($s | unique | length)), expected \($total / 20 | floor)"'
echo "worker-$OTHER /metrics: $(curl -s "http://127.0.0.1:$((BASE_PORT + 1 + OTHER))/metrics" | grep -E '^trainyard_job_duration_seconds_count' | tr '\n' ' ')"

say "deploy the last checkpoint, predict through serve"
CKPT=$(gql '{"query":"{ experiment(id: \"'"$EXP"'\") { checkpoints { id step } } }"}' | jq -r '.data.experiment.checkpoints | max_by(.step) | .id')
gql '{"query":"mutation { deployCheckpoint(name: \"digits\", checkpointId: \"'"$CKPT"'\") { predictUrl } }"}' | jq -c .data
node -e "
const { mnistTestSample } = require('./dist/test/support/mnist');
const s = [0, 1, 2, 3, 4].map(mnistTestSample);
require('fs').writeFileSync('$WORK/instances.json', JSON.stringify({ instances: s.map((x) => x.pixels) }));
console.log('labels', s.map((x) => x.label).join(' '));"
curl -s "$SERVE/v1/models/digits:predict" -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d @"$WORK/instances.json" |
  jq -r '"predicted " + (.predictions | map(to_entries | max_by(.value) | .key | tostring) | join(" "))'

say "stop: SIGTERM to api, serve and worker-$OTHER"
for name in api serve "worker-$OTHER"; do
  eval "pid=\$PID_${name//-/_}"
  set +e; stop "$pid"; echo "$name exited with code $?"; set -e
done
grep -h '"level":"error"' "$WORK"/*.log | head -5 || true
echo "log lines: $(cat "$WORK"/{api,serve,worker-1,worker-2}.log | wc -l), of them JSON: $(cat "$WORK"/{api,serve,worker-1,worker-2}.log | grep -c '^{'); the others: $(cat "$WORK"/{api,serve,worker-1,worker-2}.log | grep -v '^{' | sed -E 's/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -3 | tr -s ' ' | tr '\n' ';')"
echo "secrets in logs: $(cat "$WORK"/*.log | grep -c -e "$KEY" -e "secret=S3RVER" || true)"
