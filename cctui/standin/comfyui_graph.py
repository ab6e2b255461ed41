"""API-format ComfyUI graphs: the validation `POST /prompt` does, and walking the links.

A graph is `{node_id: {"class_type", "inputs": {name: value | [node_id, output_index]}}}`;
`nodes` is the host's `/object_info`. `validate_prompt` follows ComfyUI's
`execution.validate_prompt` / `validate_inputs`: the same checks in the same order, the same
error dicts, and `(ok, error, outputs, node_errors)` as its result. Deviation: a link to a node
that is not in the graph, or to an output it does not have, is a `bad_linked_input` here (the
real server raises inside validation and reports `exception_during_validation`).
"""

from __future__ import annotations

from typing import Any, Callable

Graph = dict[str, Any]
Catalogue = dict[str, dict[str, Any]]
LIST_LIMIT = 20  # longer combo lists are not echoed back, as ComfyUI does for model folders


def _error(type_: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": extra}


def is_link(value: Any) -> bool:
    return isinstance(value, list)


def validate_prompt(prompt: Graph, nodes: Catalogue) -> tuple[bool, dict[str, Any] | None, list[str], dict]:
    outputs: list[str] = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return False, _error("invalid_prompt", "Cannot execute because a node is missing the class_type "
                                 "property.", f"Node ID '#{node_id}'"), [], {}
        class_type = node["class_type"]
        info = nodes.get(class_type) if isinstance(class_type, str) else None
        if info is None:
            meta = node.get("_meta") if isinstance(node.get("_meta"), dict) else {}
            return False, _error("missing_node_type", f"Node '{class_type}' not found. The custom node may not be "
                                 "installed.", f"Node ID '#{node_id}'", node_id=node_id, class_type=class_type,
                                 node_title=meta.get("title", class_type)), [], {}
        if info.get("output_node"):
            outputs.append(node_id)
    if not outputs:
        return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}
    good: list[str] = []
    failed: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, dict[str, Any]] = {}
    validated: dict[str, tuple[bool, list[dict[str, Any]]]] = {}
    for output in outputs:
        valid, reasons = validate_inputs(prompt, output, nodes, validated)
        if valid:
            good.append(output)
            continue
        failed.append((output, reasons))
        for node_id, (ok, node_reasons) in validated.items():
            # A node downstream of a broken one is invalid too, but only the broken one is named.
            if not ok and node_reasons:
                entry = node_errors.setdefault(node_id, {"errors": node_reasons, "dependent_outputs": [],
                                                         "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(output)
    if not good:
        details = "\n".join(f"{e['message']}: {e['details']}" for _, reasons in failed for e in reasons)
        return False, _error("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                             details), [], node_errors
    return True, None, good, node_errors


def input_info(info: dict[str, Any], name: str) -> tuple[Any, str, dict[str, Any]]:
    """(type, "required" | "optional", options) of one declared input."""
    for category in ("required", "optional"):
        spec = info["input"].get(category, {}).get(name)
        if spec is not None:
            return spec[0], category, (spec[1] if len(spec) > 1 else {})
    raise KeyError(name)


def combo_options(input_type: Any, options: dict[str, Any]) -> list[Any] | None:
    if isinstance(input_type, list):
        return input_type
    if input_type == "COMBO":
        return list(options.get("options", []))
    return None


def types_match(received: Any, wanted: Any) -> bool:
    """ComfyUI's `validate_node_input`: equal, a `*` on either side, or overlapping unions."""
    if received == wanted:
        return True
    if not isinstance(received, str) or not isinstance(wanted, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in wanted.split(",")}
    return "*" in got or "*" in want or bool(got & want)


CONVERT: dict[str, Callable[[Any], Any]] = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}


def validate_inputs(prompt: Graph, node_id: str, nodes: Catalogue,
                    validated: dict[str, tuple[bool, list[dict[str, Any]]]]) -> tuple[bool, list[dict[str, Any]]]:
    if node_id in validated:
        return validated[node_id]
    node = prompt[node_id]
    inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
    info = nodes[node["class_type"]]
    declared = list(info["input"].get("required", {})) + list(info["input"].get("optional", {}))
    errors: list[dict[str, Any]] = []
    valid = True
    for name in declared:
        input_type, category, options = input_info(info, name)
        config = [input_type, options]
        if name not in inputs:
            if category == "required":
                errors.append(_error("required_input_missing", "Required input is missing", name, input_name=name))
            continue
        value = inputs[name]
        if is_link(value):
            problem = _link_problem(prompt, nodes, name, value, input_type, config)
            if problem is not None:
                errors.append(problem)
            elif not validate_inputs(prompt, value[0], nodes, validated)[0]:
                valid = False
            continue
        if isinstance(value, dict) and "__value__" in value:
            value = inputs[name] = value["__value__"]
        problem = _value_problem(name, value, input_type, options, config)
        if isinstance(problem, dict):
            errors.append(problem)
        else:
            inputs[name] = problem[0]
    result = (not errors and valid, errors)
    validated[node_id] = result
    return result


def _link_problem(prompt: Graph, nodes: Catalogue, name: str, link: list[Any], input_type: Any,
                  config: list[Any]) -> dict[str, Any] | None:
    bad = _error("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", name,
                 input_name=name, input_config=config, received_value=link)
    if len(link) != 2 or not isinstance(link[0], str) or link[0] not in prompt:
        return bad
    outputs = nodes[prompt[link[0]]["class_type"]]["output"]
    if not isinstance(link[1], int) or isinstance(link[1], bool) or not 0 <= link[1] < len(outputs):
        return bad
    received = outputs[link[1]]
    if types_match(received, input_type):
        return None
    return _error("return_type_mismatch", "Return type mismatch between linked nodes",
                  f"{name}, received_type({received}) mismatch input_type({input_type})", input_name=name,
                  input_config=config, received_type=received, linked_node=link)


def _value_problem(name: str, value: Any, input_type: Any, options: dict[str, Any],
                   config: list[Any]) -> dict[str, Any] | tuple[Any]:
    """The error dict for a literal input value, or `(converted value,)` when it passes."""
    convert = CONVERT.get(input_type) if isinstance(input_type, str) else None
    if convert is not None:
        try:
            value = convert(value)
        except (TypeError, ValueError, OverflowError) as exc:
            return _error("invalid_input_type", f"Failed to convert an input value to a {input_type} value",
                          f"{name}, {value}, {exc}", input_name=name, input_config=config, received_value=value,
                          exception_message=str(exc))
    try:
        if "min" in options and value < options["min"]:
            return _error("value_smaller_than_min", f"Value {value} smaller than min of {options['min']}", name,
                          input_name=name, input_config=config, received_value=value)
        if "max" in options and value > options["max"]:
            return _error("value_bigger_than_max", f"Value {value} bigger than max of {options['max']}", name,
                          input_name=name, input_config=config, received_value=value)
    except TypeError:
        pass  # a value of a type without order; the node itself would choke on it later
    allowed = combo_options(input_type, options)
    if allowed is not None and value not in allowed:
        listed = f"(list of length {len(allowed)})" if len(allowed) > LIST_LIMIT else str(allowed)
        return _error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {listed}",
                      input_name=name, input_config=None if len(allowed) > LIST_LIMIT else config,
                      received_value=value)
    return (value,)


# --------------------------------------------------------------------------- walking the graph


def execution_order(prompt: Graph, outputs: list[str]) -> list[str]:
    """The nodes the outputs need, each after the nodes it reads from."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen:
            return
        seen.add(node_id)
        for value in prompt[node_id].get("inputs", {}).values():
            if is_link(value) and len(value) == 2 and value[0] in prompt:
                visit(value[0])
        order.append(node_id)

    for output in outputs:
        visit(output)
    return order


def upstream(prompt: Graph, start: str) -> list[str]:
    """`start` and every node it reads from, nearest first (breadth-first)."""
    found = [start]
    for node_id in found:
        for value in prompt[node_id].get("inputs", {}).values():
            if is_link(value) and len(value) == 2 and value[0] in prompt and value[0] not in found:
                found.append(value[0])
    return found


def first_upstream(prompt: Graph, start: str, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    for node_id in upstream(prompt, start):
        if wanted(prompt[node_id]):
            return prompt[node_id]
    return None


def positive_texts(prompt: Graph) -> list[str]:
    """The texts of the CLIPTextEncode nodes wired into a `positive` input (all of them if none is)."""
    encoders = {k: n for k, n in prompt.items() if n.get("class_type") == "CLIPTextEncode"}
    wired = {v[0] for n in prompt.values() for name, v in n.get("inputs", {}).items()
             if name == "positive" and is_link(v) and v and v[0] in encoders}
    return [str(encoders[k]["inputs"].get("text", "")) for k in (wired or encoders)]
