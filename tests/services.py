"""The real servers the assistant's tests use (PostgreSQL, Redis, RabbitMQ on 127.0.0.1): reachable or not.

Where BOTTEGA_REQUIRE_SERVICES=1 (CI), a server that cannot be reached fails the test; elsewhere the
test is skipped with the reason in pytest's summary, never silently.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import psycopg2
import pytest
import redis

REQUIRE_SERVICES = os.environ.get("BOTTEGA_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN = os.environ.get("BOTTEGA_TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}"
RABBITMQ_URL = os.environ.get("BOTTEGA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def service_missing(name: str, problem: Exception, what: str = "this test") -> NoReturn:
    message = f"{name} is not reachable ({type(problem).__name__}: {problem})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and BOTTEGA_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(f"{message}: {what} NOT RUN")


@contextmanager
def postgres_database(prefix: str = "bottega_test") -> Iterator[str]:
    """A new, empty PostgreSQL database for the test, dropped after it: its name."""
    try:
        admin = psycopg2.connect(POSTGRES_ADMIN, connect_timeout=3)
    except psycopg2.Error as problem:
        service_missing("PostgreSQL", problem)
    admin.autocommit = True
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')  # name is ours: hex only
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_url(database: str) -> str:
    """The SQLAlchemy URL of `database` on the server POSTGRES_ADMIN names."""
    params = dict(part.split("=", 1) for part in POSTGRES_ADMIN.split())
    password = f":{params['password']}" if params.get("password") else ""
    return (f"postgresql://{params.get('user', 'postgres')}{password}@{params.get('host', '127.0.0.1')}:"
            f"{params.get('port', '5432')}/{database}")


def redis_client() -> redis.Redis:
    """A client of the local Redis, after a ping."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as problem:
        service_missing("Redis", problem)
    return client


def rabbitmq_url() -> str:
    """The local RabbitMQ's URL, once a connection to it has opened."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import aio_pika

    async def probe() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
        await connection.close()

    try:
        with ThreadPoolExecutor(1) as thread:  # callable from a test's running event loop too
            thread.submit(asyncio.run, probe()).result()
    except Exception as problem:  # aio-pika raises a dozen kinds of error on a refused connection
        service_missing("RabbitMQ", problem)
    return RABBITMQ_URL


async def rabbitmq_messages(queue: str) -> list[dict[str, Any]]:
    """Every message waiting in `queue` on the local RabbitMQ, as JSON, taken off the queue."""
    import aio_pika  # only the tests that read RabbitMQ need it

    connection = await aio_pika.connect(RABBITMQ_URL)
    channel = await connection.channel()
    declared = await channel.declare_queue(queue, durable=True)
    messages: list[dict[str, Any]] = []
    while (message := await declared.get(no_ack=True, fail=False)) is not None:
        messages.append(json.loads(message.body))
    await connection.close()
    return messages
