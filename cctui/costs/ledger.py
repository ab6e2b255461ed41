"""The cost ledger: every paid call of a run with its provider, step, units and price.

LLM calls add a row each. A generation job has exactly one row, keyed by its job id and kept
equal to the job's own `cost_amount`, so the ledger of a run always adds up to its jobs.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cctui.providers.base import Cost
from cctui.store.db import Store

KIND_OF_ACTION = {"txt2img": "image", "img2img": "image", "img2vid": "video", "txt2vid": "video",
                  "txt2music": "music"}


class Ledger:
    def __init__(self, store: Store):
        self.store = store

    async def add_llm(self, *, run_id: str, step_id: str | None, module: str | None, provider: str,
                      charge: Cost | None, model: str | None, input_tokens: int, output_tokens: int) -> None:
        detail = {"input_tokens": input_tokens, "output_tokens": output_tokens, "priced": charge is not None}
        await self.store._write(
            "INSERT INTO costs(run_id, step_id, module, provider, kind, model, units, unit, unit_price, amount,"
            " currency, source, job_id, detail, created_at) VALUES (?, ?, ?, ?, 'llm', ?, ?, 'tokens', NULL, ?,"
            " 'usd', 'prices', NULL, ?, ?)",
            (run_id, step_id, module, provider, model, input_tokens + output_tokens,
             charge.amount if charge else 0.0, json.dumps(detail), time.time()),
        )

    async def set_job_cost(self, job: dict[str, Any], cost: Cost, detail: dict[str, Any] | None = None) -> None:
        """Write the job's cost on its row and in the ledger, in one transaction."""
        async with self.store.transaction():
            await self.store.update_job(job["job_id"], cost_amount=cost.amount, cost_unit=cost.unit)
            await self.store._write(
                "INSERT INTO costs(run_id, step_id, module, provider, kind, model, units, unit, unit_price, amount,"
                " currency, source, job_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(job_id) DO UPDATE SET amount = excluded.amount, currency = excluded.currency,"
                " source = excluded.source, units = COALESCE(excluded.units, units),"
                " unit = COALESCE(excluded.unit, unit), unit_price = COALESCE(excluded.unit_price, unit_price),"
                " model = COALESCE(excluded.model, model)",
                (job["run_id"], job["step_id"], job["module"], job["provider"],
                 KIND_OF_ACTION.get(job["action"], job["action"]), cost.model, cost.quantity,
                 cost.per or ("credit" if cost.unit == "credits" else None), cost.unit_price, cost.amount,
                 cost.unit, cost.source, job["job_id"], json.dumps(detail or {}), time.time()),
            )

    async def rows(self, run_id: str) -> list[dict[str, Any]]:
        async with self.store.db.execute("SELECT * FROM costs WHERE run_id = ? ORDER BY cost_id", (run_id,)) as cur:
            rows = [dict(r) for r in await cur.fetchall()]
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows

    async def totals(self, run_id: str | None = None) -> dict[str, dict[str, float]]:
        """{run_id: {currency: total}} for one run or all."""
        sql = "SELECT run_id, currency, SUM(amount) AS total FROM costs"
        args: tuple = ()
        if run_id:
            sql += " WHERE run_id = ?"
            args = (run_id,)
        out: dict[str, dict[str, float]] = {}
        async with self.store.db.execute(sql + " GROUP BY run_id, currency", args) as cur:
            for row in await cur.fetchall():
                out.setdefault(row["run_id"], {})[row["currency"]] = round(row["total"] or 0.0, 6)
        return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """costs.json: the rows, totals per currency, and subtotals per kind and per step."""
    totals: dict[str, float] = {}
    by_kind: dict[str, dict[str, float]] = {}
    by_step: dict[str, dict[str, float]] = {}
    for row in rows:
        cur = row["currency"]
        totals[cur] = round(totals.get(cur, 0.0) + row["amount"], 6)
        for bucket, key in ((by_kind, row["kind"]), (by_step, row["step_id"] or "-")):
            bucket.setdefault(key, {})
            bucket[key][cur] = round(bucket[key].get(cur, 0.0) + row["amount"], 6)
    keep = ("step_id", "module", "provider", "kind", "model", "units", "unit", "unit_price", "amount", "currency",
            "source", "job_id", "detail", "created_at")
    return {"totals": totals, "by_kind": by_kind, "by_step": by_step,
            "entries": [{k: row[k] for k in keep} for row in rows]}


def money_text(totals: dict[str, float], zero: str = "$0.00") -> str:
    parts = []
    if totals.get("usd"):
        parts.append(f"${totals['usd']:.2f}")
    if totals.get("credits"):
        parts.append(f"{totals['credits']:g} cr")
    return " + ".join(parts) or zero


__all__ = ["Ledger", "summary", "money_text", "KIND_OF_ACTION"]
