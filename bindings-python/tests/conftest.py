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
    """Receives until `n` distinct messages arrived (a copy redelivered meanwhile, once its
    invisible time ran out, is not counted twice) or `timeout` passed."""
    got: List[rmq.MessageView] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        for view in consumer.receive(32, invisible):
            if all(seen.message_id != view.message_id for seen in got):
                got.append(view)
    return got


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
