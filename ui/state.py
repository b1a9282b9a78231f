"""Every ``st.session_state`` key the app uses, in one place (UI state only)."""

USER = "signed_in_username"
AUTH_STATUS = "authentication_status"  # streamlit-authenticator's key
AUTH_USERNAME = "username"  # streamlit-authenticator's key
AUTH_NAME = "name"  # streamlit-authenticator's key
SIGN_IN_MESSAGE = "sign_in_message"
COOKIE_TO_STORE = "auth_cookie_to_store"  # set on sign-in until the browser confirms the cookie
COOKIE_TO_DELETE = "auth_cookie_to_delete"  # set on sign-out until the browser confirms the removal
COOKIE_SET_DONE = "set"  # extra-streamlit-components' CookieManager key for set(): True once stored
COOKIE_DELETE_DONE = "delete"  # its key for delete(): True once removed

FILTER_PERIOD_KIND = "filter_period_kind"
FILTER_PERIOD_VALUE = "filter_period_value"
FILTER_CUSTOM_FROM = "filter_custom_from"
FILTER_CUSTOM_TO = "filter_custom_to"
FILTER_REGION = "filter_region"
FILTER_PDU = "filter_pdu"
FILTER_BOROUGH = "filter_borough"
FILTER_HUB = "filter_hub"
FILTER_CONTRACT = "filter_contract"
FILTER_COMPLEXITY = "filter_complexity"

#: Filter keys and the URL query parameter each one is mirrored to.
QUERY_PARAMS = {
    FILTER_PERIOD_KIND: "period",
    FILTER_PERIOD_VALUE: "at",
    FILTER_CUSTOM_FROM: "from",
    FILTER_CUSTOM_TO: "to",
    FILTER_REGION: "region",
    FILTER_PDU: "pdu",
    FILTER_BOROUGH: "borough",
    FILTER_HUB: "hub",
    FILTER_CONTRACT: "contract",
    FILTER_COMPLEXITY: "complexity",
}
