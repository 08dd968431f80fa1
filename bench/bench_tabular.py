"""Benchmark of reading import files: a SYNTHETIC enterprise sheet of N rows as XLSX and as CSV (UTF-8 and GBK).

Not a test: run it by hand and read the table.

    /work/main/.venv/bin/python bench/bench_tabular.py               # 500 and 100,000 rows
    /work/main/.venv/bin/python bench/bench_tabular.py --rows 1000 200000

Each file is written once (openpyxl in write-only mode for the XLSX), then read with
``registry.tabular.read_file`` and every row converted with ``to_record``. Times are CPU seconds of
this process (time.process_time; the machine is shared) and wall seconds; "peak MB" is the process's
peak RSS after the step. Last, a template pre-filled with N records (the data to-do list's export) is
written, read back and compared with the records. Every name says 合成 (synthetic); credit codes are made up with a valid check
character; phone numbers are stored as numbers in the XLSX, as staff's files often have them.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from registry import tabular as T  # noqa: E402
from registry.messages import label  # noqa: E402
from registry.model import ROLES, uscc_check_char  # noqa: E402

LOCALITIES = ("cluster", "ganzhou", "china", "abroad")


def rows(n: int):
    for i in range(n):
        first17 = f"913607{i:011d}"
        yield {"name": f"合成稀土材料有限公司{i:06d}", "aliases": f"合成{i}、SYN{i}",
               "credit_code": first17 + uscc_check_char(first17),
               "locality": label("locality", LOCALITIES[i % 4]),
               "location": "赣县区", "roles": f"{label('role', ROLES[i % len(ROLES)])}、规上",
               "contact_person": "张三", "phone": 13800000000 + i, "email": f"syn{i}@example.com",
               "address": f"赣州市赣县区稀金大道{i}号", "source_note": "合成数据 / synthetic"}


def xlsx_bytes(n: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业")
    cols = T.columns("enterprise")
    ws.append([c.zh for c in cols])
    for r in rows(n):
        ws.append([r.get(c.field) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(n: int, encoding: str) -> bytes:
    import csv

    cols = T.columns("enterprise")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.zh for c in cols])
    for r in rows(n):
        w.writerow([r.get(c.field, "") for c in cols])
    return buf.getvalue().encode(encoding)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label_: str, data: bytes, filename: str, n: int) -> None:
    c0, w0 = time.process_time(), time.perf_counter()
    (table,) = T.read_file(data, filename)
    c1, w1 = time.process_time(), time.perf_counter()
    problems = 0
    for row in table.rows:
        problems += len(T.to_record("enterprise", row)[1])
    c2, w2 = time.process_time(), time.perf_counter()
    assert len(table.rows) == n and problems == 0, (len(table.rows), problems)
    assert table.rows[-1].cells["phone"].value == str(13800000000 + n - 1)
    print(f"{label_:<10} {n:>8} {len(data) / 1e6:>7.2f} {c1 - c0:>8.2f} {w1 - w0:>8.2f} "
          f"{c2 - c1:>10.2f} {w2 - w1:>10.2f} {peak_mb():>8.0f}", flush=True)


def measure_template(n: int) -> None:
    """write_template pre-filled with n records (what the data to-do list exports), then read back."""
    records = [{"id": f"syn-{i}", "name": f"合成稀土材料有限公司{i:06d}", "aliases": [f"合成{i}"],
                "locality": LOCALITIES[i % 4], "roles": [ROLES[i % len(ROLES)]], "phone": f"0797-{i:07d}"}
               for i in range(n)]
    buf = io.BytesIO()
    c0, w0 = time.process_time(), time.perf_counter()
    T.write_template("enterprise", buf, rows=records)
    c1, w1 = time.process_time(), time.perf_counter()
    (table,) = T.read_file(buf.getvalue(), "todo.xlsx")
    got = [T.to_record("enterprise", r)[0] for r in table.rows]
    c2, w2 = time.process_time(), time.perf_counter()
    assert got == [{"kind": "enterprise", **r} for r in records]
    print(f"{'template':<10} {n:>8} {len(buf.getvalue()) / 1e6:>7.2f} write cpu {c1 - c0:.2f} wall {w1 - w0:.2f}; "
          f"read+records cpu {c2 - c1:.2f} wall {w2 - w1:.2f}; peak {peak_mb():.0f} MB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[500, 100_000])
    args = ap.parse_args()
    print(f"{'file':<10} {'rows':>8} {'MB':>7} {'read cpu':>8} {'wall':>8} {'record cpu':>10} {'wall':>10} "
          f"{'peak MB':>8}")
    for n in args.rows:
        measure("xlsx", xlsx_bytes(n), "bench.xlsx", n)
        measure("csv utf-8", csv_bytes(n, "utf-8-sig"), "bench.csv", n)
        measure("csv gbk", csv_bytes(n, "gbk"), "bench.csv", n)
    for n in args.rows:
        measure_template(n)


if __name__ == "__main__":
    main()
