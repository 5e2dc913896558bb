"""`harness models check|list` and `harness serve-fake`."""

from __future__ import annotations

import argparse
import sys

from harness.models.errors import ModelConfigError
from harness.models.pricing import load_price_table, model_price, table_for
from harness.models.variants import load_variants
from harness.options import add_options

DEFAULT_CHECK_VARIANTS = "k2.5,k2.6"
DEFAULT_FAKE_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> None:
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


def cmd_serve_fake(args: argparse.Namespace) -> int:
    from harness.testing import FakeModelServer, load_script
    from harness.testing.fake_server import DEFAULT_MODELS

    replies, default = load_script(args.script) if args.script else ([], None)
    server = FakeModelServer(replies, api_key=args.api_key, latency=args.latency,
                             models=args.models or DEFAULT_MODELS, rate_limit=args.rate_limit,
                             default=default, port=args.port, verbose=args.verbose)
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
