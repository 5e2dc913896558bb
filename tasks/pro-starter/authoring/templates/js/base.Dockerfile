FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git nodejs npm \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=test
ENV npm_config_update_notifier=false
ENV npm_config_fund=false

RUN git config --system --add safe.directory '*'
WORKDIR /app
