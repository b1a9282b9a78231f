"""The kinds of pack, by name: a module of its own so the command line can offer them without
importing the pack builders and renderers (``reports.build`` re-exports it)."""

KINDS: dict[str, str] = {
    "board": "Quarterly QA and Learning Board pack",
    "contract": "Monthly contract pack",
    "epop": "EPOP regional progress report",
}
