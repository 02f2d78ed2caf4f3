# The three daemons, im-cli and im-health in one image, compiled inside it
# (a clean build takes ~15 minutes on 2 cores); docker-compose picks the
# command. Build context: the repository root. Runs as nobody.
FROM debian:12 AS build
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target im-storage im-logic im-access im-cli im-health \
 && mkdir /out && cp /build/storage/im-storage /build/logic/im-logic /build/access/im-access \
      /build/client-cli/im-cli /build/deploy/im-health /out/ && strip /out/*

FROM debian:12
COPY deploy/docker/install-runtime.sh /tmp/install-runtime.sh
RUN /tmp/install-runtime.sh && rm /tmp/install-runtime.sh
COPY --from=build /out/ /usr/local/bin/
COPY deploy/make-dev-certs.sh /usr/local/bin/
COPY deploy/config /etc/im
USER nobody
