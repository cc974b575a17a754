"""The machine catalog from Python: one machine name belongs to one catalog machine, and a
new version keeps the name and strands no stored entity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator.db.catalog import Catalog, CatalogError
from pystator.db.database import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V1 = (FIXTURES / "evolve_v1.yaml").read_text()
V2 = (FIXTURES / "evolve_v2.yaml").read_text()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    database = Database(f"sqlite:///{tmp_path / 'catalog.db'}").connect()
    yield Catalog(database)
    database.close()


def test_a_second_machine_under_a_taken_name_is_refused(catalog: Catalog) -> None:
    catalog.create(V1)
    with pytest.raises(CatalogError) as refused:
        catalog.create(V1.replace('version: "1.0"', 'version: "1.1"'), "ticket_copy")
    assert refused.value.status == 409
    assert "machine name 'ticket' belongs to catalog machine 'ticket'" in refused.value.message
    assert [stored.id for stored in catalog.list()] == ["ticket"]


def test_a_compatible_new_version_is_an_update_of_the_same_machine(catalog: Catalog) -> None:
    catalog.create(V1)
    compatible = V1.replace('version: "1.0"', 'version: "1.1"').replace(
        "  - {name: closed, type: terminal}",
        "  - {name: escalated}\n  - {name: closed, type: terminal}",
    )
    stored = catalog.update("ticket", compatible)
    assert (stored.version, catalog.owner("ticket").id) == (2, "ticket")  # type: ignore[union-attr]


def test_a_version_that_strands_entities_is_refused_naming_the_state(catalog: Catalog) -> None:
    catalog.create(V1)
    with pytest.raises(CatalogError, match="removed state 'waiting_customer'") as refused:
        catalog.update("ticket", V2)
    assert refused.value.status == 409
    assert catalog.get("ticket").version == 1


def test_a_version_under_another_machine_name_is_refused(catalog: Catalog) -> None:
    catalog.create(V1)
    with pytest.raises(CatalogError, match=r"keep meta\.machine_name: ticket"):
        catalog.update("ticket", V1.replace("machine_name: ticket", "machine_name: issue"))
