import pytest

import rapport_sales_fields


@pytest.fixture
def rapport_plugins():
    return [("rapport-sales-fields", rapport_sales_fields)]
