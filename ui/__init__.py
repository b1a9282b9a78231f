"""Streamlit glue shared by app.py and the pages: session keys, sign-in, navigation, filters,
page context and panel rendering. Pages stay thin by calling these and metrics/data_access.

(DEVELOPERS.md's layout has no folder for this; it is not a page, so it cannot live in
pages/, and it imports streamlit, so it cannot live in metrics/ or data_access/.)
"""
