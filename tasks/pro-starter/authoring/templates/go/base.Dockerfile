FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git golang-go \
 && rm -rf /var/lib/apt/lists/*

ENV PATH="/usr/lib/go-1.19/bin:${PATH}"
ENV GOPATH=/tmp/gopath
ENV GOCACHE=/tmp/gocache
ENV GOPROXY=off
ENV GOTOOLCHAIN=local
ENV CGO_ENABLED=0

RUN git config --system --add safe.directory '*'
WORKDIR /app
