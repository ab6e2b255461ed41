"""`io.export`: the run's export bundle (see `cctui.export`), written by the summary step."""

from __future__ import annotations

from typing import Any

from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import ModuleContract, NoInputs
from cctui.export import ExportError, export_run


@register
class Export(Module):
    module_id = "io.export"
    contract = ModuleContract(inputs=NoInputs, outputs=frozenset({"folder", "summary_path", "files", "missing"}))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        # Every earlier module's outputs are saved with its completion, so the stored state is whole.
        settings = getattr(ctx.services.providers, "settings", None)
        secrets = settings.secret_values() if settings is not None else []
        try:
            result = await export_run(ctx.services.store, ctx.run_id, ctx.run_dir / "export",
                                      results=ctx.workflow.results, secrets=secrets)
        except (ExportError, OSError) as exc:
            raise ModuleError(f"{ctx.where}: the export failed: {exc}") from None
        return {"folder": result["folder"], "summary_path": f"{result['folder']}/summary.md",
                "files": result["files"], "missing": result["missing"]}
