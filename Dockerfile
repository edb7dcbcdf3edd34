# fitbit-sync: a slim, non-root image. Runs as any uid (the data volume may be owned by anyone:
# `docker run --user "$(id -u):0"` or compose `user:`); everything it writes is under /data.
#   docker build -t fitbit-sync .
#   docker run --rm -it -v fitbit-sync:/data fitbit-sync auth --no-browser
#   docker run -d -v fitbit-sync:/data --env-file .env fitbit-sync daemon
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres,parquet]"

FROM python:3.11-slim
LABEL org.opencontainers.image.title="fitbit-sync" \
      org.opencontainers.image.description="Fitbit / Pixel Watch data from the Google Health API and Takeout into SQLite, InfluxDB or PostgreSQL" \
      org.opencontainers.image.licenses="MIT"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    USER=fitbit-sync \
    LOGNAME=fitbit-sync \
    XDG_CONFIG_HOME=/data/config \
    XDG_DATA_HOME=/data/share \
    FITBIT_SYNC_DATA_DIR=/data \
    FITBIT_SYNC_TOKEN_FILE=/data/token.json
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-compile --no-index /wheels/*.whl \
 && mkdir -p /data \
 && chgrp 0 /data && chmod 2775 /data
# Group 0 owns /data and may write it, so an arbitrary uid with gid 0 (OpenShift style, or compose
# `user: "1234:0"`) works as well as the default 10001; no passwd entry is needed.
USER 10001:0
WORKDIR /data
VOLUME ["/data"]
# The store answers with the configured settings (also checks the settings themselves).
HEALTHCHECK --interval=5m --timeout=60s --start-period=30s --retries=3 \
  CMD ["python", "-c", "from fitbit_sync.config import load_settings; from fitbit_sync.stores.factory import open_store; open_store(load_settings()).close()"]
ENTRYPOINT ["fitbit-sync"]
CMD ["daemon"]
