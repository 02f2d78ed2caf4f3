#!/bin/sh
# The shared libraries the im-* binaries need at run time, from Debian 12, and
# nothing else. Used by both im.Dockerfile and im-prebuilt.Dockerfile so the
# two runtime images are the same.
set -eu
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  libgrpc++1.51 libprotobuf32 libhiredis0.14 libmariadb3 libspdlog1.10 libsodium23 \
  libedit2 libtomlplusplus3 libssl3 openssl ca-certificates
rm -rf /var/lib/apt/lists/*
