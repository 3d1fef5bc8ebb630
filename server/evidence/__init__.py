"""Evidence chain (证据链): per-session hash-chained trail, server seal, verifier and dispute export."""
