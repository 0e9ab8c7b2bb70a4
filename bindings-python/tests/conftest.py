import itertools
import time
from typing import Callable, List

import pytest

import rmq

_ids = itertools.count()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names unique within the run (groups and tags), so tests never share state."""
    return lambda prefix: f"{prefix}-{next(_ids)}"


def receive_n(consumer: "rmq.SimpleConsumer", n: int, invisible: float = 30.0,
              timeout: float = 20.0) -> List["rmq.MessageView"]:
    got: List[rmq.MessageView] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got.extend(consumer.receive(32, invisible))
    return got


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
