# mimic in a container: one image, each service started by its own subcommand (see docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p mimic

FROM debian:bookworm-slim
COPY --from=build /src/target/release/mimic /usr/local/bin/mimic
ENV MIMIC_DATA_DIR=/data
VOLUME /data
