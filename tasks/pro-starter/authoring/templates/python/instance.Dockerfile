FROM base_{image_base}

ENV PYTEST_ADDOPTS="--tb=short"

COPY . /app
WORKDIR /app
RUN git reset --hard {base_commit} \
 && git clean -fdx \
 && git checkout {base_commit}
