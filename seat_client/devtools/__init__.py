"""Developer tools for the seat client (screenshots of the workstation's states)."""
