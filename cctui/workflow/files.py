"""The names that make a folder a workflow folder: light, for the app's catalogue, which lists
workflows before the first paint without importing the loader (jsonschema, Jinja2, pydantic models)."""

WORKFLOW_FILE = "workflow_v3.json"
WORKFLOW_GLOB = "workflow*.json"  # any of these makes a folder a workflow folder
