# The three daemons and im-cli in one image; docker-compose picks the command.
# Build context: the repository root.
FROM debian:12 AS build
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target im-storage im-logic im-access im-cli

FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libhiredis0.14 libmariadb3 libspdlog1.10 libsodium23 \
      libedit2 libtomlplusplus3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/storage/im-storage /build/logic/im-logic /build/access/im-access \
     /build/client-cli/im-cli /usr/local/bin/
COPY deploy/config /etc/im
USER nobody
