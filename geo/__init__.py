"""Boundaries, crosswalks, hub geometry and pydeck layer builders.

Run-time API (reads only the committed ``assets/geo/`` files; no build packages):

* ``geo.boundaries``: ``load_authorities``, ``load_pdus``, ``load_regions``,
  ``load_gm_boroughs``, ``load_gm_demand_units``, ``load_crosswalk``
* ``geo.postcodes``: ``resolve_postcode``, ``validate_hub_location``, ``hub_location_issues``,
  ``borough_at``, ``load_gm_postcodes``
* ``geo.reach``: ``reach_for`` / ``precompute_reach`` (once per set of hub positions),
  ``reach_by_borough``, ``reach_cells``, ``nearest_hub_km``
* ``geo.layers``: band schemes, ``choropleth_layer``, ``hub_layer``, ``reach_layer``,
  ``outline_layer``, ``label_layer``, ``build_deck`` (no basemap unless asked); options
  reach deck.gl as literals, only accessors as expressions
* ``geo.maps``: ``gm_map`` (with a ``PduSet``) and ``regions_map`` →
  ``MapFigure(deck, table, legend, notes, details, …)``
* ``geo.pdu_sets``: PDUs with the dates they are in force (``pdu_spans``, ``pdu_set_on``) and
  the dated GM borough ↔ PDU crosswalk (``borough_pdu_crosswalk``), from the reference CSVs;
  the database's copy is read with ``data_access.geography.pdus_in_force(db, on)``

Build (``python -m geo build``, needs ``requirements-geo-build.txt``): ``geo.build``.
"""

from geo.paths import ATTRIBUTION

__all__ = ["ATTRIBUTION"]
