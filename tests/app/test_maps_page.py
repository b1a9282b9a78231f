"""The Maps page through app.py, for every role that may open it."""

import json

import pytest

from data_access.settings import PROJECT_ROOT
from tests.app.conftest import signed_in_app
from ui.navigation import pages_for

MAPS = "app_pages/maps.py"
ROLES = {"commissioner": "commissioner", "provider": "provider", "spoc": "epop_spoc",
         "national": "epop_national", "admin": "admin"}


def _decks(at):
    return [json.loads(el.proto.json) for el in at.get("deck_gl_json_chart")]


@pytest.mark.parametrize("username", sorted(ROLES))
def test_maps_page_runs_for_every_role_that_may_use_it(app_env, username):
    assert MAPS in {s.path for specs in pages_for(ROLES[username]).values() for s in specs}
    at = signed_in_app(username, str(PROJECT_ROOT / MAPS)).run()
    assert not at.exception
    decks = _decks(at)
    assert decks, "at least the England and Wales map is drawn"
    for deck in decks:
        assert deck["layers"], "every map has layers"
        # No basemap by default, so the maps draw offline: no map provider is named.
        assert not deck.get("mapProvider"), deck.get("mapProvider")
    assert at.dataframe, "a table of the same figures sits beside each map"
    headers = " ".join(h.value for h in at.subheader)
    if ROLES[username] in {"commissioner", "provider", "admin"}:
        assert "Greater Manchester" in headers and len(decks) == 2
    else:
        assert "Greater Manchester" not in headers and len(decks) == 1


def test_reach_layer_is_off_until_asked_for(app_env):
    at = signed_in_app("commissioner", str(PROJECT_ROOT / MAPS)).run()
    layer_ids = [layer.get("id") for deck in _decks(at) for layer in deck["layers"]]
    assert not any("reach" in str(i) for i in layer_ids)
    at.toggle(key="maps_reach").set_value(True).run()
    layer_ids = [layer.get("id") for deck in _decks(at) for layer in deck["layers"]]
    assert any("reach" in str(i) for i in layer_ids)


def test_a_borough_chosen_in_the_filters_is_described_beside_the_map_which_keeps_every_borough(app_env):
    at = signed_in_app("commissioner", str(PROJECT_ROOT / MAPS)).run()
    at.selectbox(key="filter_borough").set_value("Wigan").run()
    assert not at.exception
    assert any(m.value == "**Wigan** (selected)" for m in at.markdown)
    gm = _decks(at)[0]
    units = next(layer for layer in gm["layers"] if layer["id"] == "gm_units")["data"]["features"]
    assert len(units) == 11, "the map still shows every demand unit"
    edges = {f["properties"]["name"]: f["properties"]["edge"] for f in units}
    assert edges["Wigan"] > edges["Bolton"]


def test_pdus_in_force_are_on_the_map_with_their_date(app_env):
    at = signed_in_app("commissioner", str(PROJECT_ROOT / MAPS)).run()
    layer_ids = [layer["id"] for layer in _decks(at)[0]["layers"]]
    assert "gm_pdus" in layer_ids
    assert any("PDUs in force on" in c.value for c in at.caption)
