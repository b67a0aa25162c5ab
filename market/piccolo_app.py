"""The one Piccolo app: every context's tables, migrated together from `market/migrations`."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from market.accounts.tables import Account, Address
from market.audit.tables import AuditEvent
from market.banking.tables import BankCredit
from market.catalog.tables import Category, Certification, Product, Variant
from market.core.idempotency.tables import IdempotencyKey
from market.core.outbox.tables import EventReceipt, OutboxEvent
from market.inventory.tables import Harvest, StockLevel
from market.ledger.tables import CommissionRule, LedgerAccount, LedgerEntry, LedgerLine
from market.notifications.tables import NotificationDelivery, NotificationPreference, StockAlert
from market.operators.tables import Operator
from market.orders.tables import Order, OrderLine, SellerOrder, SellerOrderTransition
from market.payments.tables import Payment, Refund, StripeEvent
from market.payouts.tables import PayoutBatch, PayoutLine, SellerBankAccount
from market.returns.tables import Return, ReturnLine, ReturnTransition
from market.sellers.tables import ApiKey, Seller, SellerInvitation, SellerMember, SellerStatusChange
from market.shipping.tables import CarrierReport, CodProblem, CodRemittanceLine, Parcel, ParcelEvent
from market.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from search.tables import SearchPending

APP_CONFIG = AppConfig(
    app_name="market",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[
        OutboxEvent,
        EventReceipt,
        Account,
        Address,
        Operator,
        AuditEvent,
        Seller,
        SellerStatusChange,
        SellerMember,
        SellerInvitation,
        ApiKey,
        Category,
        Product,
        Certification,
        Variant,
        StockLevel,
        Harvest,
        SearchPending,
        IdempotencyKey,
        Order,
        SellerOrder,
        OrderLine,
        SellerOrderTransition,
        Payment,
        Refund,
        StripeEvent,
        BankCredit,
        Parcel,
        ParcelEvent,
        CodRemittanceLine,
        Return,
        ReturnLine,
        ReturnTransition,
        CodProblem,
        CarrierReport,
        LedgerAccount,
        LedgerEntry,
        LedgerLine,
        CommissionRule,
        SellerBankAccount,
        PayoutBatch,
        PayoutLine,
        NotificationPreference,
        NotificationDelivery,
        StockAlert,
        WebhookEndpoint,
        WebhookDelivery,
        WebhookAttempt,
    ],
    migration_dependencies=[],
    commands=[],
)
