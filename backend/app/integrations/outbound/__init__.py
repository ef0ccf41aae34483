"""Outbound connections: where they may go (:mod:`.policy`, pure) and how they
get there without a second DNS lookup (:mod:`.transport`)."""
