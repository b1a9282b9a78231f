"""Pure, typed KPI, SPC and statistics code. No streamlit, no connections of its own."""
