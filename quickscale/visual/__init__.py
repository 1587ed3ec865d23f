"""AI visual development: a template source map, page snapshots, and an MCP server."""
