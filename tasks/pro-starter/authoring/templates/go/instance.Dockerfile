FROM base_{image_base}

ENV GO111MODULE=on

COPY . /app
WORKDIR /app
RUN git reset --hard {base_commit} \
 && git clean -fdx \
 && git checkout {base_commit}
RUN go build ./... && go vet ./...
