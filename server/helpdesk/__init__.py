"""The helpdesk: ticket events coming back from Zendesk or any helpdesk, after the handoff."""
