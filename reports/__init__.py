"""Board packs: the documents boards meet around (GMIRS specification §3.2, EPOP 000 §7).

A deliberate addition to the layout: building a pack reads the database through
``data_access`` scoping and ``metrics`` (never around them), then formats and writes files
(PowerPoint, PDF, Excel). File I/O and formatting do not belong in the pure ``metrics``
package, and pages stay thin by calling one function here.

* :mod:`reports.pack_data` arranges a pack from the panels ``metrics.panels`` computes for
  the pages (the same objects, so pack and page agree) into a :class:`reports.pack_data.Pack`
  (format-free);
* :mod:`reports.slides`, :mod:`reports.pdf` and :mod:`reports.workbook` render any Pack;
* :mod:`reports.board_pack`, :mod:`reports.contract_pack`, :mod:`reports.epop_report` are the
  entry points per kind, and :mod:`reports.build` picks one by kind and file extension
  (the ``python -m metrics pack`` command and the Board packs page both use it).
"""
