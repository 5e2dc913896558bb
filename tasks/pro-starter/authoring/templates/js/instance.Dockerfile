FROM base_{image_base}

ENV TEST_ENV=development

COPY . /app
WORKDIR /app
RUN git reset --hard {base_commit} \
 && git clean -fdx \
 && git checkout {base_commit}
RUN npm ci --no-audit
