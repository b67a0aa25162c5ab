"""The operators' audit trail: what every operator action did, written in the action's own transaction."""
