# MariaDB from Debian with the project's settings (durable commits).
# Build context: the repository root.
FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
COPY deploy/mariadb/im.cnf /etc/mysql/mariadb.conf.d/99-im.cnf
COPY deploy/docker/mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint.sh
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint.sh"]
