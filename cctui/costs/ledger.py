"""The cost ledger: every paid call of a run with its provider, step, units and price.

LLM calls add a row each. A generation job has one row per submit the provider accepted (a
resubmit is a second charge), keyed by job id and provider job id; the job's own `cost_amount` is
their sum, so the ledger of a run always adds up to its jobs. A submit whose charge the provider
never stated (a job found in its list after the answer was lost) still has its row, marked
`unreported`, so the count of charges is right even where an amount is not known.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cctui.costs.cost import Cost
from cctui.records import JobRecord
from cctui.store.db import Store

KIND_OF_ACTION = {"txt2img": "image", "img2img": "image", "img2vid": "video", "txt2vid": "video",
                  "txt2music": "music", "txt2speech": "speech"}


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

    async def set_job_cost(self, job: JobRecord, cost: Cost, detail: dict[str, Any] | None = None) -> None:
        """Write the charge of the job's current accepted submit in the ledger, and the sum of all
        its submits on the job row, in one transaction. A resubmit that the provider accepted is a
        second charge: its own row, tied to the same job by its provider id."""
        async with self.store.transaction():
            await self.store._write(
                "INSERT INTO costs(run_id, step_id, module, provider, kind, model, units, unit, unit_price, amount,"
                " currency, source, job_id, provider_job_id, detail, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(job_id, provider_job_id) DO UPDATE SET amount = excluded.amount,"
                " currency = excluded.currency, source = excluded.source, units = COALESCE(excluded.units, units),"
                " unit = COALESCE(excluded.unit, unit), unit_price = COALESCE(excluded.unit_price, unit_price),"
                " model = COALESCE(excluded.model, model)",
                (job.run_id, job.step_id, job.module, job.provider,
                 KIND_OF_ACTION.get(job.action, job.action), cost.model, cost.quantity,
                 cost.per or ("credit" if cost.unit == "credits" else None), cost.unit_price, cost.amount,
                 cost.unit, cost.source, job.job_id, job.provider_job_id or "", json.dumps(detail or {}),
                 time.time()),
            )
            async with self.store.db.execute(
                    "SELECT SUM(amount) AS total FROM costs WHERE job_id = ? AND currency = ?",
                    (job.job_id, cost.unit)) as cur:
                total = (await cur.fetchone())["total"]
            if cost.source != "unreported" or job.cost_amount is not None:
                await self.store.update_job(job.job_id, cost_amount=total, cost_unit=cost.unit)

    async def job_rows(self, job_id: str) -> list[dict[str, Any]]:
        async with self.store.db.execute("SELECT * FROM costs WHERE job_id = ? ORDER BY cost_id", (job_id,)) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def rows(self, run_id: str) -> list[dict[str, Any]]:
        async with self.store.db.execute("SELECT * FROM costs WHERE run_id = ? ORDER BY cost_id", (run_id,)) as cur:
            rows = [dict(r) for r in await cur.fetchall()]
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows

    async def totals(self, run_id: str | None = None, *,
                     run_ids: list[str] | None = None) -> dict[str, dict[str, float]]:
        """{run_id: {currency: total}} for one run, for `run_ids`, or for all."""
        sql = "SELECT run_id, currency, SUM(amount) AS total FROM costs"
        args: tuple = ()
        if run_id:
            sql += " WHERE run_id = ?"
            args = (run_id,)
        elif run_ids is not None:
            sql += f" WHERE run_id IN ({', '.join('?' * len(run_ids))})"
            args = tuple(run_ids)
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
