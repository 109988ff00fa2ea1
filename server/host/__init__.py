"""What a host product loads: the built widget at `/widget.js`, and the demo host product at
`/demo/`."""
