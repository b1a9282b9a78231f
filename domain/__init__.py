"""The domain at the bottom of the house: the vocabulary and rules as data.

The KPI catalogue, the needs, the end-reason vocabularies, the EPOP vocabulary, the
working-day calendar and London dates. Everything in the project may import this package;
it imports nothing of the project (``tests/unit/test_layers.py``).
"""
