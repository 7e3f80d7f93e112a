import pytest

import rapport_example


@pytest.fixture
def rapport_plugins():
    """The plugin under test, under the name its entry point gives it."""
    return [("rapport-example", rapport_example)]


@pytest.fixture(autouse=True)
def forget_received():
    rapport_example.received.clear()
