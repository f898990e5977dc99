"""Query and Scan as one SQL statement over the ``items`` / ``index_entries`` layout.

Both SQL backends keep items and index entries keyed by order-preserving bytes (see
``storage.sqlite.schema`` and ``storage.postgres.schema``), so a partition range or a
hash-ordered scan is the same statement on either engine; only the parameter mark
differs (``?`` for sqlite3, ``%s`` for psycopg). Every fragment is fixed text; values
travel as parameters.
"""

from __future__ import annotations

from typing import Any

from storage.backend import RangeRead, ScanRead
from storage.keys import partition_hash

__all__ = ["query_statement", "scan_statement"]

Statement = tuple[str, list[Any]]


def query_statement(table: str, read: RangeRead, mark: str) -> Statement:
    """``SELECT data, size`` of one partition of a table or index, in key order."""
    hash_ = partition_hash(read.partition)
    if read.index is None:
        source, where = "items", f"tbl = {mark} AND hash = {mark} AND pk = {mark}"
        order: tuple[str, ...] = ("sk",)
        parameters: list[Any] = [table, hash_, read.partition]
    else:
        source = "index_entries"
        where = f"tbl = {mark} AND idx = {mark} AND hash = {mark} AND pk = {mark}"
        order = ("sk", "tpk", "tsk")
        parameters = [table, read.index, hash_, read.partition]
    if read.lower is not None:
        where += f" AND sk >= {mark}" if read.lower[1] else f" AND sk > {mark}"
        parameters.append(read.lower[0])
    if read.upper is not None:
        where += f" AND sk <= {mark}" if read.upper[1] else f" AND sk < {mark}"
        parameters.append(read.upper[0])
    return _ordered(
        source, where, parameters, order, read.start_after, read.forward, read.limit, mark
    )


def scan_statement(table: str, read: ScanRead, mark: str) -> Statement:
    """``SELECT data, size`` of a table or index over a range of partition hashes."""
    if read.index is None:
        source, where = "items", f"tbl = {mark}"
        order: tuple[str, ...] = ("hash", "pk", "sk")
        parameters: list[Any] = [table]
    else:
        source, where = "index_entries", f"tbl = {mark} AND idx = {mark}"
        order = ("hash", "pk", "sk", "tpk", "tsk")
        parameters = [table, read.index]
    where += f" AND hash >= {mark} AND hash < {mark}"
    parameters += [read.hash_low, read.hash_high]
    return _ordered(source, where, parameters, order, read.start_after, True, read.limit, mark)  # noqa: FBT003 - a scan goes forward


def _ordered(
    source: str,
    where: str,
    parameters: list[Any],
    order: tuple[str, ...],
    start_after: tuple[Any, ...] | None,
    forward: bool,
    limit: int,
    mark: str,
) -> Statement:
    columns = ", ".join(order)
    if start_after is not None:
        marks = ", ".join([mark] * len(order))
        where += f" AND ({columns}) {'>' if forward else '<'} ({marks})"
        parameters = [*parameters, *start_after]
    direction = "ASC" if forward else "DESC"
    ordering = ", ".join(f"{column} {direction}" for column in order)
    sql = f"SELECT data, size FROM {source} WHERE {where} ORDER BY {ordering} LIMIT {mark}"  # noqa: S608 - fixed fragments only
    return sql, [*parameters, limit]
