"""Command line: ``python -m server [--config F] [--host H] [--port N] [--dev] [--data-dir D]`` runs the server;
``python -m server add-seat SEAT_ID --name NAME`` creates or updates a seat account (password from stdin/prompt)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path

from server.settings import Settings, SettingsError, load_settings


def _settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        dev_mode=True if args.dev else None,
        data_dir=args.data_dir,
    )


def _read_password(seat_id: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password for seat {seat_id}: ")
        second = getpass.getpass("Repeat the password: ")
        if first != second:
            raise SystemExit("passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _add_seat(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from server.db import Database
    from server.security import SeatPasswords

    settings = _settings_from(args)
    password = _read_password(args.seat_id)
    if len(password) < 8 and not settings.dev_mode:
        print("error: the password must have at least 8 characters", file=sys.stderr)
        return 2
    if not password:
        print("error: empty password", file=sys.stderr)
        return 2
    from server.routing.wiring import parse_skill

    try:
        skills = [parse_skill(text) for text in getattr(args, "skill", None) or []]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db = Database(settings.database_path)
    try:
        db.upsert_seat(args.seat_id, args.name or args.seat_id, SeatPasswords().hash(password), datetime.now(UTC))
        db.set_seat_role(args.seat_id, getattr(args, "role", None) or "teller")
        if skills or getattr(args, "clear_skills", False):
            db.set_seat_skills(args.seat_id, skills)
    finally:
        db.close()
    print(f"seat {args.seat_id} saved in {settings.database_path}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.runner import uvicorn_config

    settings = _settings_from(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.Server(uvicorn_config(settings)).run()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    from server.db import SEAT_ROLES

    parser = argparse.ArgumentParser(prog="python -m server", description="VideoTeller coordination server")
    parser.add_argument("--config", type=Path, help="TOML settings file (VT_* environment variables override it)")
    parser.add_argument("--dev", action="store_true", help="dev mode: dev secret allowed, demo seat seeded")
    parser.add_argument("--data-dir", type=Path, help="directory for the SQLite database")
    parser.add_argument("--host", help="bind address")
    parser.add_argument("--port", type=int, help="TCP port (0: any free port)")
    sub = parser.add_subparsers(dest="command")
    add = sub.add_parser("add-seat", help="create or update a seat account; password read from stdin or a prompt")
    add.add_argument("seat_id")
    add.add_argument("--name", help="display name (坐席名称)")
    add.add_argument(
        "--role", choices=SEAT_ROLES, default="teller", help="account role (default teller; auditor: 稽核, no calls)"
    )
    add.add_argument(
        "--skill",
        action="append",
        metavar="QUEUE[:PROFICIENCY[:ROLE]]",
        help="a skill group (技能组), repeatable, e.g. retail:3:primary, corporate:1:backup; none: every queue",
    )
    add.add_argument("--clear-skills", action="store_true", help="remove stored skills (the seat serves every queue)")
    # Also accepted after the sub-command; SUPPRESS keeps a value given before it.
    add.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add.add_argument("--dev", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.command == "add-seat":
            return _add_seat(args)
        return _serve(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
