"""Which pages each role may use. A page a role may not use is never registered with
``st.navigation``, so it cannot be reached by URL either."""

from __future__ import annotations

from dataclasses import dataclass

from data_access.settings import PROJECT_ROOT

COMMISSIONING = frozenset({"commissioner", "admin"})
CASE_DATA = frozenset({"commissioner", "provider", "admin"})
EPOP = frozenset({"epop_spoc", "epop_national", "admin"})
EVERYONE = frozenset({"commissioner", "provider", "epop_spoc", "epop_national", "admin"})


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    section: str
    roles: frozenset[str]
    icon: str = ":material/article:"
    url_path: str | None = None


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/overview.py", "Overview", "GMIRS", CASE_DATA, ":material/home:", "overview"),
    PageSpec("app_pages/board_summary.py", "Board summary", "GMIRS", COMMISSIONING, ":material/summarize:", "board"),
    PageSpec("app_pages/referrals.py", "Referrals and forecast", "GMIRS", CASE_DATA, ":material/trending_up:", "referrals"),
    PageSpec("app_pages/complexity.py", "Complexity", "GMIRS", CASE_DATA, ":material/stacked_bar_chart:", "complexity"),
    PageSpec("app_pages/kpis.py", "KPIs and service levels", "GMIRS", CASE_DATA, ":material/speed:", "kpis"),
    PageSpec("app_pages/cases_due.py", "Cases due", "GMIRS", CASE_DATA, ":material/event_upcoming:", "cases-due"),
    PageSpec("app_pages/compare.py", "Compare areas", "GMIRS", CASE_DATA, ":material/compare_arrows:", "compare"),
    PageSpec("app_pages/outcomes.py", "Distance travelled and outcomes", "GMIRS", CASE_DATA, ":material/route:", "outcomes"),
    PageSpec("app_pages/equalities.py", "Equalities", "GMIRS", CASE_DATA, ":material/diversity_3:", "equalities"),
    PageSpec("app_pages/finance.py", "Finance", "GMIRS", CASE_DATA, ":material/payments:", "finance"),
    PageSpec("app_pages/data_quality.py", "Data quality", "GMIRS", CASE_DATA, ":material/fact_check:", "data-quality"),
    PageSpec("app_pages/reconciliation.py", "Reconciliation", "GMIRS", CASE_DATA, ":material/rule:", "reconciliation"),
    PageSpec("app_pages/maps.py", "Maps", "Places", EVERYONE, ":material/map:", "maps"),
    PageSpec("app_pages/epop_national.py", "EPOP national view", "EPOP", EPOP, ":material/public:", "epop-national"),
    PageSpec("app_pages/epop_region.py", "My region's EPOP plan", "EPOP", EPOP, ":material/flag:", "epop-region"),
    PageSpec("app_pages/epop_inspection.py", "Inspection responses", "EPOP", EPOP | COMMISSIONING, ":material/gavel:", "inspection"),
    PageSpec("app_pages/board_packs.py", "Board packs", "Reports", EVERYONE, ":material/slideshow:", "packs"),
    PageSpec("app_pages/upload.py", "Upload data", "Data", CASE_DATA, ":material/upload_file:", "upload"),
    PageSpec("app_pages/admin.py", "Admin", "Admin", frozenset({"admin"}), ":material/admin_panel_settings:", "admin"),
    PageSpec("app_pages/accessibility.py", "Accessibility statement", "Help", EVERYONE, ":material/accessibility:",
             "accessibility"),
)


def pages_for(role: str, *, only_existing: bool = True) -> dict[str, list[PageSpec]]:
    """The pages ``role`` may use, by section, in menu order. Unknown role: none.

    A page whose file is not in this build is left out rather than shown broken.
    """
    sections: dict[str, list[PageSpec]] = {}
    for spec in PAGES:
        if role in spec.roles and (not only_existing or (PROJECT_ROOT / spec.path).exists()):
            sections.setdefault(spec.section, []).append(spec)
    return sections


#: Where a role lands after signing in, if not on its first page in menu order: the EPOP
#: roles on their plan (issue 18: they landed on Maps, the first page they may use).
LANDING = {"epop_spoc": "app_pages/epop_region.py", "epop_national": "app_pages/epop_national.py"}


def landing_page(role: str) -> PageSpec | None:
    """The page ``role`` sees first after signing in (the navigation's default page)."""
    specs = [spec for section in pages_for(role).values() for spec in section]
    return next((spec for spec in specs if spec.path == LANDING.get(role)), specs[0] if specs else None)


def url_paths() -> list[str]:
    """Every page's address, whoever may use it."""
    return [spec.url_path for spec in PAGES if spec.url_path]
