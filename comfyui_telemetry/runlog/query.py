"""What a listing asks for (`GET /telemetry/runs?...`), parsed from the query string, and the
SQL it becomes. Pure: no connection here.

Cursors are keyset cursors: the last row's sort value and id, so a page never repeats or skips
a row when runs are added or deleted between pages (ties are broken by the row id).
"""

import base64
import json

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
PREFIX = 2000  # rows a text search reads in sort order before it asks the text index
SORTS = {"start": "start_ms", "duration": "duration_ms"}
LIST_FILTERS = {"status": "status", "exit_reason": "exit_reason", "gpu": "gpu",
                "workflow": "workflow", "graph_hash": "graph_hash", "client": "client"}


class BadQuery(ValueError):
    """A parameter the API cannot honour (answered 400 with its message)."""


class Query:
    def __init__(self, *, filters=None, text=None, since=None, until=None, sort="start",
                 order="desc", limit=DEFAULT_LIMIT, cursor=None):
        self.filters = filters or {}
        self.text = text
        self.since, self.until = since, until
        self.sort, self.order = sort, order
        self.limit, self.cursor = limit, cursor


def _int(params, name, default=None, lo=None, hi=None):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(float(raw))
    except (TypeError, ValueError):
        raise BadQuery(f"{name} must be a number") from None
    if lo is not None and value < lo:
        raise BadQuery(f"{name} must be at least {lo}")
    return min(value, hi) if hi is not None else value


def parse(params):
    """A Query from a multidict-like `params` (repeated or comma-separated list filters)."""
    filters = {}
    for name, column in LIST_FILTERS.items():
        values = []
        getall = getattr(params, "getall", None)
        raws = getall(name, []) if getall else ([params[name]] if name in params else [])
        for raw in raws:
            values += [v for v in str(raw).split(",") if v != ""] if name in (
                "status", "exit_reason") else [str(raw)]
        if values:
            filters[column] = values[:50]
    sort = params.get("sort") or "start"
    if sort not in SORTS:
        raise BadQuery("sort must be start or duration")
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadQuery("order must be asc or desc")
    text = (params.get("q") or params.get("text") or "").strip().lower() or None
    if text is not None and len(text) > 200:
        raise BadQuery("q is longer than 200 characters")
    q = Query(filters=filters, text=text, since=_int(params, "since"), until=_int(params, "until"),
              sort=sort, order=order, limit=_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT))
    raw_cursor = params.get("cursor")
    if raw_cursor:
        q.cursor = decode_cursor(raw_cursor, sort, order)
    return q


def encode_cursor(sort, order, value, row_id):
    raw = json.dumps([sort, order, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw, sort, order):
    try:
        padded = raw + "=" * (-len(raw) % 4)
        s, o, value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception:
        raise BadQuery("cursor is not one this server made") from None
    if (s, o) != (sort, order) or not isinstance(value, int) or not isinstance(row_id, int):
        raise BadQuery("cursor belongs to another sort or order")
    return value, row_id


def phrase(text):
    """An FTS5 phrase: with the trigram tokenizer, the text as a substring."""
    return '"' + text.replace('"', '""') + '"'


def _like(text):
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def where(q, fts):
    """(SQL condition, parameters) for the filters, text and time range of `q`."""
    parts, args = [], []
    for column, values in q.filters.items():
        parts.append(f"{column} IN ({','.join('?' * len(values))})")
        args += values
    if q.since is not None:
        parts.append("start_ms >= ?")
        args.append(q.since)
    if q.until is not None:
        parts.append("start_ms < ?")
        args.append(q.until)
    if q.text:
        if fts and len(q.text) >= 3:
            # `+id`: the planner must not drive the query from the (possibly huge) match set.
            parts.append("+id IN (SELECT rowid FROM runs_text WHERE runs_text MATCH ?)")
            args.append(phrase(q.text))
        else:
            parts.append("search LIKE ? ESCAPE '\\'")
            args.append(_like(q.text))
    return (" AND ".join(parts) or "1"), args


def _order(q):
    column = SORTS[q.sort]
    desc = q.order == "desc"
    cond, args = "", []
    if q.cursor is not None:
        cond = f" AND ({column}, id) {'<' if desc else '>'} (?, ?)"
        args = list(q.cursor)
    direction = "DESC" if desc else "ASC"
    return column, cond, args, f"ORDER BY {column} {direction}, id {direction}"


def listing(q, fts):
    """(SQL, parameters) of one page: `limit + 1` rows of (id, sort value), to know whether
    another page follows."""
    cond, args = where(q, fts)
    column, after, after_args, order = _order(q)
    sql = f"SELECT id, {column} FROM runs WHERE {cond}{after} {order} LIMIT ?"
    return sql, args + after_args + [q.limit + 1]


def prefix_listing(q):
    """A text search answered from the first PREFIX rows in sort order (the filters but the
    text applied), for text that many runs contain: the full-text index would list them all
    before the sort could keep 50. Returns (SQL, parameters, scanned(conn)), where `scanned`
    says whether those rows were not the whole table (so that too few hits is not the
    answer)."""
    text = q.text
    q.text = None
    try:
        cond, args = where(q, False)
    finally:
        q.text = text
    column, after, after_args, order = _order(q)
    inner = f"SELECT id, {column}, search FROM runs WHERE {cond}{after} {order} LIMIT {PREFIX}"
    sql = (f"SELECT id, {column} FROM ({inner}) WHERE search LIKE ? ESCAPE '\\' "
           f"{order} LIMIT ?")
    all_args = args + after_args + [_like(text), q.limit + 1]

    def scanned(conn):
        count_sql = f"SELECT COUNT(*) FROM ({inner})"
        return conn.execute(count_sql, args + after_args).fetchall()[0][0] >= PREFIX

    return sql, all_args, scanned
