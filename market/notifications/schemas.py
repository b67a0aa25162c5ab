"""What crosses HTTP for notifications: preferences, low-stock thresholds, the delivery log, unsubscribing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from market.core.errors import FieldError, ValidationFailed
from market.core.schemas import Input, rfc3339
from market.notifications.kinds import KINDS, Audience, Channel, kinds_of
from market.notifications.service import Preferences

ChannelName = Literal["zns", "sms", "email"]
DeliveryStatus = Literal["queued", "sending", "sent", "failed", "parked", "unknown"]
Threshold = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class PreferencesOut(msgspec.Struct):
    """Channels per kind of message (in the order they are tried: zns, sms, email; empty: off), the language of
    the messages and the marketing opt-in. `optional_kinds` may be turned off; the others need a channel."""

    id: str
    language: Literal["vi", "en"]
    marketing: bool
    channels: dict[str, list[ChannelName]]
    optional_kinds: list[str]
    object: str = "notification_preferences"


class PreferencesPatch(Input):
    language: Literal["vi", "en"] | msgspec.UnsetType = msgspec.UNSET
    marketing: bool | msgspec.UnsetType = msgspec.UNSET
    channels: dict[str, list[ChannelName]] | msgspec.UnsetType = msgspec.UNSET


class ThresholdIn(Input):
    threshold: Threshold


class ThresholdOut(msgspec.Struct):
    """A variant's low-stock threshold: a message when `available` (on hand less reserved) falls to it."""

    id: str
    variant_id: str
    threshold: int
    available: int
    below: bool
    object: str = "low_stock_threshold"


class DeliveryOut(msgspec.Struct):
    """One message to one recipient by one channel: `to` is masked, `provider_message_id` the provider's id."""

    id: str
    event_id: str
    kind: str
    recipient: str
    order_id: str | None
    channel: ChannelName
    to: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    subject: str | None
    provider_message_id: str | None
    created_at: str
    sent_at: str | None
    object: str = "notification_delivery"


class UnsubscribedOut(msgspec.Struct):
    """The kind of message now off for its recipient."""

    kind: str
    unsubscribed: bool = True
    object: str = "unsubscribe"


def preferences_out(prefs: Preferences, audience: Audience) -> PreferencesOut:
    kinds = [kind for kind in kinds_of(audience)]
    channels: dict[str, list[Any]] = {kind.name: prefs.channels_for(kind.name) for kind in kinds}
    return PreferencesOut(prefs.recipient, prefs.language, prefs.marketing, channels,
                          [kind.name for kind in kinds if kind.optional])  # fmt: skip


def apply_patch(prefs: Preferences, patch: PreferencesPatch, audience: Audience) -> Preferences:
    """The preferences with the patch applied; 422 naming `channels.<kind>` for a kind of another audience or a
    required kind left without a channel."""
    errors: list[FieldError] = []
    if patch.channels is not msgspec.UNSET:
        for name, chosen in patch.channels.items():
            kind = KINDS.get(name)
            field = f"channels.{name}"
            if kind is None or kind.audience != audience:
                errors.append(FieldError(field, "unknown_kind", f"No message kind {name!r} for a {audience}."))
            elif not chosen and not kind.optional:
                errors.append(FieldError(field, "kind_required", f"{name} cannot be turned off: keep a channel."))
            else:
                unique: list[Channel] = []
                for channel in chosen:
                    if channel not in unique:
                        unique.append(channel)
                prefs.channels[name] = unique
    if errors:
        raise ValidationFailed(errors)
    if patch.language is not msgspec.UNSET:
        prefs.language = patch.language
    if patch.marketing is not msgspec.UNSET:
        prefs.marketing = patch.marketing
    return prefs


def delivery_out(row: dict[str, Any]) -> DeliveryOut:
    return DeliveryOut(
        id=row["id"], event_id=row["event_id"], kind=row["kind"], recipient=row["recipient"], order_id=row["order_id"],
        channel=row["channel"], to=row["address_masked"], status=row["status"], attempts=row["attempts"],
        next_attempt_at=rfc3339(row["next_attempt_at"]), last_error=row["last_error"], subject=row["subject"],
        provider_message_id=row["provider_message_id"], created_at=rfc3339(row["created_at"]) or "",
        sent_at=rfc3339(row["sent_at"]),
    )  # fmt: skip


def threshold_out(row: dict[str, Any]) -> ThresholdOut:
    return ThresholdOut(row["variant_id"], row["variant_id"], row["threshold"], row.get("available", 0),
                        row["below"])  # fmt: skip
