"""Every ``st.session_state`` key the app uses, in one place (UI state only)."""

USER = "signed_in_username"
AUTH_STATUS = "authentication_status"
AUTH_USERNAME = "username"
AUTH_NAME = "name"
SIGN_IN_MESSAGE = "sign_in_message"
COOKIE_TICKET = "auth_cookie_ticket"  # (ticket, issued) until the browser has exchanged it for the cookie
COOKIE_TO_DELETE = "auth_cookie_to_delete"  # set on sign-out: the sign-in page asks the server to drop the cookie
AUTH_TOKEN_VERSION = "auth_token_version"  # the user's token version when this session signed in
AUTH_LAST_ACTIVITY = "auth_last_activity"  # time.time() of this session's latest run (idle timeout)
AUTH_LAST_TOUCH = "auth_last_touch"  # when this session last wrote the user's last_seen_at

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
