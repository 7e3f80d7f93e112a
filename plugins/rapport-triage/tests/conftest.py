import pytest

import rapport_triage


@pytest.fixture
def rapport_plugins():
    return [("rapport-triage", rapport_triage)]
