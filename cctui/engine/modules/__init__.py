"""Modules, one file each, registered by module id on import."""

from cctui.engine.modules import (  # noqa: F401  (imported to register)
    api_fetch,
    api_llm,
    io_client_write,
    io_export,
    io_load_json,
    io_render_template,
    io_save_json,
    io_validate,
    io_weighted_keywords,
    io_write_file,
    io_write_text,
    media_assemble,
    media_generate,
    media_generate_v2,
    prompt_build_grouped_prompt,
    transform_build_dynamic_schema,
    transform_enrich,
    transform_extract,
    transform_parse_pattern,
    transform_query,
    transform_reshape,
    transform_small,
    user_file_input,
    user_form,
    user_pause,
    user_select,
    user_text_input,
)
from cctui.engine.modules.base import REGISTRY, Module, ModuleContext, shapes

__all__ = ["REGISTRY", "Module", "ModuleContext", "shapes"]
