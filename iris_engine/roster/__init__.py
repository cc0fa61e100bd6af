"""The public roster: its read model, search, the change feed and subscriptions."""
