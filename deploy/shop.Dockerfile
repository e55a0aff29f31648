# The shop service: Python 3.11 and the hashed lock shop/requirements.txt; `python -m app.cli serve`
# (migrations and the seed catalogue when the database is empty, then uvicorn) from shop/.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app/shop

COPY shop/requirements.txt requirements.txt
RUN pip install --no-deps --require-hashes -r requirements.txt

COPY shop/alembic.ini shop/log_config.json ./
COPY shop/app app

RUN useradd --system --uid 10001 --home-dir /app bottega
USER bottega
