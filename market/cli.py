"""The `market` command: serve, worker, db migrate, config check."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click

from market.settings import Settings, SettingsError


def _run(work: Any) -> Any:
    """Run a coroutine; a domain error (bad input, a conflict) is a one-line message and exit status 1."""
    from market.core.errors import DomainError, ValidationFailed

    try:
        return asyncio.run(work)
    except ValidationFailed as exc:
        fields = "; ".join(f"{error.field}: {error.message}" for error in exc.errors)
        click.echo(f"market: {exc.detail} ({fields})", err=True)
    except DomainError as exc:
        click.echo(f"market: {exc.detail}", err=True)
    sys.exit(1)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        click.echo(f"market: {exc}", err=True)
        click.echo("See .env.example for every variable.", err=True)
        sys.exit(2)


@click.group()
def main() -> None:
    """market: the agricultural marketplace backend."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with granian."""
    _settings()  # refuse to start with a bad configuration, with a clear message, before granian forks
    click.echo(f"market API on http://{host}:{port} (docs: http://{host}:{port}/schema)")
    _granian("market.app:create_app_from_env", host, port, workers)


def granian_argv(factory: str, host: str, port: int, workers: int = 1) -> list[str]:
    """The command that serves an ASGI app factory with granian (the API, the carrier simulator, test servers)."""
    return [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", host, "--port",
            str(port), "--workers", str(workers), "--workers-kill-timeout", "15", "--no-ws", "--log-level", "warning",
            factory]  # fmt: skip


def _granian(factory: str, host: str, port: int, workers: int) -> None:
    args = granian_argv(factory, host, port, workers)
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with granian, arguments are ours


@main.command("carrier-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int)
def carrier_sim(host: str, port: int) -> None:
    """Serve the carrier simulator (Vietnam Post / EMS API shape). Its environment: CARRIER_PARTNER_ID,
    CARRIER_PARTNER_SECRET, CARRIER_WEBHOOK_SECRET, CARRIER_SIM_WEBHOOK_URL (the marketplace's
    /webhooks/carriers/vnpost), CARRIER_SIM_TICK_S (seconds between status steps), CARRIER_SIM_FAIL_PERCENT."""
    click.echo(f"carrier simulator on http://{host}:{port} (faults: POST /_sim/faults)")
    _granian("market.shipping.simulator:create_from_env", host, port, 1)


@main.command("bank-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8701, show_default=True, type=int)
def bank_sim(host: str, port: int) -> None:
    """Serve the bank-feed simulator (SePay's webhook and transaction list): a page where a buyer sends a transfer.
    Its environment: BANK_SIM_WEBHOOK_URL (the marketplace's /webhooks/banks/sepay), BANK_FEED_API_KEY,
    BANK_FEED_API_TOKEN, BANK_ACCOUNT, BANK_SIM_RETRY_S (seconds between SePay's retries, comma-separated)."""
    click.echo(f"bank simulator on http://{host}:{port} (a buyer's transfer: the page at /)")
    _granian("market.simulators.bank:create_from_env", host, port, 1)


@main.command("stripe-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8702, show_default=True, type=int)
def stripe_sim(host: str, port: int) -> None:
    """Serve the Stripe simulator the real `stripe` library talks to (STRIPE_API_BASE), with a page to confirm or
    decline each PaymentIntent. Its environment: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_SIM_WEBHOOK_URL
    (the marketplace's /webhooks/stripe)."""
    from market.simulators.stripe import serve

    click.echo(f"Stripe simulator on http://{host}:{port} (confirm or decline payments: the page at /)")
    serve(host, port)


# Notifications: the local stand-ins of the mail server, Zalo ZNS and the SMS provider (market.simulators).


@main.command("mail-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8026, show_default=True, type=int, help="The mailbox page and JSON.")
@click.option("--smtp-port", default=8025, show_default=True, type=int)
def mail_sim(host: str, port: int, smtp_port: int) -> None:
    """Serve a real local SMTP server (aiosmtpd) and the page of the mail it received (SMTP_HOST/SMTP_PORT of
    the app point at it)."""
    os.environ["MAIL_SIM_SMTP_HOST"], os.environ["MAIL_SIM_SMTP_PORT"] = host, str(smtp_port)
    click.echo(f"mail simulator: SMTP {host}:{smtp_port}, mailbox http://{host}:{port}/")
    _granian("market.simulators.mail:create_from_env", host, port, 1)


@main.command("zns-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8027, show_default=True, type=int)
def zns_sim(host: str, port: int) -> None:
    """Serve the Zalo ZNS simulator (approved templates, parameter limits, daily quota: ZNS_SIM_DAILY_QUOTA)."""
    click.echo(f"ZNS simulator on http://{host}:{port} (sent: GET /_sim/messages)")
    _granian("market.simulators.zns:create_from_env", host, port, 1)


@main.command("sms-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8028, show_default=True, type=int)
def sms_sim(host: str, port: int) -> None:
    """Serve the SMS provider simulator (Decree 91/2020 rules on promotional messages)."""
    click.echo(f"SMS simulator on http://{host}:{port} (sent: GET /_sim/messages)")
    _granian("market.simulators.sms:create_from_env", host, port, 1)


@main.command("webhook-sink")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8703, show_default=True, type=int)
def webhook_sink(host: str, port: int) -> None:
    """Serve a local receiver of seller webhooks (market.simulators.webhook_sink): POST /hooks/<box> stores a
    delivery, GET / shows the latest of every box."""
    click.echo(f"webhook sink on http://{host}:{port} (deliveries: GET /)")
    _granian("market.simulators.webhook_sink:create_app", host, port, 1)


@main.group("cod")
def cod_group() -> None:
    """Cash on delivery commands."""


@cod_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch", default=None, help="The batch's name (default: the file's name).")
def cod_import(path: str, batch: str | None) -> None:
    """Import a COD remittance batch (the carrier's CSV: tracking_code,amount,fee) and list the problems it raised.
    A file that is not that CSV is refused with a message naming the line, and exit status 1."""
    from market.core.errors import DomainError
    from market.shipping import cod
    from market.shipping.registry import carrier_for

    carrier = carrier_for(_settings())
    if carrier is None:
        click.echo("market: CARRIER_API_BASE is not set: which carrier's format is this?", err=True)
        sys.exit(1)
    try:
        remittance = carrier.parse_remittance(batch or Path(path).stem, Path(path).read_bytes())
    except DomainError as exc:
        click.echo(f"market: {path}: {exc.detail}", err=True)
        sys.exit(1)

    async def work(resources: Any, settings: Settings) -> cod.ImportSummary:
        return await cod.import_remittance(remittance, "system:cli")

    summary: cod.ImportSummary = _with_resources(work)
    click.echo(f"batch {summary.batch}: {summary.lines} new lines, {summary.matched} matched, "
               f"{len(summary.problems)} problems, {summary.repeated} already imported; "
               f"{summary.amount:,} đ remitted, {summary.fees:,} đ fees")  # fmt: skip
    for problem in summary.problems:
        click.echo(f"  {problem.kind}: {problem.tracking_code} {problem.amount or 0:,} đ: {problem.detail}")


# Ledger (track ledger) ------------------------------------------------------------------------------------------


@main.group("ledger")
def ledger_group() -> None:
    """Seller ledger commands."""


@ledger_group.command("check")
def ledger_check() -> None:
    """Recompute every account's balance from the journal's lines and check every entry balances: prints each
    difference and exits with status 1 when there is any."""
    from market.ledger.checks import Difference, check

    async def work(resources: Any, settings: Settings) -> list[Difference]:
        return await check()

    found: list[Difference] = _with_resources(work)
    for difference in found:
        click.echo(f"{difference.kind}: {difference.subject}: expected {difference.expected:,}, "
                   f"found {difference.found:,}")  # fmt: skip
    if found:
        click.echo(f"market: the ledger has {len(found)} differences", err=True)
        sys.exit(1)
    click.echo("ledger: every balance agrees with its lines, every entry balances")


@main.command()
@click.option("--markdown", is_flag=True, help="As the README's tables (the only format for now).")
def codes(markdown: bool) -> None:
    """Print every stable error code (problem, field and warning codes) from the registry."""
    from market.core import codes as registry

    click.echo(registry.markdown(), nl=False)


@main.command()
def worker() -> None:
    """Run the outbox relay and the job worker."""
    from market.core.logs import configure_logging
    from market.worker import run_worker

    settings = _settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))


@main.group()
def db() -> None:
    """Database commands."""


@db.command("migrate")
def db_migrate() -> None:
    """Create the database if needed and apply every pending migration."""
    from market.core.migrate import ensure_database, migrate

    settings = _settings()

    async def run() -> None:
        if await ensure_database(settings.database_url):
            click.echo("created the database")
        await migrate()

    asyncio.run(run())


@main.group()
def admin() -> None:
    """Operator accounts."""


@admin.command("create")
@click.option("--name", required=True, help="The operator's full name.")
@click.option("--email", required=True, help="The operator's work email (unique).")
def admin_create(name: str, email: str) -> None:
    """Create an operator and print its personal token (shown once; keep it secret)."""
    from market.operators.service import create_operator

    settings = _settings()

    async def run() -> str:
        from market.core.resources import Resources

        resources = await Resources.open(settings)
        try:
            operator, token = await create_operator(name, email)
            click.echo(f"operator {operator.id} created", err=True)
            return token
        finally:
            await resources.close()

    token = _run(run())
    click.echo(token)


@main.command()
@click.option("--products-per-seller", default=14, show_default=True, type=click.IntRange(1, 200))
def seed(products_per_seller: int) -> None:
    """Load the demo catalog (categories, 24 sellers, their products), approved and ready to search."""
    from market import demo
    from market.core.resources import Resources

    settings = _settings()

    async def run() -> dict[str, int]:
        resources = await Resources.open(settings)
        try:
            with click.progressbar(length=len(demo.SELLERS) * products_per_seller, label="demo products") as bar:
                done = [0]

                def advance(made: int, total: int) -> None:
                    bar.update(made - done[0])
                    done[0] = made

                return await demo.seed(products_per_seller, advance)
        finally:
            await resources.close()

    created = asyncio.run(run())
    if created["sellers"]:
        click.echo(f"created {created['sellers']} sellers and {created['products']} products")
    else:
        click.echo("demo data already loaded")
    click.echo(demo.sign_in_hint())


@main.group("search")
def search_group() -> None:
    """Search index commands."""


def _with_resources(work: Any) -> Any:
    """Run `work(resources, settings)` with the process's connections open."""
    from market.core.resources import Resources

    settings = _settings()

    async def run() -> Any:
        resources = await Resources.open(settings)
        try:
            return await work(resources, settings)
        finally:
            await resources.close()

    return _run(run())


@search_group.command("eval")
@click.option(
    "--queries",
    "queries_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="A judged query file (default: search/relevance/queries.toml).",
)
@click.option("--query", "only", multiple=True, help="Only these queries (exactly as in the file), with their hits.")
@click.option("--verbose", is_flag=True, help="Every query's scores and first hits.")
@click.option("--json", "as_json", is_flag=True, help="The summaries and per-query scores as JSON.")
@click.option("--min-ndcg", default=None, type=float, help="Exit 1 when the overall nDCG@10 is below.")
@click.option("--min-p3", default=None, type=float, help="Exit 1 when the overall precision@3 is below.")
def search_eval(
    queries_path: str | None, only: tuple[str, ...], verbose: bool, as_json: bool,
    min_ndcg: float | None, min_p3: float | None,
) -> None:  # fmt: skip
    """Score the judged queries on the live index (the demo catalog): nDCG@10, P@3, zero-result rate per class."""
    import json
    from dataclasses import asdict

    from search.index import index_uid
    from search.relevance.evaluate import QUERIES_PATH, evaluate, load_queries, summarize

    queries = load_queries(Path(queries_path) if queries_path else QUERIES_PATH)
    if only:
        queries = [judged for judged in queries if judged.q in only] or [type(queries[0])(q, "adhoc", {}) for q in only]

    async def work(resources: Any, settings: Any) -> Any:
        return await evaluate(resources.meili, index_uid(settings.meili_index_prefix), queries)

    outcomes = _with_resources(work)
    summaries = summarize(outcomes)
    if as_json:
        click.echo(json.dumps({
            "summaries": [asdict(summary) for summary in summaries],
            "queries": [{"q": o.query.q, "class": o.query.kind, "ndcg": round(o.ndcg, 4), "p3": round(o.p3, 4),
                         "total_hits": o.total_hits} for o in outcomes],
        }, ensure_ascii=False))  # fmt: skip
    else:
        if verbose or only:
            for outcome in outcomes:
                click.echo(f"{outcome.query.q!r} [{outcome.query.kind}] nDCG@10={outcome.ndcg:.3f} "
                           f"P@3={outcome.p3:.3f} hits={outcome.total_hits}")  # fmt: skip
                for name, value in outcome.hits[: 10 if only else 3]:
                    click.echo(f"    {value}  {name}")
        click.echo(f"{'class':<15}{'queries':>8}{'nDCG@10':>10}{'P@3':>8}{'zero-result':>13}")
        for summary in summaries:
            click.echo(f"{summary.kind:<15}{summary.queries:>8}{summary.ndcg:>10.3f}{summary.p3:>8.3f}"
                       f"{summary.zero_result_rate:>13.3f}")  # fmt: skip
    overall = summaries[-1]
    if (min_ndcg is not None and overall.ndcg < min_ndcg) or (min_p3 is not None and overall.p3 < min_p3):
        raise SystemExit(1)


@search_group.command("reindex")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(10, 20_000))
def search_reindex(batch_size: int) -> None:
    """Rebuild the product index into a new index and swap it in atomically (searches keep working), then the
    suggestions."""
    from search.reindex import reindex

    async def work(resources: Any, settings: Any) -> Any:
        with click.progressbar(length=1, label="indexing products", show_pos=True) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            return await reindex(
                resources.meili, settings.meili_index_prefix, Path(settings.search_synonyms_file), batch_size, progress
            )

    result = _with_resources(work)
    click.echo(f"indexed {result.documents} products into {result.uid} and {result.suggestions} suggestions in "
               f"{result.duration_s:.1f}s")  # fmt: skip


@search_group.command("check")
@click.option("--fix", is_flag=True, help="Repair the drift (stop the worker's indexer first).")
def search_check(fix: bool) -> None:
    """Compare PostgreSQL's public products with the index: counts, checksum, missing, extra, stale."""
    from search.check import check

    async def work(resources: Any, settings: Any) -> Any:
        return await check(
            resources.meili, settings.meili_index_prefix, fix, synonyms_path=Path(settings.search_synonyms_file)
        )

    report = _with_resources(work)
    click.echo(f"database {report.database_count} documents, checksum {report.database_checksum[:16]}")
    click.echo(f"index    {report.index_count} documents, checksum {report.index_checksum[:16]}")
    click.echo(f"missing {len(report.missing)}, extra {len(report.extra)}, stale {len(report.stale)}")
    if fix:
        click.echo(f"fixed {report.fixed}")
    if not report.in_sync and not fix:
        sys.exit(1)


@search_group.command("synonyms")
def search_synonyms() -> None:
    """Reload the synonyms file (SEARCH_SYNONYMS_FILE) into the live index, without a deploy."""
    from search.index import index_uid
    from search.synonyms import reload_synonyms

    async def work(resources: Any, settings: Any) -> int:
        uid = index_uid(settings.meili_index_prefix)
        return await reload_synonyms(resources.meili, uid, Path(settings.search_synonyms_file))

    click.echo(f"loaded {_with_resources(work)} synonym groups")


@main.group("webhooks")
def webhooks_group() -> None:
    """Seller webhook commands."""


@webhooks_group.command("rekey")
def webhooks_rekey() -> None:
    """Seal every webhook signing secret under WEBHOOK_SECRETS_KEY: legacy plain rows and rows sealed under
    WEBHOOK_SECRETS_KEY_PREVIOUS. Exit status 1 when some row opens with neither key (their ids are listed)."""
    from market.webhooks.service import rekey
    from market.webhooks.vault import box_for

    async def work(resources: Any, settings: Settings) -> Any:
        return await rekey(box_for(settings))

    done = _with_resources(work)
    click.echo(f"webhook secrets: {done.resealed} sealed anew, {done.current} already under the current key, "
               f"{len(done.unreadable)} unreadable")  # fmt: skip
    if done.unreadable:
        click.echo("unreadable (neither key opens them): " + ", ".join(done.unreadable), err=True)
        sys.exit(1)


@main.command("check-config")
def check_config() -> None:
    """Validate the environment and print the effective settings (secrets hidden)."""
    settings = _settings()
    click.echo(repr(settings))


if __name__ == "__main__":
    main()
