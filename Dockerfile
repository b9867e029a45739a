# See deploy/Dockerfile; kept at the top so `docker compose -f docker-compose.kafka.yml build` finds it.
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e .
USER nobody
