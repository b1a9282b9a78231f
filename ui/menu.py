"""The signed-in sidebar menu: every page the role may use, grouped under headings.

Streamlit's own sectioned navigation was replaced (issue 19): it put ``<div>`` section wrappers
inside its ``<ul>`` (invalid list markup that axe-core reports as serious on every page) and
folded a long menu behind "View N more". Here the pages are registered with
``st.navigation(position="hidden")`` (so access control is unchanged: a page the role may not
use is never registered, ``ui.navigation.pages_for``) and the menu is drawn as headings and
``st.page_link``s: plain links in document order, each reachable with Tab and followed with Enter,
all of them shown. The current page is shaded and bold (Streamlit's page link) and carries
``aria-current="page"`` for screen readers (set by a few lines of script, as Streamlit's page link
has no such attribute).
"""

from __future__ import annotations

import html
import json

import streamlit as st

from ui import navigation

#: The container's key; Streamlit gives the container the class ``st-key-site_menu``.
MENU_KEY = "site_menu"
LINK_SELECTOR = f'.st-key-{MENU_KEY} a[data-testid="stPageLink-NavLink"]'

_STYLE = f"""<style>
.st-key-{MENU_KEY} {{ gap: 0.25rem; }}
.st-key-{MENU_KEY} a[data-testid="stPageLink-NavLink"] {{ min-height: 2rem; margin: 0; }}
.st-key-{MENU_KEY} h2.site-menu-heading {{ font-size: 0.8rem; font-weight: 600; text-transform: uppercase;
  letter-spacing: 0.04em; color: rgb(49, 51, 63); margin: 0.9rem 0 0.15rem 0.5rem; padding: 0; }}
.st-key-{MENU_KEY} a[data-testid="stPageLink-NavLink"]:focus-visible {{ outline: 3px solid #ffdd00;
  outline-offset: 0; box-shadow: inset 0 0 0 2px #0b0c0c; }}
</style>"""

# Marks the link of the page being shown with aria-current="page", again whenever Streamlit
# redraws the sidebar (a MutationObserver; the attribute is not one React manages, so a redraw
# of the same link keeps it and a new link gets it).
_MARK_CURRENT = """<script>
(() => {
  window.gmCurrentPage = %s;
  const mark = () => document.querySelectorAll(%s).forEach((a) => {
    const label = a.querySelector('[data-testid="stMarkdownContainer"]');
    if (label && label.textContent.trim() === window.gmCurrentPage) { if (a.getAttribute('aria-current') !== 'page') a.setAttribute('aria-current', 'page'); }
    else if (a.hasAttribute('aria-current')) a.removeAttribute('aria-current');
  });
  mark();
  if (!window.gmMenuObserver) {
    window.gmMenuObserver = new MutationObserver(mark);
    window.gmMenuObserver.observe(document.body, {childList: true, subtree: true});
  }
})();
</script>"""


def _js(value: str) -> str:
    return json.dumps(value).replace("</", "<\\/")


def navigate(role: str):
    """Register ``role``'s pages (hidden from Streamlit's own menu), draw the sidebar menu, and
    return the page to run (``.run()`` it after the shared filters)."""
    landing = navigation.landing_page(role)
    sections = {section: [(spec, st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                                         default=spec == landing)) for spec in specs]
                for section, specs in navigation.pages_for(role).items()}
    current = st.navigation({section: [page for _, page in entries] for section, entries in sections.items()},
                            position="hidden")
    with st.sidebar.container(key=MENU_KEY):
        st.html(_STYLE)
        for section, entries in sections.items():
            st.html(f'<h2 class="site-menu-heading">{html.escape(section)}</h2>')
            for spec, page in entries:
                st.page_link(page, label=spec.title)
        st.html(_MARK_CURRENT % (_js(current.title), _js(LINK_SELECTOR)), unsafe_allow_javascript=True)
    return current
