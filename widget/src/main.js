// The Frontdesk widget entry point.
