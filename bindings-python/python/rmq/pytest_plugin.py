"""pytest plugin (registered through the ``pytest11`` entry point): the ``rmq_broker``
fixture, a fresh in-process ``MiniBroker`` per test, configured by the
``@pytest.mark.rmq_broker(...)`` marker (``MiniBroker``'s keyword arguments), and
``rmq_config``, a ``ClientConfig`` pointing at it."""

from typing import Iterator

import pytest

from ._config import ClientConfig
from .testing import MiniBroker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "rmq_broker(**kwargs): MiniBroker arguments for the rmq_broker fixture")


@pytest.fixture
def rmq_broker(request: pytest.FixtureRequest) -> Iterator[MiniBroker]:
    marker = request.node.get_closest_marker("rmq_broker")
    kwargs = dict(marker.kwargs) if marker else {}
    broker = MiniBroker(**kwargs)
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def rmq_config(rmq_broker: MiniBroker) -> ClientConfig:
    return ClientConfig(rmq_broker.endpoint)
