"""The teller's workstation model (工作台): Qt-free state for the panels of one call, and its Qt service."""
