# ocrq in a container: `docker build -t ocrq .`, then `docker run --rm -v "$PWD:/data" ocrq submit /data/in --out /data/m.jsonl`.
# The image holds Node 20, ocrq's compiled code and its production dependencies only (the English OCR data comes
# with them); nothing is downloaded at run time. README "Running on many machines" shows it in a Kubernetes
# Indexed Job (deploy/kubernetes/) and a CI matrix (deploy/github-actions/).
#
# `--engine native` needs the system's Tesseract (4.1 or later), which this image leaves out to stay small. Build an
# image on top of it that adds Debian's packages (one tesseract-ocr-<lang> per extra language):
#   FROM ocrq
#   USER root
#   RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr && rm -rf /var/lib/apt/lists/*
#   USER node

# Build stage: every dependency, the TypeScript compiler, and the package packed as npm would publish it.
FROM node:20-slim AS build
# tini, which the run stage takes as PID 1 (below).
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md ./
COPY bin ./bin
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /pack \
 && mkdir /app \
 && tar -xzf /pack/ocrq-*.tgz -C /app --strip-components=1 \
 && cp package-lock.json /app/

# Run stage: the packed files and the production dependencies, pinned by the lockfile; then npm, npx, corepack and
# yarn are removed, so no package manager or build tool is left in the image.
FROM node:20-slim
ENV NODE_ENV=production
# tini is PID 1: it passes signals on to ocrq and reaps what ocrq's page workers leave when they are killed (a native
# tesseract), which Node as PID 1 would keep as zombies until the run ends.
COPY --from=build /usr/bin/tini-static /usr/bin/tini
WORKDIR /opt/ocrq
COPY --from=build /app ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -f package-lock.json \
 && npm cache clean --force \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg /root/.npm \
 && chmod 755 /opt/ocrq/bin/ocrq.js \
 && ln -s /opt/ocrq/bin/ocrq.js /usr/local/bin/ocrq
# The unprivileged user of the base image; give it write access to the volumes it writes manifests to.
USER node
WORKDIR /data
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/ocrq/bin/ocrq.js"]
CMD ["--help"]
