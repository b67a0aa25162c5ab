"""The error-code registry: every stable code the API sends, as data.

Three kinds of codes, each a program can act on:
- problem codes, the `code` of a problem+json answer: each with its HTTP status, its title (the problem's
  `title`) and when it happens. `DomainError`s take one of these (`market.core.errors`), the HTTP layer renders
  status and title from here, the OpenAPI document lists them per operation, and the README's table is
  generated from here (`market codes --markdown`);
- field codes, the `code` of each entry of a validation problem's `errors[]` (and of a bulk item's `error`);
- warning codes, on cart lines (the cart answers, never refuses, with these).

`contexts` names the API packages whose operations can answer a problem code (empty: any operation that can
answer its status). A test walks the sources: a code raised anywhere but not registered here fails it.
"""

from __future__ import annotations

from dataclasses import dataclass

_BUYER = ("accounts", "cart", "checkout", "orders", "shipping", "returns")


@dataclass(frozen=True)
class ProblemCode:
    """A problem code: its HTTP status (and any other it is sent with), title and when it happens."""

    code: str
    status: int
    title: str
    when: str
    contexts: tuple[str, ...] = ()
    also: tuple[int, ...] = ()

    @property
    def statuses(self) -> tuple[int, ...]:
        return (self.status, *self.also)


@dataclass(frozen=True)
class Code:
    """A field or warning code and when it happens."""

    code: str
    when: str


class UnregisteredCode(LookupError):
    """A code that is not in the registry: a bug of the code that used it."""


P = ProblemCode
# fmt: off
PROBLEMS: tuple[ProblemCode, ...] = (
    # Any operation: the HTTP layer's own problems.
    P("malformed_request", 400, "Bad request", "the body is not valid JSON, or a header or parameter is malformed"),
    P("bad_request", 400, "Bad request", "a request refused for a reason without a more specific code"),
    P("not_authenticated", 401, "Not authenticated", "no credentials, or unknown, expired or revoked ones"),
    P("forbidden", 403, "Forbidden", "authenticated, but the action is not allowed on one's own resource"),
    P("not_found", 404, "Not found", "no such resource, or not yours"),
    P("method_not_allowed", 405, "Method not allowed", "the route exists, the method does not"),
    P("conflict", 409, "Conflict", "the resource's state forbids the action"),
    P("already_exists", 409, "Already exists", "two requests raced for one unique value (a SKU, a slug); retry and "
      "you get the precise code"),
    P("request_too_large", 413, "Request too large", "the body is over the size limit"),
    P("nesting_too_deep", 400, "Nesting too deep", "a JSON body nested deeper than 32 levels"),
    P("unsupported_media_type", 415, "Unsupported media type", "a body that is not `application/json`"),
    P("validation_failed", 422, "Validation failed", "well-formed but invalid; `errors[]` names each field"),
    P("rate_limited", 429, "Too many requests", "too many attempts; `Retry-After` says when to try again"),
    P("internal_error", 500, "Internal server error", "a bug; logged with its traceback under the `request_id`"),
    P("dependency_unavailable", 503, "Service unavailable", "PostgreSQL, Redis, Meilisearch, Stripe or the carrier is "
      "down; `dependency` names it, with `Retry-After`"),
    # Requests, idempotency and lists.
    P("idempotency_key_missing", 400, "Idempotency key missing", "a write that needs an `Idempotency-Key` came "
      "without one (field `Idempotency-Key`)", ("checkout", "payments", "returns", "shipping")),
    P("idempotency_key_invalid", 400, "Idempotency key invalid", "an `Idempotency-Key` longer than 255 characters or "
      "not printable ASCII", ("checkout", "payments", "returns", "shipping")),
    P("idempotency_key_reused", 422, "Idempotency key reused", "the same `Idempotency-Key` with another body",
      ("checkout", "payments", "returns", "shipping")),
    P("idempotency_request_in_progress", 409, "Request in progress", "the first request with this `Idempotency-Key` "
      "is still running; retry shortly", ("checkout", "payments", "returns", "shipping")),
    P("invalid_cursor", 400, "Invalid cursor", "a list's `cursor` that this list did not hand out"),
    # Accounts, sessions, sellers and operators.
    P("csrf_failed", 403, "CSRF check failed", "a cookie-authenticated write without the `market_csrf` cookie's value "
      "in `X-CSRF-Token`, or a sign-in that is not `application/json`", _BUYER),
    P("invalid_credentials", 401, "Invalid credentials", "sign-in with an unknown identifier or a wrong password (the "
      "same answer for both)", ("accounts", "sellers")),
    P("invalid_cart_token", 401, "Invalid cart token", "a `Cart-Token` that is unknown or expired",
      ("cart", "checkout", "accounts")),
    P("identifier_taken", 409, "Identifier taken", "registration with an email or phone already registered",
      ("accounts", "sellers")),
    P("account_is_seller_member", 409, "Account is a seller member", "a buyer action by an account that belongs to a "
      "seller", ("accounts",)),
    P("address_book_full", 409, "Address book full", "an address beyond the address book's limit", ("accounts",)),
    P("default_address_required", 409, "Default address required", "removing or un-defaulting the default address "
      "while others remain", ("accounts",)),
    P("not_a_member", 403, "Not a member", "a seller session for a seller the account is not a member of",
      ("sellers",)),
    P("owner_only", 403, "Owner only", "a member (not the owner) or an API key doing what only the owner may",
      ("sellers", "catalog", "orders", "shipping", "returns", "webhooks")),
    P("insufficient_scope", 403, "Insufficient scope", "an API key without the scope the action needs (`scope` names "
      "it)", ("sellers", "catalog", "orders", "shipping", "returns")),
    P("already_member", 409, "Already a member", "inviting someone who is already a member", ("sellers",)),
    P("owner_cannot_be_removed", 409, "Owner cannot be removed", "removing the seller's owner", ("sellers",)),
    P("seller_suspended", 403, "Seller suspended", "a suspended seller's key or session tried to write (reads still "
      "work; revoking an API key too)"),
    P("api_key_not_a_session", 409, "API key is not a session", "logging out with an API key (revoke it instead); "
      "any other token that is no live session: 401"),
    P("invitation_invalid", 404, "Invitation invalid", "an invitation token that is unknown, used or expired",
      ("sellers",)),
    P("operator_exists", 409, "Operator exists", "`market admin create` for an email that already has an operator"),
    P("illegal_transition", 409, "Illegal transition", "a status change the resource's state does not allow (with "
      "`current_status`, and `allowed` for orders)", ("sellers", "catalog", "orders", "returns")),
    # Catalog, stock and pre-orders.
    P("no_variants", 409, "No variants", "submitting a product without a variant", ("catalog",)),
    P("last_variant", 409, "Last variant", "archiving a product's last variant", ("catalog",)),
    P("below_reserved", 409, "Below reserved", "`stock` or `preorder_capacity` below what orders hold (with `field`; "
      "`reserved` for a capacity)", ("catalog",)),
    P("preorder_variant", 409, "Pre-order variant", "setting stock on a variant sold by pre-order", ("catalog",)),
    P("not_preorder", 409, "Not a pre-order", 'a capacity (`field: "preorder_capacity"`) or a harvest for a variant '
      "sold from stock", ("catalog", "orders")),
    P("preorder_not_open", 409, "Pre-order not open", "a pre-order before its window opens", ("cart", "checkout")),
    P("preorder_closed", 409, "Pre-order closed", "a pre-order after its last day (`harvest_to`, Vietnamese date): "
      "carts (with `harvest_to`), checkout (with `variants`)", ("cart", "checkout")),
    P("harvest_not_started", 409, "Harvest not started", "packing a pre-order line, or declaring its harvest, before "
      "`harvest_from` (with `harvest_from`)", ("orders", "catalog")),
    P("harvest_not_declared", 409, "Harvest not declared", "packing a pre-order line before its seller declared the "
      "harvest (with `variants`)", ("orders",)),
    P("already_harvested", 409, "Already harvested", "a second harvest with another quantity (with "
      "`harvested_quantity`), or a capacity for a harvested pre-order", ("orders", "catalog")),
    P("harvest_changed", 409, "Harvest changed", "the pre-orders changed while a harvest was being declared; declare "
      "it again", ("orders", "catalog")),
    # Carts, checkout and orders.
    P("cart_full", 409, "Cart full", "a line beyond the cart's limit of lines", ("cart",)),
    P("insufficient_stock", 409, "Insufficient stock", "more in the cart than is left (with `available`)", ("cart",)),
    P("cart_empty", 409, "Cart empty", "checkout of an empty cart", ("checkout",)),
    P("variant_unavailable", 409, "Variant unavailable", "checkout with a line no longer sold (with `variants`)",
      ("checkout",)),
    P("out_of_stock", 409, "Out of stock", "checkout with lines beyond the stock left (with `variants: [{variant_id, "
      "requested, available}]`)", ("checkout",)),
    P("nothing_to_refund", 409, "Nothing to refund", "a refund of an order or payment with nothing left to refund",
      ("orders", "payments")),
    # Payments and shipping.
    P("invalid_signature", 400, "Invalid signature", "a webhook whose signature does not verify (400 from Stripe's "
      "webhook, 401 from the carrier's and the bank feed's)", ("payments", "shipping", "banking"), also=(401,)),
    # Bank transfers (track banktransfer).
    P("bank_credit_not_open", 409, "Bank credit not open", "an operator action on a bank credit that is not in the "
      "queue (matched, or resolved already; with `outcome` and `queue`)", ("banking",)),
    P("no_shipping_service", 409, "No shipping service", "no carrier service reaches the address within the products' "
      "shelf life (with `shelf_life_days`)", ("checkout", "shipping", "cart")),
    P("not_parked", 409, "Not parked", "retrying a parcel handoff that is not parked", ("shipping",)),
    P("already_resolved", 409, "Already resolved", "resolving a COD problem that was already resolved", ("shipping",)),
    P("report_unmappable", 409, "Report unmappable", "a kept carrier report still cannot be applied (with `reason`)",
      ("shipping",)),
    P("malformed_remittance", 422, "Malformed remittance", "a COD remittance that is not the carrier's CSV (with "
      "`line` when a line is at fault)", ("shipping",)),
    # Returns.
    P("not_delivered", 409, "Not delivered", "a return for a seller order that is not delivered (with "
      "`current_status`)", ("returns",)),
    P("return_window_closed", 409, "Return window closed", "a return after the return window (with `last_day`, a "
      "Vietnamese date)", ("returns",)),
    P("dispute_window_closed", 409, "Dispute window closed", "disputing a refused return after its window (with "
      "`last_day`)", ("returns",)),
    # Payouts.
    P("nothing_to_pay", 409, "Nothing to pay", "creating a payout batch when no seller has the minimum available "
      "and a bank account past its cooling-off", ("payouts",)),
    P("payout_line_settled", 409, "Payout line settled", "marking a payout line that is not in the status the mark "
      "needs, or paid with another bank reference (with `current_status`)", ("payouts",)),
    # Notifications.
    P("delivery_not_parked", 409, "Delivery not parked", "retrying a notification delivery that is neither parked "
      "nor unknown (with `current_status`)", ("notifications",)),
    # Seller webhooks.
    P("webhook_endpoints_limit", 409, "Too many webhook endpoints", "registering a 17th live webhook endpoint",
      ("webhooks",)),
    P("webhook_endpoint_disabled", 409, "Webhook endpoint disabled", "redelivering to an endpoint that is disabled "
      "(with `endpoint_status`): enable it first", ("webhooks",)),
)

C = Code
FIELD_CODES: tuple[Code, ...] = (
    # Any body or parameter (msgspec's validation, mapped by the HTTP layer).
    C("unknown_field", "a field the request does not take (also any privileged field such as `seller_id`)"),
    C("required", "a required field or header is missing or blank"),
    C("invalid_type", "a value of the wrong JSON type"),
    C("control_character", "a NUL or another control character in a path, query or header parameter, or in a body "
      "string (tab, newline and carriage return are allowed in body strings)"),
    C("invalid_choice", "a value outside the field's choices"),
    C("out_of_range", "a number or length outside the field's bounds"),
    C("too_long", "a string over the field's length"),
    C("invalid", "a value that is malformed for the field"),
    C("invalid_range", "`until` is not after `since` (`GET /admin/v1/audit-events`)"),
    # Accounts and places.
    C("invalid_phone", "not a Vietnamese mobile number"),
    C("invalid_email", "not an email address"),
    C("password_too_short", "a password under the minimum length"),
    C("password_too_long", "a password over the maximum length"),
    C("password_too_common", "a password found in the list of common passwords"),
    C("wrong_password", "the current password given for a change or a deletion is wrong"),
    C("password_unchanged", "the new password is the current one"),
    C("unknown_province", "no such province code"),
    C("unknown_ward", "no such ward code in the province"),
    C("invalid_tax_code", "not a Vietnamese tax code"),
    # Catalog.
    C("unknown_category", "no such category"),
    C("duplicate_sku", "a SKU given twice, or already used by another variant"),
    C("stock_or_preorder", "a variant with both stock and a pre-order window, or neither"),
    C("invalid_window", "a harvest window whose end is before its start"),
    C("window_ended", "a harvest window already over"),
    C("not_above_price", "a compare-at price not above the price"),
    C("not_below_compare_at_price", "a bulk price not below the variant's compare-at price"),
    C("below_minimum", "under the minimum (a price, a quantity per order)"),
    C("above_maximum", "over the maximum quantity per order"),
    C("not_weighed", "a catch-weight setting on a variant not sold by weight"),
    C("not_allowed", "a value not allowed for this product or seller"),
    C("expired", "a date already past"),
    # Seller-supplied URLs.
    C("https_required", "a URL that is not https"),
    C("host_not_allowed", "a URL whose host is refused: not a valid host name, unresolvable, or resolving to a "
      "private, loopback, link-local, shared, multicast, reserved or unspecified address (every refusal alike)"),
    C("invalid_url", "not a URL, or a URL with credentials"),
    # Bulk updates (`items[i]`).
    C("sku_or_variant_id", "a bulk item with both or neither of `sku` and `variant_id`"),
    C("nothing_to_update", "a bulk item with neither stock nor price"),
    C("not_found", "a bulk item naming no variant of this seller"),
    C("below_reserved", "a bulk stock below what orders hold"),
    C("preorder_variant", "a bulk stock for a variant sold by pre-order"),
    # Carts, checkout, orders, payments, returns.
    C("unknown_variant", "no such variant"),
    C("variant_unavailable", "a variant that is not sold now"),
    C("one_address", "checkout with both or neither of an address id and an address"),
    C("sign_in_required", "a guest asking for what needs an account (a saved address, card payment)"),
    C("payment_method_unavailable", "a payment method checkout does not accept now"),
    C("packed_weight_required", "packing a catch-weight line without its weight"),
    C("packed_weight_out_of_tolerance", "a packed weight outside the line's tolerance"),
    C("unknown_line", "a line that is not in the order"),
    C("not_catch_weight", "a packed weight for a line not sold by weight"),
    C("refund_exceeds_payment", "a refund above what the payment has left"),
    C("duplicate_line", "a return naming a line twice"),
    C("exceeds_delivered", "a return of more than was delivered and not yet returned"),
    # Ledger, commissions and tax.
    C("bps_or_fixed", "a commission rule with both or neither of `bps` and `fixed`"),
    C("unknown_seller", "no such seller"),
    C("invalid_personal_id", "not a Vietnamese personal id number (12 digits of a citizen identity card)"),
    # Payouts.
    C("unknown_bank", "a bank BIN that is not a NAPAS member's"),
    C("invalid_account_number", "a bank account number that is not 6 to 19 digits"),
    C("invalid_holder_name", "an account holder name that is not 2 to 70 letters and spaces once its diacritics "
      "are removed"),
    # Notifications.
    C("unknown_kind", "a notification preference for a kind of message that does not exist for this recipient"),
    C("kind_required", "turning off (no channel) a kind of message that is not optional"),
)

WARNING_CODES: tuple[Code, ...] = (
    C("price_changed", "the price changed since the line was added (with `previous_price`)"),
    C("insufficient_stock", "fewer left than the line's quantity (with `available`)"),
    C("out_of_stock", "none left"),
    C("unavailable", "the variant is no longer sold"),
    C("above_maximum", "more than the variant's maximum per order"),
    C("below_minimum", "less than the variant's minimum per order"),
)
# fmt: on

_PROBLEMS = {entry.code: entry for entry in PROBLEMS}
_FIELDS = {entry.code: entry for entry in FIELD_CODES}


def problem_code(code: str) -> ProblemCode:
    """The registered problem code (raises `UnregisteredCode`)."""
    try:
        return _PROBLEMS[code]
    except KeyError:
        raise UnregisteredCode(f"problem code {code!r} is not in market.core.codes.PROBLEMS") from None


def is_field_code(code: str) -> bool:
    return code in _FIELDS


BY_STATUS: dict[int, ProblemCode] = {
    entry.status: entry
    for entry in PROBLEMS
    if entry.code
    in {
        "malformed_request",
        "not_authenticated",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "conflict",
        "request_too_large",
        "unsupported_media_type",
        "validation_failed",
        "rate_limited",
        "internal_error",
        "dependency_unavailable",
    }
}
"""The generic code of each status, for the errors the framework raises without a code of ours."""


def generic(status: int) -> ProblemCode:
    """The generic problem code of a status (`bad_request` for a 4xx without one, `internal_error` beyond)."""
    return BY_STATUS.get(status) or _PROBLEMS["bad_request" if status < 500 else "internal_error"]


def markdown() -> str:
    """The README's tables of codes (`market codes --markdown`), generated from the registry."""
    lines = ["| status | `code` | title | when |", "|---|---|---|---|"]
    for entry in sorted(PROBLEMS, key=lambda entry: (entry.status, entry.code)):
        statuses = ", ".join(str(status) for status in entry.statuses)
        lines.append(f"| {statuses} | `{entry.code}` | {entry.title} | {entry.when} |")
    for heading, entries in (("Field codes, in `errors[]`", FIELD_CODES), ("Cart line warnings", WARNING_CODES)):
        lines += ["", f"{heading}:", "", "| `code` | when |", "|---|---|"]
        lines += [f"| `{entry.code}` | {entry.when} |" for entry in sorted(entries, key=lambda entry: entry.code)]
    return "\n".join(lines) + "\n"
