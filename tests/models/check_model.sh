#!/bin/sh
# check_model.sh <model.pml> <work dir> <spin> <C compiler>: checks one Promela model.
#
# Runs `spin -a`, compiles the verifier and runs it in <work dir>; passes only if the verifier
# reports "errors: 0". A model whose header has a line starting "// ltl" is checked for its LTL
# claims (acceptance cycles, `pan -a`); the others in safety mode (-DSAFETY: assertions and
# invalid end states, i.e. deadlocks and lost wake-ups). Exits 77 (ctest's skip code) when
# spin or a C compiler is missing.
model=$1
work=$2
spin=$3
cc=$4
if [ -z "$spin" ] || ! command -v "$spin" >/dev/null 2>&1; then
  echo "spin not found: skipping $model"
  exit 77
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
  echo "no C compiler found: skipping $model"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$model" model.pml || exit 1
"$spin" -a model.pml || exit 1
if sed -n '1,40p' model.pml | grep -q '^// ltl'; then
  "$cc" -O2 -o pan pan.c || exit 1
  ./pan -a -m100000 > pan.out 2>&1
else
  "$cc" -O2 -DSAFETY -o pan pan.c || exit 1
  ./pan -m100000 > pan.out 2>&1
fi
cat pan.out
if grep -q 'errors: 0$' pan.out && ! grep -q 'max search depth too small' pan.out; then
  exit 0
fi
echo "FAILED: $model (the trail is in $work)"
exit 1
