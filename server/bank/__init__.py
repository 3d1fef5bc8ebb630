"""Bank systems behind small interfaces: adapter protocols, the adapter registry, the sandbox bank and the HTTP adapter.

Nothing happens at import: adapters are built by :func:`server.bank.registry.create_bank_adapters`.
"""
