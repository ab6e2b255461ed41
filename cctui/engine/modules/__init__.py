"""Modules, one file each, registered by module id on import."""

from cctui.engine.modules import (  # noqa: F401  (imported to register)
    api_llm,
    io_client_write,
    io_export,
    io_render_template,
    io_weighted_keywords,
    io_write_file,
    media_assemble,
    media_generate,
    transform_extract,
    transform_query,
    transform_small,
    user_file_input,
    user_form,
    user_pause,
    user_select,
    user_text_input,
)
from cctui.engine.modules.base import REGISTRY, Module, ModuleContext, shapes

__all__ = ["REGISTRY", "Module", "ModuleContext", "shapes"]
