import pytest

import rapport_webhooks
from tests.receiver import Receiver


@pytest.fixture
def rapport_plugins():
    return [("rapport-webhooks", rapport_webhooks)]


@pytest.fixture
def receiver():
    """A local HTTP receiver on a free port; stop() and start() it to be "down" for a while."""
    server = Receiver()
    server.start()
    yield server
    server.stop()
