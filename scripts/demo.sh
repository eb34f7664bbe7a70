#!/usr/bin/env bash
# The main job on the embedded default: local SQLite MLflow store, generated sample CRM data.
# demo-data -> validate -> features -> train -> evaluate -> approve what passes -> serve.
# Called by `make demo`; every step is a `crmml` command you can run yourself.
set -euo pipefail
BIN=${BIN:-.venv/bin}
DEMO_DIR=${DEMO_DIR:-.demo}
CUSTOMERS=${DEMO_CUSTOMERS:-15000}
TRIALS=${DEMO_TRIALS:-5}
PORT=${DEMO_PORT:-3000}
TASKS="churn repurchase lead_score"
crmml() { "$BIN/crmml" "$@"; }

# The demo keeps its own MLflow store and crmml home inside the demo folder.
mkdir -p "$DEMO_DIR"
DEMO_ABS=$(cd "$DEMO_DIR" && pwd)  # DEMO_DIR may be relative or absolute
export MLFLOW_TRACKING_URI=${MLFLOW_TRACKING_URI:-sqlite:///$DEMO_ABS/mlflow.db}
export CRMML_HOME=${CRMML_HOME:-$DEMO_ABS/home}

echo "== 1/6 sample CRM export ($CUSTOMERS customers)"
crmml demo-data --out "$DEMO_DIR/raw" --customers "$CUSTOMERS" --seed 7
echo "== 2/6 data-quality gate"
crmml validate "$DEMO_DIR/raw" --report "$DEMO_DIR/quality/report.json"
echo "== 3/6 point-in-time training sets"
crmml features --raw "$DEMO_DIR/raw" --out "$DEMO_DIR/features"
echo "== 4/6 training ($TRIALS trials per family)"
for t in $TASKS; do crmml train --task "$t" --features "$DEMO_DIR/features" --trials "$TRIALS"; done
echo "== 5/6 evaluation and approval"
summary=()
for t in $TASKS; do
  crmml evaluate --task "$t" --features "$DEMO_DIR/features" --alias challenger \
    --out "$DEMO_DIR/reports/$t"
  if crmml approve --task "$t" --alias challenger --reviewer "make demo" \
      --note "demo: approved because the gate passed"; then
    summary+=("$t: approved -> champion; report $DEMO_DIR/reports/$t/report.html")
  else
    summary+=("$t: NOT approved (failed checks above); report $DEMO_DIR/reports/$t/report.html")
  fi
done
crmml models
echo
printf '%s\n' "${summary[@]}"
echo
echo "== 6/6 serving the champions on http://127.0.0.1:$PORT (Ctrl-C to stop)"
export CRMML_API_KEYS=${CRMML_API_KEYS:-demo-key}
entity=$("$BIN/python" -c "import pandas as pd; print(pd.read_parquet('$DEMO_DIR/features/churn.scoring.parquet', columns=['entity_id']).entity_id.iloc[0])")
cat <<MSG
Try, from another terminal:
  curl -s -X POST http://127.0.0.1:$PORT/predict/churn -H 'X-API-Key: $CRMML_API_KEYS' \\
       -H 'Content-Type: application/json' -d '{"entity_ids": ["$entity"]}'
  curl -s http://127.0.0.1:$PORT/models -H 'X-API-Key: $CRMML_API_KEYS'
MSG
if [ "${DEMO_SERVE:-1}" = "1" ]; then
  exec "$BIN/crmml" serve --port "$PORT" --host 127.0.0.1 --scoring-dir "$DEMO_DIR/features"
fi
