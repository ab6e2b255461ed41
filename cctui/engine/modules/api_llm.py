"""`api.llm`: ask the LLM for a JSON answer that fits the step's output schema.

The answer is validated here too (OpenAI-compatible servers are not all strict); a schema
mismatch is re-asked once with the validation errors before the module fails. While it streams
in, what can be read of it goes to `ctx.partial` (see `cctui.engine.partial_answer`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from cctui.costs.ledger import Ledger
from cctui.engine.errors import ModuleError
from cctui.engine.modules.base import Module, ModuleContext, register
from cctui.engine.modules.contract import Inputs, ModuleContract
from cctui.engine.partial_answer import PartialAnswers
from cctui.providers.base import ImagePart, LLMRequest, Part, TextPart

_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def _text_of(part: Any) -> str:
    if isinstance(part, dict):
        return str(part.get("content", ""))
    return str(part)


def _parts(value: Any, ctx: ModuleContext) -> list[Part]:
    items = value if isinstance(value, list) else [value]
    parts: list[Part] = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == "image":
            path = Path(str(item.get("content", "")))
            if not str(item.get("content", "")).strip() or not path.is_file():
                raise ModuleError(f"{ctx.where}: input[{i}] is an image, but {str(path)!r} is not a file")
            parts.append(ImagePart(path=path, detail=item.get("detail", "auto")))
        else:
            text = _text_of(item)
            if text.strip():
                parts.append(TextPart(text))
    if not parts:
        raise ModuleError(f"{ctx.where}: the LLM input is empty", retryable=False)
    return parts


def schema_errors(data: Any, schema: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))[:8]:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        out.append(f"{where}: {err.message}")
    return out


async def _charge(ctx: ModuleContext, provider: str, result) -> None:
    """Every answer is paid for, including one that is re-asked or re-run after a crash."""
    usage = result.usage
    cost = ctx.services.prices.llm(result.model, usage.input_tokens, usage.output_tokens)
    await Ledger(ctx.services.store).add_llm(
        run_id=ctx.run_id, step_id=ctx.step.step_id, module=ctx.spec.name, provider=provider, charge=cost,
        model=result.model, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)


class LLMInputs(Inputs):
    # Text, or a list of parts: text, or {"type": "image", "content": path, "detail": ...}.
    input: str | list[str | dict[str, Any]]
    output_schema: dict[str, Any]
    system: list[str | dict[str, Any]] = []
    metadata: dict[str, Any] = {}
    provider: str = "openai"
    model: str | None = None  # None: the provider's configured model
    # The seed system's per-module settings; its provider and model come before the inputs'.
    ai_config: dict[str, Any] = {}


@register
class ApiLLM(Module):
    module_id = "api.llm"
    contract = ModuleContract(inputs=LLMInputs, outputs=frozenset({"response", "_raw", "_model", "_usage"}),
                              working="Asking the model:")

    @staticmethod
    def _watcher(ctx: ModuleContext, schema: dict[str, Any]) -> PartialAnswers:
        """Hears the answer's text as it streams in; whoever watches the run sees it take shape."""
        return PartialAnswers(lambda data: ctx.partial("response", data, schema))

    async def execute(self, ctx: ModuleContext, inputs: dict[str, Any]) -> dict[str, Any]:
        schema = inputs.get("output_schema")
        if not isinstance(schema, dict):
            raise ModuleError(f"{ctx.where}: input `output_schema` is missing", retryable=False)
        system = [_text_of(p) for p in (inputs.get("system") or [])]
        ai_config = inputs.get("ai_config") or {}
        name = _NAME.sub("_", str(schema.get("title") or f"{ctx.step.step_id}_{ctx.spec.name}"))[:64]
        request = LLMRequest(
            system=[s for s in system if s.strip()],
            user=_parts(inputs.get("input"), ctx),
            output_schema=schema,
            schema_name=name,
            history=list(ctx.history),
            metadata=inputs.get("metadata") or {},
            model=ai_config.get("model") or inputs.get("model"),
            on_text=self._watcher(ctx, schema),
        )
        provider = ai_config.get("provider") or inputs.get("provider", "openai")
        llm = ctx.services.providers.llm(provider)
        result = await llm.complete(request)
        await _charge(ctx, provider, result)
        problems = schema_errors(result.data, schema)
        usage = [result.usage]
        if problems:
            # Sent as: system, prompt, earlier rounds, the bad answer, then this repair request last.
            request.history = request.history + [
                {"role": "assistant", "content": result.raw_text},
                {"role": "user", "content": "Your answer does not match the required JSON schema:\n- "
                 + "\n- ".join(problems) + "\nAnswer again in full, matching the schema exactly."},
            ]
            request.on_text = self._watcher(ctx, schema)  # from nothing again: the re-ask is a new answer
            result = await llm.complete(request)
            await _charge(ctx, provider, result)
            usage.append(result.usage)
            problems = schema_errors(result.data, schema)
            if problems:
                raise ModuleError(f"{ctx.where}: the model's answer did not fit the output schema twice "
                                  f"({problems[0]})")
        return {
            "response": result.data,
            "_raw": result.raw_text if result.raw_text else json.dumps(result.data),
            "_model": result.model,
            "_usage": {
                "input_tokens": sum(u.input_tokens for u in usage),
                "output_tokens": sum(u.output_tokens for u in usage),
                "calls": len(usage),
            },
        }
