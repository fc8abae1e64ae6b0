# mimic in a container: `mimic up` (AAD, ARM, one IMDS per VM) in one process, reachable from the
# host. docker-compose.yml runs the same image as separate services instead. See README, "In a
# container".
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p mimic

FROM debian:bookworm-slim
COPY --from=build /src/target/release/mimic /usr/local/bin/mimic
ENV MIMIC_DATA_DIR=/data
# Names for the server certificate besides localhost/127.0.0.1/::1: the host name clients use
# (`docker run -e MIMIC_TLS_NAMES=mimic.example`); an existing volume gets a new certificate from
# its CA when a name is missing. AAD's user-realm listener binds 0.0.0.0:443 (for `az login -u`
# only; publish it with -p 127.0.0.1:443:443 if needed).
ENV MIMIC_TLS_NAMES=localhost
VOLUME /data
EXPOSE 8443 8444
HEALTHCHECK --interval=5s --timeout=5s --retries=30 CMD ["mimic", "healthcheck", "https://127.0.0.1:8443/healthz"]
# ARM and AAD on every interface of the container (`--listen`); the internal API still answers
# loopback peers only. IMDS stays on the container's loopback unless `-e MIMIC_IMDS_LISTEN=0.0.0.0`,
# which puts the VMs' IMDS on fixed ports 50400, 50401, … by ARM id (MIMIC_IMDS_BASE_PORT).
# Exec form: mimic is PID 1 and gets SIGTERM from `docker stop` (a clean stop).
CMD ["mimic", "up", "--listen", "0.0.0.0"]
