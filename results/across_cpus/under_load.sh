#!/usr/bin/env bash
# Does a run depend on how busy the machine is? In a clean clone with an empty runs/, run `make run` (default
# profile, every model trained afresh) while another CPU-bound process holds one core, then compare every table of
# the committed default reference (results/default/) with this run's, byte for byte. With a core taken, the kernel
# starts with one torch thread and training runs one job at a time, where the reference had two of each.
#
#   bash results/across_cpus/under_load.sh     (in a clean clone with Liang et al.'s embeddings in
#                                              data/external/modality-gap; about 13 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -e runs/models ]; then echo "runs/models exists: run this in a clean clone, so that every model trains" >&2; exit 2; fi
if [ ! -e data/external/modality-gap/features_clip.npy ]; then  # as bash .ci/run links them
  echo "notebook 09's reference tables come from the real embeddings: put them in data/external/modality-gap (README)" >&2
  exit 2
fi
python3 -c "while True: pass" &
hog=$!
trap 'kill $hog 2>/dev/null || true' EXIT
sleep 1
make run
n=0; differ=0
for f in $(cd results/default && find . -name "*.csv" -path "./0*" | sort); do
  n=$((n + 1))
  cmp -s "runs/$f" "results/default/$f" || { differ=$((differ + 1)); echo "differs: $f"; }
done
echo "[under_load] $n tables of results/default compared with this run under load: $differ differ"
