from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:42:01:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "tax rates as dated data (Decree 117/2025), the global commission default, and ledger_terms() for checkout"
)

FORWARDS = [
    """
CREATE TABLE tax_rate (
    supply_kind varchar(24) NOT NULL,
    valid_from date NOT NULL,
    valid_until date,
    vat_bps integer NOT NULL CHECK (vat_bps BETWEEN 0 AND 10000),
    pit_bps integer NOT NULL CHECK (pit_bps BETWEEN 0 AND 10000),
    source text NOT NULL DEFAULT '',
    PRIMARY KEY (supply_kind, valid_from),
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
)
""",
    """
COMMENT ON TABLE tax_rate IS 'VAT and PIT withheld on the revenue of household and individual sellers, by kind of
supply and validity (Vietnamese dates, inclusive); owned by market.ledger, kept out of the Piccolo app so that
test truncation keeps the data'
""",
    """
INSERT INTO tax_rate (supply_kind, valid_from, vat_bps, pit_bps, source) VALUES
    ('goods', '2025-07-01', 100, 50, 'Decree 117/2025/ND-CP; rates of Circular 40/2021/TT-BTC: distribution of goods'),
    ('services', '2025-07-01', 500, 200, 'Decree 117/2025/ND-CP; Circular 40/2021/TT-BTC: services'),
    ('goods_services', '2025-07-01', 300, 150,
     'Decree 117/2025/ND-CP; Circular 40/2021/TT-BTC: production, transport, services tied to goods')
""",
    "ALTER TABLE commission_rule ADD CONSTRAINT commission_rule_one_rate CHECK ((bps IS NULL) <> (fixed IS NULL))",
    "ALTER TABLE commission_rule ADD CONSTRAINT commission_rule_bps CHECK (bps IS NULL OR bps BETWEEN 0 AND 10000)",
    "ALTER TABLE commission_rule ADD CONSTRAINT commission_rule_fixed CHECK (fixed IS NULL OR fixed >= 0)",
    """
INSERT INTO commission_rule (id, seller_id, category_id, bps, fixed, active, note, created_at, updated_at)
VALUES ('cmr_default', NULL, NULL, 500, NULL, true, 'global default', '2025-01-01T00:00:00Z', now())
""",
    """
CREATE FUNCTION ledger_tax_rate(kind varchar, on_date date) RETURNS TABLE (vat_bps integer, pit_bps integer)
LANGUAGE sql STABLE AS $$
    SELECT v.vat_bps, v.pit_bps FROM (
        SELECT t.vat_bps, t.pit_bps, 0 AS preference, t.valid_from FROM tax_rate t
        WHERE t.supply_kind = kind AND t.valid_from <= on_date AND (t.valid_until IS NULL OR t.valid_until >= on_date)
        UNION ALL
        SELECT t.vat_bps, t.pit_bps, 1, t.valid_from FROM tax_rate t
        WHERE NOT EXISTS (SELECT 1 FROM tax_rate k WHERE k.supply_kind = kind)
          AND t.valid_from <= on_date AND (t.valid_until IS NULL OR t.valid_until >= on_date)
        UNION ALL
        SELECT 0, 0, 2, NULL
    ) v ORDER BY v.preference, v.vat_bps + v.pit_bps DESC, v.valid_from DESC LIMIT 1
$$
""",
    """
CREATE FUNCTION ledger_terms(seller_orders jsonb, lines jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
SELECT coalesce(jsonb_agg(so.value || jsonb_build_object(
        'commission_ppm', coalesce(c.ppm, 0), 'commission_fixed', coalesce(c.fixed, 0),
        'commission_terms', coalesce(c.terms, '[]'::jsonb),
        'tax_vat_bps', coalesce(t.vat_bps, 0), 'tax_pit_bps', coalesce(t.pit_bps, 0)) ORDER BY so.n), '[]'::jsonb)
FROM jsonb_array_elements(seller_orders) WITH ORDINALITY AS so(value, n)
LEFT JOIN LATERAL (
    SELECT CASE WHEN sum(x.line_total) > 0
                THEN round(sum(x.line_total * coalesce(r.bps, 0) * 100)::numeric / sum(x.line_total))::integer
                ELSE 0 END AS ppm,
           sum(coalesce(r.fixed, 0))::bigint AS fixed,
           jsonb_agg(jsonb_build_object('line_id', x.id, 'rule_id', r.id, 'bps', r.bps, 'fixed', r.fixed)
                     ORDER BY x.position) AS terms
    FROM jsonb_to_recordset(lines) AS x(id varchar, seller_order varchar, product_id varchar, line_total bigint,
                                        position integer)
    LEFT JOIN product p ON p.id = x.product_id
    LEFT JOIN LATERAL (
        SELECT r.id, r.bps, r.fixed FROM commission_rule r
        WHERE r.active AND (r.seller_id IS NULL OR r.seller_id = so.value->>'seller')
          AND (r.category_id IS NULL OR r.category_id = p.category)
        ORDER BY (r.seller_id IS NOT NULL)::integer + (r.category_id IS NOT NULL)::integer DESC, r.created_at, r.id
        LIMIT 1
    ) r ON true
    WHERE x.seller_order = so.value->>'id'
) c ON true
LEFT JOIN LATERAL (
    SELECT rate.vat_bps, rate.pit_bps FROM seller s,
        ledger_tax_rate('goods', ((so.value->>'created_at')::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) rate
    WHERE s.id = so.value->>'seller' AND s.kind IN ('household', 'individual')
) t ON true
$$
""",
]

BACKWARDS = [
    "DROP FUNCTION IF EXISTS ledger_terms(jsonb, jsonb)",
    "DROP FUNCTION IF EXISTS ledger_tax_rate(varchar, date)",
    "DELETE FROM commission_rule WHERE id = 'cmr_default'",
    "ALTER TABLE commission_rule DROP CONSTRAINT IF EXISTS commission_rule_fixed",
    "ALTER TABLE commission_rule DROP CONSTRAINT IF EXISTS commission_rule_bps",
    "ALTER TABLE commission_rule DROP CONSTRAINT IF EXISTS commission_rule_one_rate",
    "DROP TABLE IF EXISTS tax_rate",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    async def drop() -> None:
        for statement in BACKWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
