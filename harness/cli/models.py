"""`harness models check|list|prices|balance` and `harness serve-fake`."""

from __future__ import annotations

import argparse
import sys

from harness.cli.exits import exits_2_on
from harness.cli.options import add_options
from harness.cli.parser import Subparsers
from harness.models.errors import FatalModelError, ModelConfigError
from harness.models.pricing import (
    PRICES_DIR,
    known_tables,
    load_price_table,
    model_price,
    table_for,
)
from harness.models.variants import Variant, load_variants
from harness.testing.fake_billing import DEFAULT_BALANCE_CENTS, DEFAULT_SCHEDULES

DEFAULT_CHECK_VARIANTS = "k2.5,k2.6"
DEFAULT_FAKE_PORT = 8765
REFRESH_FAILED = 1  # `models prices --refresh` and `models balance`: the endpoint failed


def register(subparsers: Subparsers) -> None:
    models = subparsers.add_parser("models", help="model variants: check access, list")
    sub = models.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")

    check = sub.add_parser("check", help="one small call per variant: latency, usage, cost, "
                                         "or the exact reason it failed")
    check.add_argument("--variants", default=DEFAULT_CHECK_VARIANTS,
                       help="comma-separated variant names")
    add_options(check, "--base-url", "--price-table")
    check.set_defaults(func=cmd_check)

    listing = sub.add_parser("list", help="the variants in tasks/variants.toml (and "
                                          "$HARNESS_VARIANTS) with their prices")
    add_options(listing, "--price-table")
    listing.set_defaults(func=cmd_list)

    prices = sub.add_parser("prices", help="list the price tables (shipped and fetched) and "
                                           "their versions; --refresh fetches the gateway's "
                                           "live price schedules into a new version")
    prices.add_argument("--refresh", action="store_true",
                        help="fetch the live schedules of the variants' models into the "
                             "runapi-live table in the user cache ($HARNESS_CACHE/prices or "
                             "~/.cache/harness/prices); exit 1 if the endpoint fails")
    prices.add_argument("--variants", default=DEFAULT_CHECK_VARIANTS,
                        help="comma-separated variant names whose models are fetched")
    add_options(prices, "--base-url")  # the schedules are at its root: /api/v1/price_schedules
    prices.set_defaults(func=cmd_prices)

    balance = sub.add_parser("balance", help="the account's balance and spending, from the "
                                             "gateway's /api/v1/me/balance")
    balance.add_argument("--variants", default="k2.6",
                         help="the variant whose endpoint and key are asked (the first, "
                              "if several)")
    add_options(balance, "--base-url")  # the balance is at its root: /api/v1/me/balance
    balance.set_defaults(func=cmd_balance)

    fake = subparsers.add_parser(
        "serve-fake", help="run the loopback model server (Chat Completions, Anthropic "
                           "Messages and Responses; idempotent replays and task lookup) for "
                           "zero-cost dry runs")
    fake.add_argument("--host", default="127.0.0.1", help="address to listen on")
    fake.add_argument("--port", type=int, default=DEFAULT_FAKE_PORT,
                      help="port (0 picks a free one)")
    fake.add_argument("--script", help="JSON script of replies (see docs/models.md) (default: "
                                        "every reply calls `submit` if offered, else says "
                                        "'done')")
    fake.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    fake.add_argument("--api-key", help="require this key (default: accept any)")
    fake.add_argument("--model", action="append", dest="models",
                      help="accepted model id, repeatable (default: kimi-k2.5, kimi-k2.6)")
    fake.add_argument("--rate-limit", type=float, help="requests per second before 429s")
    fake.add_argument("--schedules", help="JSON file of price schedule rows (a list, or the "
                                          "endpoint's {\"price_schedules\": [...]}) that "
                                          "the account API serves and bills by (default: "
                                          "runapi-catalog's $0.020 per 1K tokens)")
    fake.add_argument("--balance-cents", type=int, default=DEFAULT_BALANCE_CENTS,
                      help="the fake account's starting balance")
    fake.add_argument("--verbose", action="store_true", help="log every request")
    fake.set_defaults(func=cmd_serve_fake)


def _selected(names: str) -> list:
    variants = load_variants()
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in variants]
    if unknown:
        raise ModelConfigError(f"unknown variant(s) {unknown}; known: {sorted(variants)}")
    return [variants[n] for n in wanted]


def cmd_check(args: argparse.Namespace) -> int:
    from harness.models.check import check_variant

    try:
        variants = _selected(args.variants)
        for variant in variants:  # a malformed price table is a set-up error (exit 2)
            table_for(variant, args.price_table)
    except ModelConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for variant in variants:
        result = check_variant(variant, base_url=args.base_url, price_table=args.price_table)
        print(result.line(), flush=True)
        failed += not result.ok
    if failed:
        print(f"{failed} of {len(variants)} variant(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        variants = load_variants()
        forced = load_price_table(args.price_table) if args.price_table else None
        tables = {name: table_for(variant, forced) for name, variant in variants.items()}
    except ModelConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for variant in variants.values():
        table = tables[variant.name]
        price = model_price(variant, table)
        shown = (f"{table.label}: in {price.input} / cached "
                 f"{price.cached_input if price.cached_input is not None else '-'} / out "
                 f"{price.output} per {table.per_tokens}") if price and table else "unpriced"
        print(f"{variant.name:<14} {variant.model:<20} {variant.surface:<9} "
              f"thinking={'on' if variant.thinking else 'off':<3} {shown}")
    return 0


def _endpoint(variant: Variant, base_url: str | None) -> tuple[str, str | None]:
    """The variant's base URL and key; the key is optional here (schedules are public)."""
    try:
        key = variant.resolve_api_key()
    except FatalModelError:
        key = None
    return variant.resolve_base_url(base_url), key


def _gateway(args: argparse.Namespace) -> tuple[list[Variant], str, str | None]:
    """The variants `--variants` names and the gateway of the first (its base URL and key);
    ModelConfigError when one is not defined or none is named."""
    variants = _selected(args.variants)
    if not variants:
        raise ModelConfigError("--variants names no variant")
    return (variants, *_endpoint(variants[0], args.base_url))


@exits_2_on(ModelConfigError)
def cmd_prices(args: argparse.Namespace) -> int:
    if not args.refresh:
        return _list_tables()
    from harness.models.gateway import GatewayError
    from harness.models.live_prices import LIVE_TABLE, refresh

    variants, url, key = _gateway(args)
    try:
        done = refresh(url, key, {v.model: v.price_name for v in variants})
    except (GatewayError, ValueError) as exc:
        kept = [f"{n} {load_price_table(n).version}" for n in known_tables()]
        print(f"error: price refresh failed, nothing written: {exc}. Runs keep pricing with "
              f"the tables they name ({', '.join(kept)}); {LIVE_TABLE} is "
              f"{'unchanged' if LIVE_TABLE in known_tables() else 'still missing'}",
              file=sys.stderr)
        return REFRESH_FAILED
    for problem in done.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"{done.name} {done.version}: {len(done.models)} model(s) ({', '.join(done.models)})"
          f" -> {done.path}")
    print(f"use it with price_table = \"{done.name}\" in a variant (current: {done.current})")
    return 0


def _list_tables() -> int:
    failed = 0
    for name, paths in known_tables().items():
        try:
            table = load_price_table(paths[0])
        except ModelConfigError as exc:
            print(f"{name:<16} unreadable: {exc}")
            failed += 1
            continue
        origin = "shipped" if paths[0].parent == PRICES_DIR else "fetched"
        print(f"{name:<16} {table.version:<28} {origin:<8} {len(table.models)} model(s) "
              f"{paths[0]}")
        for older in paths[1:]:
            print(f"{'':<16} {older.stem:<28} kept     {older}")
    return 1 if failed else 0


@exits_2_on(ModelConfigError)
def cmd_balance(args: argparse.Namespace) -> int:
    from harness.models.gateway import GatewayError, api_root, fetch_balance

    _, url, key = _gateway(args)
    try:
        balance = fetch_balance(url, key)
    except GatewayError as exc:
        print(f"error: no balance: {exc}", file=sys.stderr)
        return REFRESH_FAILED
    today = ("?" if balance.spent_cents_today is None
             else f"${balance.spent_cents_today / 100:,.2f}")
    print(f"{api_root(url)}: balance ${balance.balance_cents / 100:,.2f}, spent today {today}, "
          f"spent in total ${balance.spent_cents_total / 100:,.2f}")
    return 0


def cmd_serve_fake(args: argparse.Namespace) -> int:
    from harness.testing import FakeModelServer, load_script
    from harness.testing.fake_billing import FakeLedger, load_schedules
    from harness.testing.fake_server import DEFAULT_MODELS

    replies, default = load_script(args.script) if args.script else ([], None)
    schedules = load_schedules(args.schedules) if args.schedules else DEFAULT_SCHEDULES
    ledger = FakeLedger(schedules, balance_cents=args.balance_cents)
    server = FakeModelServer(replies, api_key=args.api_key, latency=args.latency,
                             models=args.models or DEFAULT_MODELS, rate_limit=args.rate_limit,
                             default=default, ledger=ledger, port=args.port,
                             verbose=args.verbose)
    print(f"fake model server listening on {server.base_url}", flush=True)
    print(f"  export RUNAPI_BASE_URL={server.base_url} RUNAPI_API_KEY="
          f"{args.api_key or 'fake-key'}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
