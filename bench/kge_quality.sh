#!/usr/bin/env bash
# Reduced-budget CPU link-prediction quality of `kgft embed` on UMLS, Kinship,
# Nations (and WN18RR). Each line below is the exact command; results are the
# filtered test metrics from RUN_DIR/metrics.json. Usage:
#   KGFT_DATA_MIRROR=/work/shared/data bash bench/kge_quality.sh OUT_DIR [small|wn18rr|transe|all]
set -euo pipefail
OUT=${1:?usage: kge_quality.sh OUT_DIR [small|wn18rr|transe|all]}
WHAT=${2:-small}
KGFT=${KGFT:-.venv/bin/kgft}
D=${KGFT_DATA_MIRROR:?set KGFT_DATA_MIRROR}
mkdir -p "$OUT"
run() {  # run NAME ARGS...
  local name=$1; shift
  [ -f "$OUT/$name/metrics.json" ] && return 0
  local t0=$(date +%s)
  echo "+ kgft embed $* --out $OUT/$name --threads 1 -q" | tee -a "$OUT/commands.log"
  # --resume: a run interrupted earlier continues from its checkpoint (fresh if none)
  "$KGFT" embed "$@" --out "$OUT/$name" --threads 1 --resume -q 2>>"$OUT/stderr.log"
  echo "  $name: $(( $(date +%s) - t0 )) s" | tee -a "$OUT/commands.log"
}
SMALL=(umls kinship nations)
small_transe() {
  for ds in "${SMALL[@]}"; do
    run "$ds-transe" --triples "$D/kge-small/$ds" --model transe --dim 100 --epochs 100 --neg 16 --batch-size 512 --lr 0.01 --eval-every 10
  done
}
wn18rr_transe() {
  run "wn18rr-transe" --triples "$D/wn18rr" --model transe --dim 100 --epochs 20 --neg 16 --batch-size 1000 --lr 0.01 --eval-every 10
}
fast() {
  small_transe
  for ds in "${SMALL[@]}"; do
    T=(--triples "$D/kge-small/$ds")
    run "$ds-distmult" "${T[@]}" --model distmult --dim 100 --epochs 60 --loss 1vsall --batch-size 256 --lr 0.01 --regularizer n3 --reg-weight 0.005 --eval-every 10
    run "$ds-complex"  "${T[@]}" --model complex  --dim 100 --epochs 60 --loss 1vsall --batch-size 256 --lr 0.01 --regularizer n3 --reg-weight 0.005 --eval-every 10
  done
}
slow() {
  for ds in "${SMALL[@]}"; do
    T=(--triples "$D/kge-small/$ds")
    run "$ds-rotate"   "${T[@]}" --model rotate   --dim 100 --epochs 40 --neg 32 --batch-size 512 --margin 6 --lr 0.01 --eval-every 10
    run "$ds-rgcn"     "${T[@]}" --model rgcn     --dim 100 --epochs 100 --neg 16 --batch-size 100000 --lr 0.01 --eval-every 10
  done
}
wn18rr() {
  wn18rr_transe
  T=(--triples "$D/wn18rr")
  run "wn18rr-complex" "${T[@]}" --model complex --dim 64 --epochs 6 --loss 1vsall --batch-size 512 --lr 0.01 --regularizer n3 --reg-weight 0.005 --eval-every 2
  run "wn18rr-distmult" "${T[@]}" --model distmult --dim 128 --epochs 6 --loss 1vsall --batch-size 512 --lr 0.01 --regularizer n3 --reg-weight 0.005 --eval-every 2
}
case "$WHAT" in
  small) fast; slow ;;
  wn18rr) wn18rr ;;
  transe) small_transe; wn18rr_transe ;;
  all) fast; wn18rr; slow ;;
esac
.venv/bin/python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("| run | MRR | MRR seen only | H@1 | H@3 | H@10 | MR | epochs (best) | train triples/s |")
print("|---|---|---|---|---|---|---|---|---|")
for p in sorted(out.glob("*/metrics.json")):
    m = json.loads(p.read_text())
    seen = m.get("seen_only", {}).get("mrr", m["mrr"])
    print(f"| {p.parent.name} | {m['mrr']:.3f} | {seen:.3f} | {m['hits@1']:.3f} | {m['hits@3']:.3f} | {m['hits@10']:.3f} "
          f"| {m['mean_rank']:.1f} | {m['epochs_run']} ({m['best_epoch']}) | {m['triples_per_second']:,.0f} |")
PY
