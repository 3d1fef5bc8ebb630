"""Command line: ``python -m server.evidence verify SESSION [--data-dir DIR] [--export DIR] [--actor NAME]``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from server.evidence.verifier import verify_session


def main(argv: list[str] | None = None) -> int:
    """Runs the verifier; exit status 0 when the evidence is intact, 1 when not, 2 on usage errors."""
    parser = argparse.ArgumentParser(
        prog="python -m server.evidence", description="校验并导出会话证据 (verify evidence)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="校验证据链、封存签名和每个文件的哈希；可导出证据包")
    verify.add_argument("session_id")
    verify.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("VT_DATA_DIR", "data")),
        help="服务器数据目录 (default: $VT_DATA_DIR or ./data, as the server)",
    )
    verify.add_argument("--export", type=Path, default=None, help="导出证据包到该目录（解密录像）")
    verify.add_argument("--actor", default=os.environ.get("USER", "cli"), help="操作人（记入证据访问日志）")
    verify.add_argument("--purpose", default="", help="用途，如争议编号（记入证据访问日志）")
    verify.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.data_dir.is_dir():
        print(f"数据目录不存在：{args.data_dir}", file=sys.stderr)
        return 2
    try:
        report = verify_session(args.data_dir, args.session_id, args.export, args.actor, args.purpose)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        status = "通过 (OK)" if report.ok else "未通过 (FAILED)"
        print(f"会话 {report.session_id} 证据校验{status}")
        print(
            f"  条目 {report.entries} 分段 {report.segments_checked} 附件 {report.blobs_checked} 封存 {report.sealed}"
        )
        for problem in report.problems:
            print(f"  - {problem}")
        if report.export_dir:
            print(f"  已导出到 {report.export_dir}：{', '.join(report.exported_files)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
