# The same runtime image as im.Dockerfile, from binaries already built on a
# Debian 12 host: what deploy/compose_test.sh uses (no second build inside
# Docker). Build context: a directory holding bin/ (the stripped binaries),
# config/ (deploy/config) and install-runtime.sh. Runs as nobody.
FROM debian:12
COPY install-runtime.sh /tmp/install-runtime.sh
RUN /tmp/install-runtime.sh && rm /tmp/install-runtime.sh
COPY bin/ /usr/local/bin/
COPY config /etc/im
USER nobody
