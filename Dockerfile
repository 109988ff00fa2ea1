# syntax=docker/dockerfile:1
#
# The Frontdesk image: `frontdesk serve` (the default command) and `frontdesk ingest`,
# with the built widget, the bundled embedding model, kb_articles/ and prompts.yaml.
#
#   docker build -t frontdesk .
#
# compose.yaml runs it scaled out: PostgreSQL, Redis, a Chroma server, two server
# replicas behind a load balancer and a one-shot ingest.

ARG PYTHON_VERSION=3.11
ARG NODE_VERSION=22

# -- widget: widget/dist/widget.js and panel.js (as `make install` builds them) ----------
FROM node:${NODE_VERSION}-slim AS widget
WORKDIR /src
COPY widget/package.json widget/package-lock.json widget/
RUN npm ci --prefix widget --no-audit --no-fund --loglevel=error
COPY widget/build.mjs widget/
COPY widget/src widget/src
RUN npm run --prefix widget build

# -- build: a virtualenv in /opt/venv with torch (CPU), the dependencies and Frontdesk ---
FROM python:${PYTHON_VERSION}-slim AS build
# torch goes in first, from the CPU wheel index: PyPI's Linux wheels of torch depend on
# the CUDA libraries (gigabytes the server never uses). To take torch from PyPI or from
# your own mirror instead, build with --build-arg TORCH_INDEX_URL= (empty).
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# (torch is pinned, through TORCH_VERSION)
# hadolint ignore=DL3013
RUN python -m venv /opt/venv \
 && pip install "torch==${TORCH_VERSION}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
 && echo "torch==${TORCH_VERSION}" > /tmp/constraints.txt

# The dependencies from pyproject.toml on their own layer, so a code change does not
# download them again; the constraint keeps the CPU torch from being replaced.
COPY pyproject.toml README.md /src/
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt -c /tmp/constraints.txt

# Frontdesk itself, installed (not editable) with its package data: migrations,
# templates, the dashboard's and the demo's static files.
COPY server /src/server
COPY ingest /src/ingest
# hadolint ignore=DL3013
RUN pip install --no-deps /src

# The server reads the widget from ../widget/dist/ (widget.js, panel.js) beside its package
# (server/host/widget_asset.py): for an installed package that is under site-packages.
COPY --from=widget /src/widget/dist/widget.js /src/widget/dist/panel.js /tmp/widget/
RUN target="$(python -c 'from server.host.widget_asset import WIDGET_FILE; print(WIDGET_FILE)')" \
 && mkdir -p "$(dirname "$target")" \
 && cp /tmp/widget/widget.js /tmp/widget/panel.js "$(dirname "$target")" \
 && echo "widget: $(dirname "$target")"

# -- runtime --------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim
# (TOKENIZERS_PARALLELISM is no secret)
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    FRONTDESK_HOST=0.0.0.0 \
    FRONTDESK_PORT=8000 \
    FRONTDESK_LOG_FORMAT=json \
    FRONTDESK_KB_DIR=/app/kb_articles \
    FRONTDESK_PROMPTS_FILE=/app/prompts.yaml \
    FRONTDESK_DATA_DIR=/data

# /data/sessions is where the dashboard keeps its login sessions (<data dir>/sessions): made
# here so a volume mounted on it starts owned by the frontdesk user
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/frontdesk \
        --shell /usr/sbin/nologin frontdesk \
 && mkdir -p /data/sessions \
 && chown -R frontdesk:frontdesk /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY kb_articles/ kb_articles/
COPY prompts.yaml ./

# /data (FRONTDESK_DATA_DIR) must be writable: dashboard sessions, the ingest lock, the
# metrics of several workers and, without FRONTDESK_CHROMA_URL / FRONTDESK_DATABASE_URL,
# the index and the SQLite database. Mount a volume there to keep them.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FRONTDESK_PORT', '8000'), timeout=4)"]
CMD ["frontdesk", "serve"]
