# syntax=docker/dockerfile:1
# Review Bot: the webhook/API service, the Celery worker and the CLI in one image.
#   docker build -t review-bot .
#   docker run --rm review-bot review --help
# Stage 1 builds wheels (compilers live here only); stage 2 installs them and nothing else.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
# the package version this image installs (a test keeps it equal to review_bot.__version__)
ARG REVIEW_BOT_VERSION=0.2.0

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md LICENSE ./
COPY review_bot ./review_bot
RUN pip wheel --wheel-dir /wheels ".[semgrep]"

FROM ${PYTHON_IMAGE} AS runtime
ARG REVIEW_BOT_VERSION
LABEL org.opencontainers.image.title="review-bot" \
      org.opencontainers.image.description="Multi-agent code review on real static-analysis tools" \
      org.opencontainers.image.licenses="MIT"
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    XDG_STATE_HOME=/var/lib/review-bot/state XDG_CACHE_HOME=/var/lib/review-bot/cache \
    REVIEW_BOT_PORT=8080
# git reads the reviewed repository; shellcheck is the shell analyzer; tini reaps tool processes
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        git=1:2.39.5-0+deb12u3 shellcheck=0.9.0-1 tini=0.19.0-1+b3 \
        ca-certificates=20250419~deb12u2 \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels "review-bot-orchestrator[semgrep]==${REVIEW_BOT_VERSION}"
RUN groupadd --system --gid 10001 reviewbot \
    && useradd --system --uid 10001 --gid reviewbot --home-dir /var/lib/review-bot \
       --create-home --shell /usr/sbin/nologin reviewbot
COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/review-bot-entrypoint
USER 10001:10001
WORKDIR /var/lib/review-bot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["review-bot-entrypoint", "healthcheck"]
ENTRYPOINT ["tini", "--", "review-bot-entrypoint"]
CMD ["serve"]
