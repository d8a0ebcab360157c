# What docs/speed.md ("On a GPU") reports, in one call of the device machine: the resume test on CUDA, every
# notebook in smoke mode on CUDA, and 05 and 03 at the default profile. Prepare here first:
#     .venv/bin/python benchmarks/gpu/prepare.py   (then carry .gpu and runs/cache; run from the repository root)
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH=$PWD
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
timeout 60 python3 -m pytest -q -p no:cacheprovider tests/test_training.py 2>&1 | tail -4 | tee $OUT/pytest_training_cuda.txt
for nb in 02_cmunet 03_marrnet_vs_baselines 04_occlusion 05_closing_the_gap 06_anatomy_of_the_gap 08_connecting_the_lines 09_real_models; do
  (MODGAP_SMOKE=1 NB_DEVICE=cuda timeout 60 python3 benchmarks/gpu/run_notebook.py $nb) > /tmp/smoke_$nb.txt 2>&1; echo "$nb rc=$?"
  grep -E "Error|NOTEBOOK_SECONDS" /tmp/smoke_$nb.txt | tail -3
done 2>&1 | tee $OUT/smoke_cuda.txt
for nb in 05_closing_the_gap 03_marrnet_vs_baselines; do
  (NB_DEVICE=cuda timeout 170 python3 benchmarks/gpu/run_notebook.py $nb) > $OUT/default_$nb.txt 2>&1; echo "$nb rc=$?"
  grep -E "NOTEBOOK_SECONDS|Error" $OUT/default_$nb.txt | tail -3
  cp runs/${nb}_gpu/results.csv $OUT/default_${nb}_results.csv 2>/dev/null
done
