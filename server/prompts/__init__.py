"""Proactive prompts: the `prompts.yaml` schema, its reader with line numbers, the live file
and `/api/v1/prompts`."""
