#!/bin/sh
# Installs the Debian 12 packages Pianola builds, trains and tests with.
# Idempotent: packages already present are left alone. Run as root.
set -eu

packages="
  gcc pkg-config python3
  lv2-dev liblilv-dev lilv-utils sordi
  libfluidsynth-dev fluid-soundfont-gm timgm6mb-soundfont
  libsmf-dev libsndfile1-dev
  libcairo2-dev libx11-dev
  python3-torch python3-numpy python3-matplotlib
  valgrind xvfb jalv jackd2 ardour
  clang libclang-rt-14-dev
"

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $package"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # jackd2 asks about real-time priority; a non-interactive install keeps the default.
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
