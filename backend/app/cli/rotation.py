"""``encryption-status`` and ``rotate-key`` (the rotation itself: :mod:`app.secrets.rotation`)."""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import Engine

from app.cli.formatting import format_census, format_plan, format_summary, key_check_text
from app.cli.progress import PlainProgress, RichProgress
from app.core import encryption
from app.core.config import Settings, load_settings
from app.core.db import make_engine
from app.secrets import rotation
from app.secrets.census import collect_status
from app.secrets.columns import PLACES, SECRET_STATES
from app.secrets.inventory import DEFAULT_BATCH_SIZE
from app.secrets.pool import MAX_WORKERS, PARALLEL_MIN_ROWS


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _settings_and_engine(settings: Settings | None = None) -> tuple[Settings, Engine]:
    settings = settings or load_settings()
    encryption.load_keys(settings)  # KeyConfigError: the CLI prints its one line
    return settings, make_engine(settings.database_url)


def cmd_encryption_status(args: argparse.Namespace) -> int:
    _settings, engine = _settings_and_engine()
    try:
        census, key_state = collect_status(engine, batch_size=args.batch_size)
    finally:
        engine.dispose()
    healthy = census.total("plaintext") == 0 and census.problem_total == 0 and key_state != "undecryptable"
    if args.json:
        report = {
            "places": {place: {state: census.counts[place][state] for state in SECRET_STATES} for place in PLACES},
            "totals": {state: census.total(state) for state in SECRET_STATES},
            "unreadable": census.problem_total,
            "unreadable_places": census.problems,
            "key_check": key_state or "absent",
            "fingerprint": encryption.fingerprint(),
            "ok": healthy,
        }
        print(json.dumps(report, indent=2))
        return 0 if healthy else 1
    print(f"key fingerprint: {encryption.fingerprint()}")
    print(format_census(census))
    print(f"key check: {key_check_text(key_state)}")
    if census.problems:
        more = census.problem_total - len(census.problems)
        print("cannot be read: " + "; ".join(census.problems) + (f"; and {more} more" if more else ""))
    if census.total("plaintext"):
        print(
            "PLAINTEXT secrets found: run `alembic upgrade head` (or `python -m app.cli rotate-key`) to encrypt them."
        )
    if census.total("previous") and healthy:
        print("Some secrets are under a previous key: run `python -m app.cli rotate-key` to finish the rotation.")
    if healthy and not census.total("previous"):
        print("OK: every stored secret is encrypted with the primary key.")
    return 0 if healthy else 1


def cmd_rotate_key(args: argparse.Namespace) -> int:
    settings, engine = _settings_and_engine()
    progress: rotation.ProgressReporter
    if args.dry_run:
        progress = rotation.SilentProgress()
    elif sys.stdout.isatty():
        progress = RichProgress()
    else:
        progress = PlainProgress(sys.stdout)
    if not args.dry_run:
        rotation.remember_rotation(engine, "rotation_start")
    try:
        try:
            summary = rotation.rotate_all(
                engine,
                settings.database_url,
                batch_size=args.batch_size,
                dry_run=args.dry_run,
                progress=progress,
                workers=args.workers,
            )
        except rotation.RotationRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            if not args.dry_run:
                rotation.remember_rotation(engine, "rotation_end", outcome="refused")
            return 1
        if not summary.dry_run:
            rotation.remember_rotation(engine, "rotation_end", outcome="ok" if summary.complete else "failed")
    finally:
        engine.dispose()
    if summary.dry_run:
        print("rotate-key --dry-run: nothing was changed. Would do:")
        print(format_plan(summary.before))
        state = summary.key_check_state
        print(
            "key check: "
            + ("already under the primary key" if state == "primary" else "would be rewritten under the primary key")
        )
        return 0
    print(format_summary(summary))
    return 0 if summary.complete else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``encryption-status`` and ``rotate-key``."""
    status = subparsers.add_parser(
        "encryption-status",
        help="count stored secrets per place: primary key, previous key, plaintext, undecryptable",
        description="Count stored secrets per place. Exit status 1 when any is plaintext or undecryptable.",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE, help="rows read at a time")
    status.set_defaults(func=cmd_encryption_status)

    rotate = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt every stored secret under the primary key",
        description=(
            "Re-encrypt every stored secret under ENCRYPTION_KEY; old keys go in ENCRYPTION_KEYS_PREVIOUS. "
            "Batched and resumable: rerun after an interruption."
        ),
    )
    rotate.add_argument("--dry-run", action="store_true", help="report per place what would change; write nothing")
    rotate.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        help=f"rows per commit (default {DEFAULT_BATCH_SIZE})",
    )
    rotate.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help=(
            "processes that check and re-encrypt values before anything is written (default: one per CPU, "
            f"up to {MAX_WORKERS}, from {PARALLEL_MIN_ROWS:,} rows on; 1 = this process only)"
        ),
    )
    rotate.set_defaults(func=cmd_rotate_key)
