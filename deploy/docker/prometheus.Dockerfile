# Prometheus from Debian with the cluster's scrape config and alert rules.
# Build context: the repository root.
FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/prometheus && chown prometheus:prometheus /var/lib/prometheus
COPY deploy/prometheus/prometheus.yml deploy/prometheus/alerts.yml /etc/prometheus/
VOLUME /var/lib/prometheus
EXPOSE 9090
USER prometheus
CMD ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", \
     "--storage.tsdb.path=/var/lib/prometheus", "--web.listen-address=0.0.0.0:9090"]
